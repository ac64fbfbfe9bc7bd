/**
 * Applies the cell-operation model (cells.ts) to a notebook's shared model.
 *
 * Edits go through the shared model (Yjs), so with collaborative editing every
 * client sees the same cells; only the tab whose session ran the `%%k2` cell
 * receives the operations (they carry its `clientId`), so nothing is inserted twice.
 */

import type { NotebookPanel } from '@jupyterlab/notebook';
import type { ReadonlyJSONObject } from '@lumino/coreutils';

import {
  CELL_OPS,
  CellEdit,
  ICellSnapshot,
  isPristine,
  planCellOp,
  planToggleThinking
} from './cells';
import type { IOpContext, IOpMessage, OpHandler } from './protocol';

/**
 * The notebook's shared (Yjs) model and its cells, as @jupyterlab/notebook types them.
 */
type ISharedNotebook = NonNullable<
  NotebookPanel['content']['model']
>['sharedModel'];
type ISharedCell = ISharedNotebook['cells'][number];
type IOutputs = Parameters<
  Extract<ISharedCell, { setOutputs: unknown }>['setOutputs']
>[0];

/**
 * A snapshot of the notebook's cells for the pure model.
 */
export function snapshot(notebook: ISharedNotebook): ICellSnapshot[] {
  return notebook.cells.map(cell => ({
    id: cell.getId(),
    cell_type: cell.cell_type,
    source: cell.getSource(),
    metadata: cell.getMetadata() as ReadonlyJSONObject
  }));
}

/**
 * Perform the edits on the shared notebook, in order.
 *
 * Each edit is its own transaction: inside one transaction the notebook's
 * `cells` array is only refreshed when the transaction ends, so a second
 * insert or delete would use stale indices.
 */
export function applyEdits(
  notebook: ISharedNotebook,
  edits: readonly CellEdit[]
): void {
  if (edits.length === 0) {
    return;
  }
  const find = (id: string): ISharedCell | undefined =>
    notebook.cells.find(cell => cell.getId() === id);
  for (const edit of edits) {
    switch (edit.type) {
      case 'insert':
        notebook.insertCell(Math.min(edit.index, notebook.cells.length), {
          ...edit.cell
        });
        break;
      case 'delete': {
        const index = notebook.cells.findIndex(c => c.getId() === edit.id);
        if (index >= 0) {
          notebook.deleteCell(index);
        }
        break;
      }
      case 'append': {
        const cell = find(edit.id);
        if (cell) {
          const end = cell.getSource().length;
          cell.updateSource(end, end, edit.text);
        }
        break;
      }
      case 'set-source':
        find(edit.id)?.setSource(edit.source);
        break;
      case 'set-outputs': {
        const cell = find(edit.id);
        if (cell && cell.cell_type === 'code' && 'setOutputs' in cell) {
          // Pass through "running" as a real execution does (each setter is its own
          // transaction): every client then takes the current source as the one that
          // ran, so a cell edited and run by k2nb carries no "changed since run" mark.
          cell.executionState = 'running';
          cell.setOutputs(edit.outputs as unknown as IOutputs);
          cell.execution_count = edit.execution_count;
          cell.executionState = 'idle';
        }
        break;
      }
      case 'set-metadata':
        find(edit.id)?.setMetadata(edit.key, edit.value);
        break;
    }
  }
}

export function notebookOf(panel: NotebookPanel): ISharedNotebook | null {
  return panel.content.model?.sharedModel ?? null;
}

function handleCellOp(message: IOpMessage, context: IOpContext): void {
  const notebook = notebookOf(context.panel);
  if (notebook === null) {
    return;
  }
  const cells = snapshot(notebook);
  const edits = planCellOp(cells, message);
  applyEdits(notebook, edits);
  // A Markdown cell streams as text in its editor and is rendered once the
  // kernel sends its final source (or when it is inserted complete).
  for (const id of finishedMarkdown(message, edits, cells)) {
    renderMarkdown(context.panel, id);
  }
}

/**
 * The Markdown cells an operation completed: an insert with a source, or an
 * update carrying the final source of a cell k2nb still owns.
 */
function finishedMarkdown(
  message: IOpMessage,
  edits: readonly CellEdit[],
  before: readonly ICellSnapshot[]
): string[] {
  const ids: string[] = [];
  for (const edit of edits) {
    if (
      edit.type === 'insert' &&
      edit.cell.cell_type === 'markdown' &&
      edit.cell.source !== ''
    ) {
      ids.push(edit.cell.id);
    }
  }
  const id = message['id'];
  const cell = before.find(c => c.id === id);
  const owned = cell !== undefined && isPristine(cell);
  if (
    message.op === 'cell-update' &&
    typeof id === 'string' &&
    typeof message['source'] === 'string' &&
    owned
  ) {
    ids.push(id);
  }
  return ids;
}

/**
 * Show a Markdown cell rendered from its current source, as if the user had
 * run it (cells inserted into the model start as editors, and a rendered cell
 * does not re-render when its source changes).
 */
export function renderMarkdown(panel: NotebookPanel, id: string): void {
  const widget = panel.content.widgets.find(cell => cell.model.id === id);
  if (
    widget === undefined ||
    widget.model.type !== 'markdown' ||
    !('rendered' in widget)
  ) {
    return;
  }
  const markdown = widget as { rendered: boolean };
  markdown.rendered = false;
  markdown.rendered = true;
}

/**
 * Collapse (true) or expand (false) every thinking cell k2nb wrote in a notebook.
 * Returns how many cells changed.
 */
export function setThinkingCollapsed(
  panel: NotebookPanel,
  collapse: boolean
): number {
  const notebook = notebookOf(panel);
  if (notebook === null) {
    return 0;
  }
  const edits = planToggleThinking(snapshot(notebook), collapse);
  applyEdits(notebook, edits);
  return edits.length;
}

/**
 * Handlers for the cell operations, to add to the op handler map.
 */
export const CELL_HANDLERS: ReadonlyArray<[string, OpHandler]> = CELL_OPS.map(
  op => [op, handleCellOp]
);
