/**
 * Real-time collaboration (jupyter-collaboration): a collaborative notebook's
 * cells and outputs are one document shared by every client that has it open,
 * so what one tab writes, every client sees, and what two tabs write is there
 * twice. Where the kernel names no tab to write (it names one for the finished
 * trace, tracestatic.ts), the clients running this extension agree on one:
 * each announces itself in the document's awareness, and the one with the
 * lowest awareness id writes.
 */

import type { NotebookPanel } from '@jupyterlab/notebook';

/**
 * The awareness field a client running k2nb's extension sets (to its version).
 */
export const AWARENESS_FIELD = 'k2nb';

/**
 * Whether the notebook is collaborative (one document shared by its clients).
 */
export function isCollaborative(panel: NotebookPanel): boolean {
  return panel.content.model?.collaborative === true;
}

/**
 * What this module reads of a document's awareness (y-protocols' Awareness).
 */
interface IAwarenessLike {
  readonly clientID: number;
  getStates(): ReadonlyMap<number, Readonly<Record<string, unknown>>>;
  setLocalStateField(field: string, value: unknown): void;
  on(
    event: 'change',
    listener: (change: { readonly added: readonly number[] }) => void
  ): void;
}

function awarenessOf(panel: NotebookPanel): IAwarenessLike | null {
  const shared = panel.content.model?.sharedModel as
    { readonly awareness?: IAwarenessLike } | undefined;
  return shared?.awareness ?? null;
}

/**
 * Tell the notebook's other clients that this one runs k2nb's extension.
 */
export function announce(panel: NotebookPanel, version: string): void {
  const awareness = isCollaborative(panel) ? awarenessOf(panel) : null;
  if (awareness === null) {
    return;
  }
  awareness.setLocalStateField(AWARENESS_FIELD, version);
  // A client that joins later hears the others only when they next send
  // (every 15 s): say it again when one joins, so it knows at once.
  awareness.on('change', ({ added }) => {
    if (added.some(id => id !== awareness.clientID)) {
      awareness.setLocalStateField(AWARENESS_FIELD, version);
    }
  });
}

/**
 * Whether `self` is the client that writes for all: the lowest id among the
 * clients that announce k2nb (itself included, announced or not).
 */
export function isLead(
  self: number,
  states: ReadonlyMap<number, Readonly<Record<string, unknown>>>
): boolean {
  for (const [id, state] of states) {
    if (id < self && state[AWARENESS_FIELD] !== undefined) {
      return false;
    }
  }
  return true;
}

/**
 * Whether this tab writes what no kernel assigned (a lost run's note): always
 * in a notebook of its own, in a collaborative one only the lead client.
 */
export function writesForAll(panel: NotebookPanel): boolean {
  const awareness = isCollaborative(panel) ? awarenessOf(panel) : null;
  return (
    awareness === null || isLead(awareness.clientID, awareness.getStates())
  );
}
