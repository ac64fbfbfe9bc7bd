/**
 * Runs still streaming in the kernel, shown live again in a tab that opened
 * the notebook mid-run (a reload, a second tab); the kernel half is
 * k2nb/ui/reattach.py.
 *
 * On hello, the kernel sends each active run as `{op: "run-attach", run_id,
 * model_id, cell_id, esm, css, placeholder}` with one buffer: the run's ops so
 * far, deflated (the first message of a deflate stream); then `{op:
 * "run-ops", run_id}` with the next batch on the same stream. The tab puts an
 * output of type LIVE_MIME in the run's cell (in place of the saved widget
 * view, or added) and renders it with the live view's own code (`esm`, the
 * anywidget module of k2nb/ui/widget.js) over a small model that feeds it these
 * messages. Stop and approvals leave that view as DOM events, relayed like any
 * view's. When the run ends, `trace-static` writes the finished trace over the
 * LIVE_MIME output (tracestatic.ts). In a collaborative notebook the outputs
 * are shared with the tab that ran the cell, so the view is laid over this
 * tab's rendering of the run's output instead, changing nothing in the notebook
 * (liveview.ts).
 */

import type { NotebookPanel } from '@jupyterlab/notebook';
import type {
  PartialJSONObject,
  ReadonlyPartialJSONObject
} from '@lumino/coreutils';

import { isCollaborative } from './collab';
import type { IOpContext, IOpMessage, OpHandler } from './protocol';
import { LIVE_MIME, WIDGET_VIEW_MIME } from './tracestatic';

export { LIVE_MIME };

export const RUN_ATTACH_OP = 'run-attach';
export const RUN_OPS_OP = 'run-ops';
export const RUN_DETACH = 'run-detach';

type Buffer = ArrayBuffer | ArrayBufferView;
type Listener = (msg: unknown, buffers: Buffer[]) => void;

/**
 * What the live view's module exports (anywidget's lifecycle).
 */
interface IViewModule {
  default: {
    initialize?(props: { model: IViewModel }): unknown;
    render(props: { model: IViewModel; el: HTMLElement }): unknown;
  };
}

/**
 * The part of an anywidget model the live view uses.
 */
export interface IViewModel {
  get(name: string): unknown;
  on(event: string, listener: Listener): void;
  off(event: string, listener: Listener): void;
}

/**
 * An output list as the planner sees it (JupyterLab's IOutputAreaModel has it).
 */
export interface IOutputs {
  readonly length: number;
  get(index: number): { readonly data: ReadonlyPartialJSONObject };
  set(index: number, output: IDisplayOutput): void;
  add(output: IDisplayOutput): number;
}

export interface IDisplayOutput {
  output_type: 'display_data';
  data: PartialJSONObject;
  metadata: PartialJSONObject;
}

/**
 * Whether output `data` shows run `runId` / widget `modelId` (live or saved).
 */
export function showsRun(
  data: ReadonlyPartialJSONObject,
  runId: string,
  modelId: string
): boolean {
  const live = data[LIVE_MIME] as { run_id?: unknown } | undefined;
  const widget = data[WIDGET_VIEW_MIME] as { model_id?: unknown } | undefined;
  return live?.run_id === runId || widget?.model_id === modelId;
}

/**
 * Put the live output of a run in a cell's outputs: in place of the one that
 * shows it (the saved widget view, or an earlier live output), else added.
 */
export function placeLiveOutput(
  outputs: IOutputs,
  runId: string,
  modelId: string,
  placeholder: string
): 'replaced' | 'added' {
  const output: IDisplayOutput = {
    output_type: 'display_data',
    data: {
      [LIVE_MIME]: { run_id: runId, model_id: modelId },
      'text/plain': placeholder
    },
    metadata: {}
  };
  for (let i = 0; i < outputs.length; i++) {
    if (showsRun(outputs.get(i).data, runId, modelId)) {
      outputs.set(i, output);
      return 'replaced';
    }
  }
  outputs.add(output);
  return 'added';
}

const modules = new Map<string, Promise<IViewModule>>();

function loadModule(esm: string): Promise<IViewModule> {
  let module = modules.get(esm);
  if (module === undefined) {
    const url = URL.createObjectURL(
      new Blob([esm], { type: 'text/javascript' })
    );
    module = (
      import(/* webpackIgnore: true */ url) as Promise<IViewModule>
    ).finally(() => URL.revokeObjectURL(url));
    modules.set(esm, module);
  }
  return module;
}

function ensureStyle(css: string): void {
  const id = `k2nb-live-style-${css.length}`;
  if (css === '' || document.getElementById(id) !== null) {
    return;
  }
  const style = document.createElement('style');
  style.id = id;
  style.textContent = css;
  document.head.append(style);
}

/**
 * One attached run: the view module, and the model that feeds it.
 */
export class AttachedRun {
  /**
   * `release` is called once the run has ended and no view shows it (its store forgets it then).
   */
  constructor(
    readonly runId: string,
    readonly modelId: string,
    module: Promise<IViewModule>,
    private readonly _release: (run: AttachedRun) => void = () => undefined
  ) {
    this._ready = module.then(
      mod => {
        // initialize registers the listener that keeps the run's ops for every view.
        mod.default.initialize?.({ model: this.model });
        return mod;
      },
      (reason: unknown) => {
        console.error('k2nb: could not load the live view', reason);
        return null;
      }
    );
  }

  readonly model: IViewModel = {
    get: (name: string) => (name === 'run_id' ? this.runId : undefined),
    on: (event: string, listener: Listener) => {
      if (event === 'msg:custom') {
        this._listeners.add(listener);
      }
    },
    off: (_event: string, listener: Listener) => {
      this._listeners.delete(listener);
    }
  };

  /**
   * Feed one compressed batch (in order) to the view.
   */
  deliver(buffer: Buffer): void {
    this._ready = this._ready.then(mod => {
      for (const listener of this._listeners) {
        listener({ z: 1 }, [buffer]);
      }
      return mod;
    });
  }

  /**
   * Render the view into `el`; resolves to its cleanup.
   */
  async render(el: HTMLElement): Promise<() => void> {
    const mod = await this._ready;
    if (mod === null) {
      el.textContent =
        'k2nb: the live view could not load here; the trace appears when the run ends.';
      return () => undefined;
    }
    const cleanup = mod.default.render({ model: this.model, el });
    this._views++;
    let done = false;
    return () => {
      if (done) {
        return;
      }
      done = true;
      if (typeof cleanup === 'function') {
        (cleanup as () => void)();
      }
      this._views--;
      this._releaseIfIdle();
    };
  }

  /**
   * The run is over (its saved trace was written): released once no view shows it.
   */
  end(): void {
    this._ended = true;
    this._releaseIfIdle();
  }

  private _releaseIfIdle(): void {
    if (this._ended && this._views === 0) {
      this._release(this);
    }
  }

  private _ready: Promise<IViewModule | null>;
  private readonly _listeners = new Set<Listener>();
  private _views = 0;
  private _ended = false;
}

function cellOutputs(panel: NotebookPanel, cellId: string): IOutputs | null {
  const model = panel.content.model;
  if (model === null) {
    return null;
  }
  for (const cell of model.cells) {
    if (cell.id === cellId) {
      return (cell as unknown as { outputs?: IOutputs }).outputs ?? null;
    }
  }
  return null;
}

/**
 * Shows an attached run over the shared output of cell `cellId` (a
 * collaborative notebook); false when the cell is not shown in `panel`.
 */
export type ShowShared = (
  panel: NotebookPanel,
  cellId: string,
  run: AttachedRun
) => boolean;

/**
 * The runs this page attached to, by run id; one store per page. A run goes
 * once it has ended and no view shows it (the saved trace replaced its
 * output), as the live view's own run logs do (k2nb/ui/widget.js), or when its
 * kernel restarts: a long-lived page does not keep every run it attached to.
 */
export class AttachedRuns {
  /**
   * `showShared`: how to show a run in a collaborative notebook, where no
   * output may be added or replaced for this tab alone.
   */
  constructor(private readonly _showShared: ShowShared | null = null) {}

  get(runId: string): AttachedRun | undefined {
    return this._runs.get(runId);
  }

  /**
   * How many runs this page holds.
   */
  get size(): number {
    return this._runs.size;
  }

  /**
   * Forget every run of a kernel that restarted or went away.
   */
  clear(): void {
    this._runs.clear();
  }

  /**
   * The run shown by widget `modelId` has ended.
   */
  ended(modelId: string): void {
    for (const run of [...this._runs.values()]) {
      if (run.modelId === modelId) {
        run.end();
      }
    }
  }

  /**
   * `handlers` (the saved trace's: tracestatic.ts), each also ending the run
   * whose widget the message names.
   */
  endingRuns(
    handlers: ReadonlyArray<[string, OpHandler]>
  ): Array<[string, OpHandler]> {
    return handlers.map(([op, handle]): [string, OpHandler] => [
      op,
      (message, context) => {
        handle(message, context);
        const modelId = message['model_id'];
        if (typeof modelId === 'string') {
          this.ended(modelId);
        }
      }
    ]);
  }

  readonly handlers: ReadonlyArray<[string, OpHandler]> = [
    [RUN_ATTACH_OP, (m, c) => this._attach(m, c)],
    [RUN_OPS_OP, (m, c) => this._ops(m, c)]
  ];

  private _attach(message: IOpMessage, context: IOpContext): void {
    const runId = message['run_id'];
    const modelId = message['model_id'];
    const cellId = message['cell_id'];
    const esm = message['esm'];
    if (
      typeof runId !== 'string' ||
      typeof modelId !== 'string' ||
      typeof esm !== 'string' ||
      context.buffers.length === 0
    ) {
      console.warn('k2nb: ignored a malformed run-attach', message);
      return;
    }
    const outputs =
      typeof cellId === 'string' ? cellOutputs(context.panel, cellId) : null;
    if (outputs === null) {
      // Not this notebook's run (another notebook on the same kernel).
      context.send({ kind: RUN_DETACH, run_id: runId });
      return;
    }
    const css = message['css'];
    ensureStyle(typeof css === 'string' ? css : '');
    const run = new AttachedRun(runId, modelId, loadModule(esm), done => {
      if (this._runs.get(done.runId) === done) {
        this._runs.delete(done.runId);
      }
    });
    this._runs.set(runId, run);
    run.deliver(context.buffers[0]);
    if (
      typeof cellId === 'string' &&
      this._showShared !== null &&
      isCollaborative(context.panel)
    ) {
      this._showShared(context.panel, cellId, run);
      return;
    }
    const placeholder = message['placeholder'];
    placeLiveOutput(
      outputs,
      runId,
      modelId,
      typeof placeholder === 'string'
        ? placeholder
        : 'k2nb: a run is in progress'
    );
  }

  private _ops(message: IOpMessage, context: IOpContext): void {
    const runId = message['run_id'];
    const run = typeof runId === 'string' ? this._runs.get(runId) : undefined;
    if (run !== undefined && context.buffers.length > 0) {
      run.deliver(context.buffers[0]);
    }
  }

  private readonly _runs = new Map<string, AttachedRun>();
}
