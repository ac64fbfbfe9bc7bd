/**
 * What a kernel restart does to k2nb in a notebook: runs that were streaming
 * are lost (their views say so, their buttons stop working, and the output
 * keeps the trace so far as static HTML), and `%%k2` in the new kernel, which
 * has not loaded k2nb, says how to load it instead of IPython's bare
 * "Cell magic not found".
 */

import type { Cell } from '@jupyterlab/cells';
import type { NotebookPanel } from '@jupyterlab/notebook';
import type { PartialJSONObject } from '@lumino/coreutils';

import { LIVE_MIME, WIDGET_VIEW_MIME } from './tracestatic';

/**
 * The DOM event the live view (k2nb/ui/widget.js) takes as "your kernel is gone".
 */
export const LOST_EVENT = 'k2nb-lost';

export const LOST_NOTE =
  'The kernel restarted while this run streamed: the run was lost (the trace below is what had arrived). ' +
  'Variables the run made are gone with the kernel.';

export const NOT_LOADED =
  'k2nb is not loaded in this kernel (a new or restarted kernel): run `%load_ext k2nb`, then run this cell again.';

/**
 * Whether an execution error is IPython's "k2 magic not found".
 */
export function isMissingK2Magic(ename: unknown, evalue: unknown): boolean {
  return (
    ename === 'UsageError' &&
    typeof evalue === 'string' &&
    /(Cell|Line) magic( function)? `%%?k2` not found/.test(evalue)
  );
}

function escapeText(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;');
}

/**
 * The saved form of a lost run: the note, then what its view showed.
 */
export function lostBundle(view: HTMLElement | null): PartialJSONObject {
  let html = '';
  let text = '';
  if (view !== null) {
    const copy = view.cloneNode(true) as HTMLElement;
    copy
      .querySelectorAll('button, textarea, input, .k2nb-approval')
      .forEach(node => node.remove());
    // The view's own classes keep its look (the labextension's style has them too).
    html = copy.outerHTML;
    text = view.innerText || view.textContent || '';
  }
  return {
    'text/html':
      `<div class="k2nb-static k2nb-lost"><p class="k2nb-lost-note"><strong>k2nb:</strong> ${escapeText(LOST_NOTE)}</p>` +
      `${html}</div>`,
    'text/plain': `k2nb: ${LOST_NOTE}\n${text}`
  };
}

function isRunOutput(data: Readonly<PartialJSONObject>): boolean {
  return data[WIDGET_VIEW_MIME] !== undefined || data[LIVE_MIME] !== undefined;
}

/**
 * What a tab does about its runs on a kernel status: nothing, mark them lost
 * in its views, or also write the lost note into their outputs.
 */
export type LostAction = 'none' | 'view' | 'write';

/**
 * Decides, from the statuses one tab hears, when its runs are lost and
 * whether this tab writes the note. A collaborative notebook's outputs are
 * shared, so one client writes: "restarting" followed by "autorestarting" or
 * "dead" is a kernel that died, which every client hears (the `leads` client
 * writes, collab.ts); "restarting" followed by anything else is this tab's
 * own restart, which the server tells no other client (this tab writes).
 */
export class LostRuns {
  constructor(private readonly _leads: () => boolean) {}

  next(status: string): LostAction {
    if (status === 'restarting') {
      this._restarting = true;
      return 'view';
    }
    const wasRestarting = this._restarting;
    this._restarting = false;
    if (status === 'autorestarting' || status === 'dead') {
      return this._leads() ? 'write' : 'view';
    }
    return wasRestarting ? 'write' : 'none';
  }

  private _restarting = false;
}

/**
 * Mark every run still streaming in `panel` as lost: its view here says so,
 * and, with `write`, its output becomes the lost note. Returns how many.
 */
export function markRunsLost(panel: NotebookPanel, write = true): number {
  let lost = 0;
  for (const cell of panel.content.widgets) {
    if (cell.model.type !== 'code') {
      continue;
    }
    const area = (
      cell as Cell & {
        outputArea?: {
          model: unknown;
          widgets: ReadonlyArray<{ node: HTMLElement }>;
        };
      }
    ).outputArea;
    const outputs = (
      cell.model as unknown as {
        outputs?: {
          length: number;
          get(i: number): { data: Readonly<PartialJSONObject> };
          set(i: number, output: PartialJSONObject): void;
        };
      }
    ).outputs;
    if (area === undefined || outputs === undefined) {
      continue;
    }
    for (let i = 0; i < outputs.length; i++) {
      if (!isRunOutput(outputs.get(i).data)) {
        continue;
      }
      const view =
        area.widgets[i]?.node.querySelector<HTMLElement>('.k2nb-live') ?? null;
      if (
        view !== null &&
        view.dataset.final === '1' &&
        view.dataset.phase !== 'lost'
      ) {
        continue; // finished: its trace is (being) written
      }
      view?.dispatchEvent(new CustomEvent(LOST_EVENT));
      if (write) {
        outputs.set(i, {
          output_type: 'display_data',
          data: lostBundle(view),
          metadata: {}
        });
      }
      lost++;
    }
  }
  return lost;
}

/**
 * After a cell failed: if it was `%%k2` in a kernel without k2nb, replace
 * IPython's message (an error output, or the stderr line IPython prints for a
 * UsageError) with one that says how to load it.
 */
export function explainMissingMagic(cell: Cell): boolean {
  const outputs = (
    cell.model as unknown as {
      outputs?: {
        length: number;
        get(i: number): { toJSON(): PartialJSONObject };
        set(i: number, output: PartialJSONObject): void;
      };
    }
  ).outputs;
  if (outputs === undefined) {
    return false;
  }
  for (let i = 0; i < outputs.length; i++) {
    const output = outputs.get(i).toJSON();
    const text = Array.isArray(output['text'])
      ? output['text'].join('')
      : output['text'];
    const missing =
      output['output_type'] === 'error'
        ? isMissingK2Magic(output['ename'], output['evalue'])
        : output['output_type'] === 'stream' &&
          typeof text === 'string' &&
          isMissingK2Magic('UsageError', text);
    if (missing) {
      outputs.set(i, {
        output_type: 'stream',
        name: 'stderr',
        text: `UsageError: ${NOT_LOADED}\n`
      });
      return true;
    }
  }
  return false;
}
