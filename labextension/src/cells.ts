/**
 * The cell-operation model: turns the kernel's cell operations into edits of a
 * notebook, given a snapshot of its cells. Pure (no JupyterLab at runtime), so
 * every rule is unit-tested; `applyEdits` in cellsync.ts performs the edits on
 * the notebook's shared model.
 *
 * Operations (kernel -> the one tab that ran the `%%k2` cell, on `k2nb.frontend`):
 * - `{op: 'cells-begin', run_id, anchor}` — a run of the `%%k2` cell `anchor`
 *   starts: cells of its earlier runs are deleted, except cells the user edited,
 *   which are kept and detached (`k2nb.detached: true`).
 * - `{op: 'cell-insert', run_id, anchor, after, cell}` — insert `cell` (with a
 *   kernel-chosen `id`) after the cell `after`; if that cell is gone, after the
 *   run's last cell, else after the anchor, else at the end.
 * - `{op: 'cell-append', id, text}` — append streamed text to a cell's source.
 * - `{op: 'cell-update', id, source?, outputs?, execution_count?, k2nb?, jupyter?}`
 *   — replace the source / outputs, merge into the `k2nb` metadata, set the
 *   `jupyter` metadata (collapse).
 *
 * Every cell k2nb writes records `k2nb.digest`, a hash of the source it wrote.
 * A cell whose source no longer matches was edited by someone: k2nb never
 * writes its source again and never deletes it.
 */

import type {
  JSONObject,
  JSONValue,
  ReadonlyJSONObject,
  ReadonlyJSONValue
} from '@lumino/coreutils';

/**
 * What the model needs to know about one notebook cell.
 */
export interface ICellSnapshot {
  readonly id: string;
  readonly cell_type: string;
  readonly source: string;
  readonly metadata: ReadonlyJSONObject;
}

/**
 * A cell to insert, in nbformat's shape.
 */
export interface INewCell {
  id: string;
  cell_type: 'markdown' | 'code';
  source: string;
  metadata: JSONObject;
  outputs?: JSONObject[];
  execution_count?: number | null;
}

/**
 * One edit of the notebook. Indices refer to the notebook as left by the
 * edits before it in the same list.
 */
export type CellEdit =
  | { readonly type: 'insert'; readonly index: number; readonly cell: INewCell }
  | { readonly type: 'delete'; readonly id: string }
  | { readonly type: 'append'; readonly id: string; readonly text: string }
  | {
      readonly type: 'set-source';
      readonly id: string;
      readonly source: string;
    }
  | {
      readonly type: 'set-outputs';
      readonly id: string;
      readonly outputs: JSONObject[];
      readonly execution_count: number | null;
    }
  | {
      readonly type: 'set-metadata';
      readonly id: string;
      readonly key: string;
      readonly value: JSONObject;
    };

/**
 * The cell operations this model understands.
 */
export const CELL_OPS = [
  'cells-begin',
  'cell-insert',
  'cell-append',
  'cell-update'
] as const;

/**
 * A cell operation's name.
 */
export type CellOp = (typeof CELL_OPS)[number];

/**
 * FNV-1a (32 bit) over UTF-16 code units, as 8 hex digits. k2nb/notebook/cells.py
 * computes the same digest for cells it writes with nbformat.
 */
export function digest(text: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash.toString(16).padStart(8, '0');
}

/**
 * The `k2nb` provenance metadata of a cell, or null for cells k2nb did not write.
 */
export function provenance(cell: ICellSnapshot): ReadonlyJSONObject | null {
  const value = cell.metadata['k2nb'];
  return isObject(value) ? value : null;
}

/**
 * Whether k2nb wrote this cell and nobody changed its source since.
 */
export function isPristine(cell: ICellSnapshot): boolean {
  const meta = provenance(cell);
  return (
    meta !== null &&
    meta['detached'] !== true &&
    meta['digest'] === digest(cell.source)
  );
}

/**
 * The edits that carry out one operation on a notebook with these cells.
 * Unknown operations and malformed messages give no edits.
 */
export function planCellOp(
  cells: readonly ICellSnapshot[],
  message: ReadonlyJSONObject
): CellEdit[] {
  switch (message['op']) {
    case 'cells-begin':
      return planBegin(cells, message);
    case 'cell-insert':
      return planInsert(cells, message);
    case 'cell-append':
      return planAppend(cells, message);
    case 'cell-update':
      return planUpdate(cells, message);
    default:
      return [];
  }
}

function planBegin(
  cells: readonly ICellSnapshot[],
  message: ReadonlyJSONObject
): CellEdit[] {
  const runId = message['run_id'];
  const anchor = message['anchor'];
  if (typeof runId !== 'string' || typeof anchor !== 'string') {
    return [];
  }
  const edits: CellEdit[] = [];
  for (const cell of cells) {
    const meta = provenance(cell);
    if (
      meta === null ||
      meta['anchor'] !== anchor ||
      meta['run_id'] === runId ||
      meta['detached'] === true
    ) {
      continue;
    }
    if (isPristine(cell)) {
      edits.push({ type: 'delete', id: cell.id });
    } else {
      edits.push({
        type: 'set-metadata',
        id: cell.id,
        key: 'k2nb',
        value: { ...toJSONObject(meta), detached: true }
      });
    }
  }
  return edits;
}

function planInsert(
  cells: readonly ICellSnapshot[],
  message: ReadonlyJSONObject
): CellEdit[] {
  const cell = message['cell'];
  if (!isObject(cell)) {
    return [];
  }
  const id = cell['id'];
  const type = cell['cell_type'];
  const source = cell['source'];
  if (
    typeof id !== 'string' ||
    (type !== 'markdown' && type !== 'code') ||
    typeof source !== 'string' ||
    cells.some(c => c.id === id)
  ) {
    return [];
  }
  const metadata = isObject(cell['metadata'])
    ? toJSONObject(cell['metadata'])
    : {};
  const k2nb = isObject(metadata['k2nb']) ? toJSONObject(metadata['k2nb']) : {};
  metadata['k2nb'] = { ...k2nb, digest: digest(source) };
  const newCell: INewCell = { id, cell_type: type, source, metadata };
  if (type === 'code') {
    const outputs = cell['outputs'];
    newCell.outputs = Array.isArray(outputs)
      ? outputs.filter(isObject).map(toJSONObject)
      : [];
    const count = cell['execution_count'];
    newCell.execution_count = typeof count === 'number' ? count : null;
  }
  return [
    {
      type: 'insert',
      index: insertIndex(cells, message, k2nb['run_id']),
      cell: newCell
    }
  ];
}

function insertIndex(
  cells: readonly ICellSnapshot[],
  message: ReadonlyJSONObject,
  runId: JSONValue | undefined
): number {
  const after = message['after'];
  if (typeof after === 'string') {
    const index = cells.findIndex(c => c.id === after);
    if (index >= 0) {
      return index + 1;
    }
  }
  if (typeof runId === 'string') {
    for (let i = cells.length - 1; i >= 0; i--) {
      if (provenance(cells[i])?.['run_id'] === runId) {
        return i + 1;
      }
    }
  }
  const anchor = message['anchor'];
  if (typeof anchor === 'string') {
    const index = cells.findIndex(c => c.id === anchor);
    if (index >= 0) {
      return index + 1;
    }
  }
  return cells.length;
}

function planAppend(
  cells: readonly ICellSnapshot[],
  message: ReadonlyJSONObject
): CellEdit[] {
  const text = message['text'];
  const cell = cells.find(c => c.id === message['id']);
  if (typeof text !== 'string' || text === '' || !cell || !isPristine(cell)) {
    return [];
  }
  return [
    { type: 'append', id: cell.id, text },
    withDigest(cell, cell.source + text)
  ];
}

function planUpdate(
  cells: readonly ICellSnapshot[],
  message: ReadonlyJSONObject
): CellEdit[] {
  const cell = cells.find(c => c.id === message['id']);
  if (!cell || provenance(cell) === null) {
    return [];
  }
  const pristine = isPristine(cell);
  const edits: CellEdit[] = [];
  let source = cell.source;
  const newSource = message['source'];
  if (pristine && typeof newSource === 'string' && newSource !== cell.source) {
    edits.push({ type: 'set-source', id: cell.id, source: newSource });
    source = newSource;
  }
  const outputs = message['outputs'];
  if (pristine && cell.cell_type === 'code' && Array.isArray(outputs)) {
    const count = message['execution_count'];
    edits.push({
      type: 'set-outputs',
      id: cell.id,
      outputs: outputs.filter(isObject).map(toJSONObject),
      execution_count: typeof count === 'number' ? count : null
    });
  }
  const extra = message['k2nb'];
  if (isObject(extra) || source !== cell.source) {
    const meta = toJSONObject(provenance(cell) ?? {});
    Object.assign(meta, isObject(extra) ? toJSONObject(extra) : {});
    if (pristine) {
      meta['digest'] = digest(source);
    }
    edits.push({ type: 'set-metadata', id: cell.id, key: 'k2nb', value: meta });
  }
  const jupyter = message['jupyter'];
  if (pristine && isObject(jupyter)) {
    const current = cell.metadata['jupyter'];
    edits.push({
      type: 'set-metadata',
      id: cell.id,
      key: 'jupyter',
      value: {
        ...(isObject(current) ? toJSONObject(current) : {}),
        ...toJSONObject(jupyter)
      }
    });
  }
  return edits;
}

function withDigest(cell: ICellSnapshot, source: string): CellEdit {
  return {
    type: 'set-metadata',
    id: cell.id,
    key: 'k2nb',
    value: { ...toJSONObject(provenance(cell) ?? {}), digest: digest(source) }
  };
}

/**
 * Whether a thinking cell's source is hidden (collapsed).
 */
export function isCollapsed(cell: ICellSnapshot): boolean {
  const jupyter = cell.metadata['jupyter'];
  return isObject(jupyter) && jupyter['source_hidden'] === true;
}

/**
 * The edits that collapse (or expand) every thinking cell k2nb wrote.
 */
export function planToggleThinking(
  cells: readonly ICellSnapshot[],
  collapse: boolean
): CellEdit[] {
  const edits: CellEdit[] = [];
  for (const cell of cells) {
    if (
      provenance(cell)?.['role'] !== 'thinking' ||
      isCollapsed(cell) === collapse
    ) {
      continue;
    }
    const current = cell.metadata['jupyter'];
    const jupyter = isObject(current) ? toJSONObject(current) : {};
    if (collapse) {
      jupyter['source_hidden'] = true;
    } else {
      delete jupyter['source_hidden'];
    }
    edits.push({
      type: 'set-metadata',
      id: cell.id,
      key: 'jupyter',
      value: jupyter
    });
  }
  return edits;
}

function isObject(value: unknown): value is ReadonlyJSONObject {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function toJSONObject(value: ReadonlyJSONObject): JSONObject {
  return JSON.parse(JSON.stringify(value)) as JSONObject;
}

/**
 * A deep copy of a JSON value (shared-model values are read-only).
 */
export function copyJSON(value: ReadonlyJSONValue): JSONValue {
  return JSON.parse(JSON.stringify(value)) as JSONValue;
}

/**
 * Whether "toggle thinking" should collapse: true when any thinking cell k2nb
 * wrote is expanded, false when all are collapsed (or there are none).
 */
export function shouldCollapseThinking(
  cells: readonly ICellSnapshot[]
): boolean {
  return cells.some(
    cell => provenance(cell)?.['role'] === 'thinking' && !isCollapsed(cell)
  );
}
