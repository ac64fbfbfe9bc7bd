/**
 * Where a run's live view shows in a tab that attached to it mid-run
 * (reattach.ts): as the renderer of LIVE_MIME outputs, or, in a collaborative
 * notebook, over this tab's rendering of the run's shared output; and, for an
 * output saved while a run streamed and reopened later, what to expect and
 * how to get the trace.
 */

import type { Cell } from '@jupyterlab/cells';
import type { NotebookPanel } from '@jupyterlab/notebook';
import type { IRenderMime } from '@jupyterlab/rendermime-interfaces';
import { Panel, Widget } from '@lumino/widgets';

import {
  AttachedRun,
  AttachedRuns,
  IOutputs,
  LIVE_MIME,
  showsRun
} from './reattach';

const NOT_STREAMING =
  'k2nb: this run was still going when the notebook was saved, and it is not streaming to this tab. ' +
  'If its kernel still runs it, the trace appears here when it ends; `%k2 export run.ipynb` in that kernel writes it to a file.';

/**
 * A widget that shows an attached run's live view (its cleanup on dispose).
 */
class LiveHost extends Widget {
  constructor() {
    super();
    this.addClass('k2nb-live-output');
  }

  protected async showRun(run: AttachedRun): Promise<void> {
    this._cleanup();
    const cleanup = await run.render(this.node);
    if (this.isDisposed) {
      cleanup();
    } else {
      this._cleanup = cleanup;
    }
  }

  protected clear(): void {
    this._cleanup();
    this._cleanup = () => undefined;
    this.node.textContent = '';
  }

  dispose(): void {
    this._cleanup();
    super.dispose();
  }

  private _cleanup: () => void = () => undefined;
}

class LiveRenderer extends LiveHost implements IRenderMime.IRenderer {
  constructor(private readonly _runs: AttachedRuns) {
    super();
  }

  async renderModel(model: IRenderMime.IMimeModel): Promise<void> {
    this.clear();
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
    await this.showRun(run);
  }
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

/**
 * The live view laid over one rendered output (no `renderModel`, so the output
 * area never takes it for the output's renderer).
 */
class LiveOverlay extends LiveHost {
  constructor(run: AttachedRun) {
    super();
    void this.showRun(run);
  }
}

/**
 * What this module uses of a code cell's output area (JupyterLab's OutputArea).
 */
type OutputCell = Cell & {
  readonly outputArea?: Widget & {
    readonly widgets: ReadonlyArray<Widget>;
    readonly model: IOutputs & {
      readonly changed: {
        connect(slot: () => void): boolean;
        disconnect(slot: () => void): boolean;
      };
    };
  };
};

/**
 * Show an attached run in a collaborative notebook: its outputs are one
 * document shared by every client, so putting a live output in them (as
 * placeLiveOutput does in a notebook of its own) would replace the live view
 * of the tab that ran the cell, and everyone's. Instead the view lies over
 * this tab's rendering of the run's output (hiding it), in this page only;
 * it goes with that rendering when the finished trace replaces the output.
 * Returns false when the cell is not shown here.
 */
export function showOverSharedOutput(
  panel: NotebookPanel,
  cellId: string,
  run: AttachedRun
): boolean {
  const cell = panel.content.widgets.find(c => c.model.id === cellId) as
    OutputCell | undefined;
  const area = cell?.outputArea;
  if (area === undefined) {
    return false;
  }
  const outputs = area.model;
  let shown = false;
  // The output may not be here yet (the other client's write is on its way),
  // and the output area may render it anew: lay the view over it each time.
  const overlay = (): void => {
    let showing = false;
    for (let i = 0; i < outputs.length; i++) {
      const item = area.widgets[i];
      if (!showsRun(outputs.get(i).data, run.runId, run.modelId)) {
        continue;
      }
      showing = true;
      if (
        !(item instanceof Panel) ||
        item.widgets.some(w => w instanceof LiveOverlay)
      ) {
        continue;
      }
      // The rendering: what the output area itself takes for it (not the prompt).
      item.widgets.filter(w => 'renderModel' in w).forEach(w => w.hide());
      item.addWidget(new LiveOverlay(run));
    }
    if (shown && !showing) {
      stop(); // the run's output is gone: its trace replaced it
    }
    shown ||= showing;
  };
  const stop = (): void => {
    outputs.changed.disconnect(overlay);
    area.disposed.disconnect(stop);
  };
  outputs.changed.connect(overlay);
  area.disposed.connect(stop);
  overlay();
  return true;
}
