/**
 * The notebook tools' operations carried out in this tab (workspace.ts plans
 * them, cellsync.ts applies the edits to the shared model, so undo, real-time
 * collaboration and other open tabs see every change), and the trace's links:
 * a click scrolls to the changed cell, or reverts the change.
 */

import type { NotebookPanel } from '@jupyterlab/notebook';
import type { ReadonlyJSONObject } from '@lumino/coreutils';

import { applyEdits, notebookOf, renderMarkdown, snapshot } from './cellsync';
import type { IOpContext, IOpMessage, OpHandler } from './protocol';
import {
  ICellJSON,
  NOTEBOOK_DONE,
  NOTEBOOK_OPS,
  planNotebookOp,
  planRevert,
  READ_OP,
  readableCells,
  TraceLink
} from './workspace';

function handleNotebookOp(message: IOpMessage, context: IOpContext): void {
  const token = typeof message['token'] === 'string' ? message['token'] : '';
  const answer = (result: ReadonlyJSONObject): void =>
    context.send({ kind: NOTEBOOK_DONE, token, ...result });
  const notebook = notebookOf(context.panel);
  if (notebook === null) {
    answer({ ok: false, error: 'the notebook is not open in this tab' });
    return;
  }
  if (message.op === READ_OP) {
    const full = message['full'];
    const ids = new Set(
      Array.isArray(full) ? full.filter(id => typeof id === 'string') : []
    );
    const cells = notebook.cells.map(
      cell => cell.toJSON() as unknown as ICellJSON
    );
    answer({
      ok: true,
      cells: readableCells(cells, ids),
      path: context.panel.context.path
    });
    return;
  }
  const planned = planNotebookOp(snapshot(notebook), message);
  if ('error' in planned) {
    answer({ ok: false, error: planned.error });
    return;
  }
  applyEdits(notebook, planned.edits);
  for (const edit of planned.edits) {
    if (edit.type === 'insert' && edit.cell.cell_type === 'markdown') {
      renderMarkdown(context.panel, edit.cell.id);
    }
    if (edit.type === 'set-source') {
      renderMarkdown(context.panel, edit.id); // an edited markdown cell shows its new text
    }
  }
  answer(
    planned.position !== undefined
      ? { ok: true, position: planned.position }
      : { ok: true }
  );
}

/**
 * Handlers for the notebook tools' operations, to add to the op handler map.
 */
export const NOTEBOOK_HANDLERS: ReadonlyArray<[string, OpHandler]> =
  NOTEBOOK_OPS.map(op => [op, handleNotebookOp]);

/**
 * Carry out a trace link in `panel`: scroll to the cell, or revert the change.
 * Returns what to show in place of a revert link ("reverted", or why not).
 */
export function followTraceLink(
  panel: NotebookPanel,
  link: TraceLink
): string | null {
  const notebook = panel.content;
  const index = notebook.widgets.findIndex(cell => cell.model.id === link.cell);
  if (link.kind === 'cell') {
    if (index >= 0) {
      notebook.activeCellIndex = index;
      void notebook.scrollToItem(index, 'center');
    }
    return index >= 0 ? null : 'that cell is no longer in this notebook';
  }
  const shared = notebookOf(panel);
  if (shared === null) {
    return 'the notebook is not open';
  }
  const planned = planRevert(
    snapshot(shared),
    link.cell,
    link.call,
    new Date().toISOString()
  );
  if ('error' in planned) {
    return `can't revert: ${planned.error}`;
  }
  applyEdits(shared, planned.edits);
  renderMarkdown(panel, link.cell);
  return '↶ reverted';
}
