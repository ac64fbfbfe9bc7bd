/**
 * The notebook as the model's workspace, frontend side: what the kernel's
 * notebook tools (k2nb/tools/notebook_tools.py) read and change, planned as
 * edits of the notebook. Pure (no JupyterLab at runtime), so every rule is
 * unit-tested; workspacesync.ts applies the edits to the shared model.
 *
 * Operations (kernel -> the one tab that ran the `%%k2` cell, on
 * `k2nb.frontend`, each with a `token`; the tab always answers
 * `{kind: "notebook-done", token, ok, error?, ...}` on its `k2nb` comm):
 * - `{op: "notebook-read", full: [ids]}` — the cells (nbformat), with `path`.
 *   Figures of cells not in `full` keep only the head of their data (enough
 *   for their size); long texts are cut.
 * - `{op: "notebook-edit", id, source, expect, change}` — replace a cell's
 *   source, if it still is `expect` (what the user saw in the diff).
 * - `{op: "notebook-insert", after, cell}` — insert a new cell after `after`;
 *   answers its `position` (1 = first).
 * - `{op: "notebook-outputs", id, outputs, execution_count, change}` — the
 *   outputs of a run the kernel made of that cell (`run_cell`).
 *
 * Every change is recorded in the cell's metadata, `k2nb.changes` (kind,
 * run id, step, call id, approval, time, what an edit replaced, and a digest
 * of the source it left), so the trace can link to the cell and one click
 * reverts an edit or an insert while nobody has changed the cell since.
 */

import type {
  JSONObject,
  JSONValue,
  ReadonlyJSONObject,
  ReadonlyJSONValue
} from '@lumino/coreutils';

import { CellEdit, copyJSON, digest, ICellSnapshot, INewCell } from './cells';

export const READ_OP = 'notebook-read';
export const EDIT_OP = 'notebook-edit';
export const INSERT_OP = 'notebook-insert';
export const OUTPUTS_OP = 'notebook-outputs';
export const NOTEBOOK_OPS = [READ_OP, EDIT_OP, INSERT_OP, OUTPUTS_OP] as const;
export const NOTEBOOK_DONE = 'notebook-done';

/**
 * Base64 characters kept of a figure the kernel did not ask for whole: enough
 * for the PNG header that holds its size.
 */
export const IMAGE_HEAD = 64;

/**
 * Characters of one output's text sent when reading the notebook; the kernel
 * shows the model less than this.
 */
export const TEXT_LIMIT = 20_000;

/**
 * The link in a trace to a changed cell, and the one that reverts a change.
 */
export const CELL_HREF = '#k2nb-cell-';
export const REVERT_HREF = '#k2nb-revert-';

/**
 * A cell as nbformat has it (the shared model's `toJSON()`).
 */
export interface ICellJSON extends ReadonlyJSONObject {
  readonly id: string;
  readonly cell_type: string;
}

/**
 * The outcome of planning a change: the edits, or why it cannot be made.
 */
export type Planned =
  | { readonly edits: CellEdit[]; readonly position?: number }
  | { readonly error: string };

/**
 * The cells to send for `notebook-read`: whole for the ids in `full`, else
 * with figures cut to their head and long texts cut.
 */
export function readableCells(
  cells: readonly ICellJSON[],
  full: ReadonlySet<string>
): JSONObject[] {
  return cells.map(cell => {
    const copy = copyJSON(cell) as JSONObject;
    const outputs = copy['outputs'];
    if (!full.has(cell.id) && Array.isArray(outputs)) {
      copy['outputs'] = outputs.map(trimOutput);
    }
    return copy;
  });
}

function trimOutput(output: JSONValue): JSONValue {
  if (!isObject(output)) {
    return output;
  }
  const result = { ...output } as JSONObject;
  if (typeof result['text'] === 'string') {
    result['text'] = cut(result['text'], TEXT_LIMIT);
  }
  const data = result['data'];
  if (isObject(data)) {
    const trimmed: JSONObject = {};
    for (const [mime, value] of Object.entries(data)) {
      const text = Array.isArray(value) ? value.join('') : value;
      if (typeof text !== 'string') {
        trimmed[mime] = copyJSON(value as ReadonlyJSONValue);
      } else if (mime.startsWith('image/')) {
        trimmed[mime] = text.slice(0, IMAGE_HEAD);
      } else {
        trimmed[mime] = cut(text, TEXT_LIMIT);
      }
    }
    result['data'] = trimmed;
  }
  return result;
}

function cut(text: string, limit: number): string {
  return text.length <= limit ? text : text.slice(0, limit);
}

/**
 * Plan one change operation (`notebook-edit`, `-insert`, `-outputs`).
 */
export function planNotebookOp(
  cells: readonly ICellSnapshot[],
  message: ReadonlyJSONObject
): Planned {
  switch (message['op']) {
    case EDIT_OP:
      return planEdit(cells, message);
    case INSERT_OP:
      return planInsert(cells, message);
    case OUTPUTS_OP:
      return planOutputs(cells, message);
    default:
      return { error: `unknown notebook operation ${String(message['op'])}` };
  }
}

function planEdit(
  cells: readonly ICellSnapshot[],
  message: ReadonlyJSONObject
): Planned {
  const cell = cells.find(c => c.id === message['id']);
  const source = message['source'];
  if (cell === undefined) {
    return { error: `no cell with id ${String(message['id'])} (deleted?)` };
  }
  if (typeof source !== 'string') {
    return { error: 'an edit needs the new source' };
  }
  const expect = message['expect'];
  if (typeof expect === 'string' && expect !== cell.source) {
    return {
      error:
        'the cell changed since it was read (someone edited it): read it again before editing'
    };
  }
  return {
    edits: [
      { type: 'set-source', id: cell.id, source },
      withChange(cell, message['change'], source)
    ]
  };
}

function planInsert(
  cells: readonly ICellSnapshot[],
  message: ReadonlyJSONObject
): Planned {
  const cell = message['cell'];
  if (!isObject(cell)) {
    return { error: 'an insert needs the new cell' };
  }
  const { id, cell_type: type, source } = cell;
  if (
    typeof id !== 'string' ||
    (type !== 'code' && type !== 'markdown') ||
    typeof source !== 'string'
  ) {
    return { error: 'the new cell needs an id, a type and a source' };
  }
  if (cells.some(c => c.id === id)) {
    return { error: `a cell with id ${id} exists already` };
  }
  const after = cells.findIndex(c => c.id === message['after']);
  if (after < 0) {
    return {
      error: `no cell with id ${String(message['after'])} to insert after (deleted?)`
    };
  }
  const metadata = isObject(cell['metadata'])
    ? (copyJSON(cell['metadata']) as JSONObject)
    : {};
  const k2nb = isObject(metadata['k2nb']) ? metadata['k2nb'] : {};
  const changes = Array.isArray(k2nb['changes']) ? k2nb['changes'] : [];
  metadata['k2nb'] = {
    ...k2nb,
    changes: changes.map(c =>
      isObject(c) ? { ...c, digest: digest(source) } : c
    )
  };
  const newCell: INewCell = { id, cell_type: type, source, metadata };
  if (type === 'code') {
    newCell.outputs = [];
    newCell.execution_count = null;
  }
  return {
    edits: [{ type: 'insert', index: after + 1, cell: newCell }],
    position: after + 2
  };
}

function planOutputs(
  cells: readonly ICellSnapshot[],
  message: ReadonlyJSONObject
): Planned {
  const cell = cells.find(c => c.id === message['id']);
  if (cell === undefined || cell.cell_type !== 'code') {
    return {
      error: `no code cell with id ${String(message['id'])} (deleted?)`
    };
  }
  const outputs = message['outputs'];
  const count = message['execution_count'];
  return {
    edits: [
      {
        type: 'set-outputs',
        id: cell.id,
        outputs: Array.isArray(outputs)
          ? outputs.filter(isObject).map(o => copyJSON(o) as JSONObject)
          : [],
        execution_count: typeof count === 'number' ? count : null
      },
      withChange(cell, message['change'], cell.source)
    ]
  };
}

/**
 * The `k2nb` metadata with one more change recorded (and the digest of the
 * source the change left, which a revert checks).
 */
function withChange(
  cell: ICellSnapshot,
  change: ReadonlyJSONValue | undefined,
  source: string
): CellEdit {
  const current = cell.metadata['k2nb'];
  const k2nb = isObject(current) ? (copyJSON(current) as JSONObject) : {};
  const changes = Array.isArray(k2nb['changes']) ? k2nb['changes'] : [];
  if (isObject(change)) {
    changes.push({
      ...(copyJSON(change) as JSONObject),
      digest: digest(source)
    });
  }
  k2nb['changes'] = changes;
  return { type: 'set-metadata', id: cell.id, key: 'k2nb', value: k2nb };
}

/**
 * The edits that undo the change made by the tool call `callId` to the cell
 * `cellId` (an edit gets its old source back, an inserted cell goes), while
 * nobody has changed the cell since; else why not.
 */
export function planRevert(
  cells: readonly ICellSnapshot[],
  cellId: string,
  callId: string,
  at: string
): Planned {
  const cell = cells.find(c => c.id === cellId);
  if (cell === undefined) {
    return { error: 'the cell is gone' };
  }
  const k2nb = cell.metadata['k2nb'];
  const changes =
    isObject(k2nb) && Array.isArray(k2nb['changes']) ? k2nb['changes'] : [];
  let index = changes.length - 1;
  while (index >= 0) {
    const c = changes[index];
    if (
      isObject(c) &&
      c['call_id'] === callId &&
      (c['kind'] === 'edit' || c['kind'] === 'insert')
    ) {
      break;
    }
    index--;
  }
  const change = changes[index];
  if (!isObject(change)) {
    return { error: 'this change is not recorded in the cell' };
  }
  if (typeof change['reverted'] === 'string') {
    return { error: 'already reverted' };
  }
  if (change['digest'] !== digest(cell.source)) {
    return {
      error:
        'the cell was changed since: revert it by hand (Ctrl+Z in the cell)'
    };
  }
  if (change['kind'] === 'insert') {
    return { edits: [{ type: 'delete', id: cell.id }] };
  }
  const replaced = change['replaced'];
  if (typeof replaced !== 'string') {
    return { error: 'the replaced source is not recorded' };
  }
  const updated = (copyJSON(k2nb as ReadonlyJSONObject) as JSONObject)[
    'changes'
  ] as JSONObject[];
  updated[index] = { ...updated[index], reverted: at };
  return {
    edits: [
      { type: 'set-source', id: cell.id, source: replaced },
      {
        type: 'set-metadata',
        id: cell.id,
        key: 'k2nb',
        value: {
          ...(copyJSON(k2nb as ReadonlyJSONObject) as JSONObject),
          changes: updated
        }
      }
    ]
  };
}

/**
 * What a trace link asks: scroll to a cell, or revert a call's change to it.
 */
export type TraceLink =
  | { readonly kind: 'cell'; readonly cell: string }
  | { readonly kind: 'revert'; readonly cell: string; readonly call: string };

/**
 * The link an `href` is (`#k2nb-cell-ID`, `#k2nb-revert-ID~CALL`), or null.
 */
export function traceLinkOf(href: string | null): TraceLink | null {
  if (href === null) {
    return null;
  }
  if (href.startsWith(CELL_HREF)) {
    const cell = decode(href.slice(CELL_HREF.length));
    return cell ? { kind: 'cell', cell } : null;
  }
  if (href.startsWith(REVERT_HREF)) {
    const [cell, call] = href.slice(REVERT_HREF.length).split('~');
    const cellId = decode(cell ?? '');
    const callId = decode(call ?? '');
    return cellId && callId
      ? { kind: 'revert', cell: cellId, call: callId }
      : null;
  }
  return null;
}

function decode(text: string): string | null {
  try {
    const value = decodeURIComponent(text);
    return value !== '' ? value : null;
  } catch {
    return null;
  }
}

function isObject(value: unknown): value is JSONObject {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
