/**
 * The renderer of LIVE_MIME outputs: a run's live view in a tab that attached
 * to it mid-run (reattach.ts), or, for an output saved while a run streamed and
 * reopened later, what to expect and how to get the trace.
 */

import type { IRenderMime } from '@jupyterlab/rendermime-interfaces';
import { Widget } from '@lumino/widgets';

import { AttachedRuns, LIVE_MIME } from './reattach';

const NOT_STREAMING =
  'k2nb: this run was still going when the notebook was saved, and it is not streaming to this tab. ' +
  'If its kernel still runs it, the trace appears here when it ends; `%k2 export run.ipynb` in that kernel writes it to a file.';

class LiveRenderer extends Widget implements IRenderMime.IRenderer {
  constructor(private readonly _runs: AttachedRuns) {
    super();
    this.addClass('k2nb-live-output');
  }

  async renderModel(model: IRenderMime.IMimeModel): Promise<void> {
    this._cleanup();
    this.node.textContent = '';
    const data = model.data[LIVE_MIME] as { run_id?: unknown } | undefined;
    const run =
      typeof data?.run_id === 'string'
        ? this._runs.get(data.run_id)
        : undefined;
    if (run === undefined) {
      const note = document.createElement('pre');
      note.className = 'k2nb-live-missing';
      note.textContent = NOT_STREAMING;
      this.node.append(note);
      return;
    }
    this._cleanup = await run.render(this.node);
  }

  dispose(): void {
    this._cleanup();
    super.dispose();
  }

  private _cleanup: () => void = () => undefined;
}

/**
 * The factory to add to the rendermime registry. `safe`: the output's data is
 * only a run id; the view's code comes from the kernel over the k2nb link.
 */
export function liveRendererFactory(
  runs: AttachedRuns
): IRenderMime.IRendererFactory {
  return {
    safe: true,
    mimeTypes: [LIVE_MIME],
    defaultRank: 0,
    createRenderer: () => new LiveRenderer(runs)
  };
}
