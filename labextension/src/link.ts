/**
 * Kernel I/O for one notebook tab: keeps its `k2nb` comm open and routes the
 * kernel's operations to the handler map (see protocol.ts for the two comms).
 */

import type { ISessionContext } from '@jupyterlab/apputils';
import type { IChangedArgs } from '@jupyterlab/coreutils';
import type { NotebookPanel } from '@jupyterlab/notebook';
import type { Kernel, KernelMessage } from '@jupyterlab/services';
import type { JSONObject, ReadonlyJSONObject } from '@lumino/coreutils';
import type { IDisposable } from '@lumino/disposable';

import {
  COMM_TARGET,
  dispatchOp,
  FRONTEND_TARGET,
  IOpContext,
  LOADED_FIELD,
  OP_HANDLERS,
  OpHandler
} from './protocol';
import { infoWithin, IUplink, RawUplink } from './uplink';

/**
 * Operations this extension performs beyond the first version's, announced in
 * `hello` so the kernel knows it may use them.
 */
export const CAPABILITIES: readonly string[] = [
  'trace-static',
  'trace-style',
  'run-attach',
  'workspace'
];

/**
 * How long to wait for the kernel's kernel_info reply before opening the comm
 * by hand (uplink.ts): a kernel answers in ~0.1 s unless a cell is running.
 */
const INFO_WAIT_MS = 1500;

/**
 * Settings a link reads each time it opens its comm.
 */
export interface ILinkSettings {
  readonly materializeCells: boolean;
  readonly collapseThinking: boolean;
  readonly headingFormat: string;
}

/**
 * The settings as sent to the kernel (in `hello` and in `settings` messages).
 */
export function settingsMessage(settings: ILinkSettings): JSONObject {
  return {
    materializeCells: settings.materializeCells,
    collapseThinking: settings.collapseThinking,
    headingFormat: settings.headingFormat
  };
}

/**
 * Construction options for a KernelLink.
 */
export interface IKernelLinkOptions {
  readonly panel: NotebookPanel;
  readonly version: string;
  readonly settings: ILinkSettings;
  readonly handlers?: ReadonlyMap<string, OpHandler>;
}

/**
 * Opens the tab's `k2nb` comm when the kernel is ready and idle, and again after
 * each restart or kernel change, or when the kernel asks for it.
 *
 * If the kernel has no `k2nb` comm target (k2nb is not loaded there), the kernel
 * closes the comm at once; the link then waits until the kernel restarts,
 * changes, or opens a `k2nb.frontend` comm (which k2nb does when it is loaded).
 */
export class KernelLink implements IDisposable {
  constructor(options: IKernelLinkOptions) {
    this._panel = options.panel;
    this._version = options.version;
    this._settings = options.settings;
    this._handlers = options.handlers ?? OP_HANDLERS;
    const sessionContext = this._panel.sessionContext;
    sessionContext.kernelChanged.connect(this._onKernelChanged, this);
    this._attach(sessionContext.session?.kernel ?? null);
  }

  /**
   * Whether this tab's `k2nb` comm is open (as far as the tab knows).
   */
  get isOpen(): boolean {
    return this._comm !== null && !this._comm.isDisposed;
  }

  get isDisposed(): boolean {
    return this._isDisposed;
  }

  /**
   * The notebook panel this link serves.
   */
  get panel(): NotebookPanel {
    return this._panel;
  }

  /**
   * This tab's kernel client id, or null without a kernel.
   */
  get clientId(): string | null {
    return this._kernel?.clientId ?? null;
  }

  /**
   * Tell the kernel this tab's settings changed.
   */
  sendSettings(): void {
    const clientId = this.clientId;
    if (clientId !== null) {
      this.sendToKernel({
        kind: 'settings',
        clientId,
        ...settingsMessage(this._settings)
      });
    }
  }

  /**
   * Send a `{kind: ...}` message to the kernel over this tab's `k2nb` comm.
   * Returns false (and drops the message) when the comm is not open.
   */
  sendToKernel(message: JSONObject): boolean {
    const comm = this._comm;
    if (comm === null || comm.isDisposed) {
      return false;
    }
    comm.send(message);
    return true;
  }

  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    this._panel.sessionContext.kernelChanged.disconnect(
      this._onKernelChanged,
      this
    );
    this._detach();
  }

  private _onKernelChanged(
    _sender: ISessionContext,
    change: IChangedArgs<
      Kernel.IKernelConnection | null,
      Kernel.IKernelConnection | null,
      'kernel'
    >
  ): void {
    this._attach(change.newValue);
  }

  private _attach(kernel: Kernel.IKernelConnection | null): void {
    if (kernel === this._kernel) {
      return;
    }
    this._detach();
    this._kernel = kernel;
    if (kernel === null || kernel.isDisposed) {
      return;
    }
    kernel.statusChanged.connect(this._onStatusChanged, this);
    kernel.registerCommTarget(FRONTEND_TARGET, this._onKernelComm);
    this._wanted = true;
    // Even if busy: a page opened while a run streams links at once to show it (reattach.ts).
    this._maybeOpen(true);
  }

  private _detach(): void {
    const kernel = this._kernel;
    const comm = this._comm;
    this._kernel = null;
    this._comm = null;
    this._opening = null;
    this._downlinkId = null;
    if (kernel === null) {
      return;
    }
    kernel.statusChanged.disconnect(this._onStatusChanged, this);
    if (kernel.isDisposed) {
      return;
    }
    kernel.removeCommTarget(FRONTEND_TARGET, this._onKernelComm);
    if (comm !== null && !comm.isDisposed) {
      try {
        comm.close();
      } catch (reason) {
        console.debug('k2nb: closing the comm failed (ignored)', reason);
      }
    }
  }

  private _onStatusChanged(
    kernel: Kernel.IKernelConnection,
    status: Kernel.Status
  ): void {
    if (status === 'starting') {
      this._nudgeWhenStarted(kernel);
    }
    if (status === 'restarting' || status === 'autorestarting') {
      // A restart disposes every comm without calling onClose.
      this._comm = null;
      this._opening = null;
      this._downlinkId = null;
      this._wanted = true;
      return;
    }
    if (status === 'idle') {
      if (this._comm !== null && this._comm.isDisposed) {
        // Lost without a close from the kernel (a restart we did not see).
        this._comm = null;
        this._wanted = true;
      }
      this._maybeOpen();
    }
  }

  /**
   * A restarted kernel reads "starting" in JupyterLab until a status message
   * whose parent type is tracked arrives; kernel_info is untracked, and so,
   * with k2nb's server extension (k2nb/notebook/serverext.py), are comm and subshell
   * messages, which used to end it. An empty silent execution (no history, no
   * output, no change in the kernel) gives the tracked "idle".
   */
  private _nudgeWhenStarted(kernel: Kernel.IKernelConnection): void {
    setTimeout(() => {
      if (
        this._kernel === kernel &&
        !kernel.isDisposed &&
        kernel.status === 'starting' &&
        kernel.connectionStatus === 'connected'
      ) {
        kernel.requestExecute(
          { code: '', silent: true, store_history: false },
          true
        );
      }
    }, 1000);
  }

  /**
   * The kernel opened a `k2nb.frontend` comm: k2nb is loaded there and its
   * `k2nb` target is registered. Open this tab's `k2nb` comm right away (even
   * while the `%load_ext` cell or a queued `%%k2` cell runs: the comm lives on
   * a subshell) and take operations from both.
   */
  private readonly _onKernelComm = (
    comm: Kernel.IComm,
    msg: KernelMessage.ICommOpenMsg
  ): void => {
    comm.onMsg = message =>
      this._onOp(comm, message.content.data, message.buffers);
    comm.onClose = () => {
      if (this._downlinkId === comm.commId) {
        this._downlinkId = null;
      }
    };
    if (msg.content.data[LOADED_FIELD] === true && this._comm !== null) {
      // k2nb was just loaded: the comm this tab holds is one of the kernel before a
      // restart it did not hear (another client's). JupyterLab still holds that
      // kernel's subshell for the comm's target too, so open the new one by hand.
      this._comm = null;
      this._missedRestart = true;
    }
    // Told to the kernel in hello: a tab without the kernel's current one gets a new one.
    this._downlinkId = comm.commId;
    this._wanted = true;
    this._maybeOpen(true);
    if ('op' in msg.content.data) {
      this._onOp(comm, msg.content.data, msg.buffers);
    }
  };

  private _maybeOpen(evenIfBusy = false): void {
    const kernel = this._kernel;
    if (
      this._isDisposed ||
      kernel === null ||
      kernel.isDisposed ||
      !this._wanted ||
      this.isOpen ||
      this._opening !== null ||
      (kernel.status !== 'idle' && !evenIfBusy)
    ) {
      return;
    }
    this._wanted = false;
    const byHand = this._missedRestart;
    this._missedRestart = false;
    const opening = {};
    this._opening = opening;
    void infoWithin(kernel, INFO_WAIT_MS).then(async answered => {
      if (this._opening !== opening) {
        return;
      }
      // No kernel info yet: a cell is running, and JupyterLab would open the
      // comm's subshell only after it; open one by hand (falls back to the
      // ordinary comm if the kernel has no subshells). Also after a restart
      // JupyterLab did not hear, whose subshell it would reuse.
      const raw =
        answered && !byHand
          ? null
          : await RawUplink.open(kernel, COMM_TARGET, this._hello(kernel));
      if (raw !== null) {
        raw.onClose = () => {
          if (this._comm === raw) {
            this._comm = null;
          }
        };
      }
      const uplink = raw ?? (await this._openComm(kernel, opening));
      if (this._opening !== opening || this._kernel !== kernel) {
        uplink?.close();
        return;
      }
      this._opening = null;
      if (uplink !== null && !kernel.isDisposed) {
        this._comm = uplink;
      }
    });
  }

  private _hello(kernel: Kernel.IKernelConnection): JSONObject {
    return {
      kind: 'hello',
      clientId: kernel.clientId,
      version: this._version,
      capabilities: [...CAPABILITIES],
      downlink: this._downlinkId,
      ...settingsMessage(this._settings)
    };
  }

  /**
   * Open the `k2nb` comm the ordinary way, once its subshell exists.
   */
  private async _openComm(
    kernel: Kernel.IKernelConnection,
    opening: object
  ): Promise<IUplink | null> {
    let comm: Kernel.IComm;
    try {
      comm = kernel.createComm(COMM_TARGET);
    } catch (reason) {
      // No comm support on this connection, or the kernel went away meanwhile.
      console.debug('k2nb: could not open the comm (ignored)', reason);
      return null;
    }
    comm.onMsg = message =>
      this._onOp(comm, message.content.data, message.buffers);
    comm.onClose = () => {
      if (this._comm === comm) {
        this._comm = null;
      }
    };
    // JupyterLab creates the comm's subshell asynchronously, and `open()` sent
    // before it exists goes to the main shell, where it waits behind a running
    // cell. So open once the subshell is there.
    await subshellReady(kernel, comm);
    if (
      this._opening !== opening ||
      comm.isDisposed ||
      kernel.isDisposed ||
      this._kernel !== kernel
    ) {
      return null;
    }
    try {
      comm.open(this._hello(kernel)).done.catch((reason: unknown) => {
        console.debug('k2nb: comm open did not complete (ignored)', reason);
      });
      return comm;
    } catch (reason) {
      console.debug('k2nb: could not open the comm (ignored)', reason);
      return null;
    }
  }

  /**
   * Send a message to the kernel: over this tab's `k2nb` comm when it is open
   * (so it reaches a subshell), else back over the comm the request came on.
   */
  private _send(fallback: Kernel.IComm, message: JSONObject): void {
    const comm = this.isOpen ? this._comm : fallback;
    if (comm === null || comm.isDisposed) {
      console.debug('k2nb: no open comm to reply on (dropped)', message);
      return;
    }
    comm.send(message);
  }

  private _onOp(
    source: Kernel.IComm,
    data: ReadonlyJSONObject,
    buffers?: ReadonlyArray<ArrayBuffer | ArrayBufferView>
  ): void {
    console.debug('k2nb: message from the kernel', data);
    const kernel = this._kernel;
    if (kernel === null) {
      return;
    }
    const context: IOpContext = {
      panel: this._panel,
      clientId: kernel.clientId,
      send: message => this._send(source, message),
      buffers: buffers ?? []
    };
    try {
      const result = dispatchOp(data, context, this._handlers);
      if (result === 'unknown-op' || result === 'not-an-op') {
        console.warn(`k2nb: ignored a kernel message (${result})`, data);
      }
    } catch (reason) {
      console.error('k2nb: handling a kernel message failed', data, reason);
    }
  }

  private readonly _panel: NotebookPanel;
  private readonly _version: string;
  private readonly _settings: ILinkSettings;
  private readonly _handlers: ReadonlyMap<string, OpHandler>;
  private _kernel: Kernel.IKernelConnection | null = null;
  private _comm: IUplink | null = null;
  private _opening: object | null = null;
  private _downlinkId: string | null = null;
  private _wanted = false;
  private _isDisposed = false;
  private _missedRestart = false;
}

/**
 * Resolves when the comm's subshell (JupyterLab's `commsOverSubshells`) has
 * been created, at once when the comm has none, and after 5 s at the latest
 * (then the comm opens on the main shell, as without subshells).
 */
export async function subshellReady(
  kernel: Kernel.IKernelConnection,
  comm: Kernel.IComm
): Promise<void> {
  const started = (comm as { subshellStarted?: Promise<void> }).subshellStarted;
  if (started === undefined || comm.commsOverSubshells === 'disabled') {
    return;
  }
  try {
    await kernel.info;
  } catch {
    return;
  }
  if (!kernel.supportsSubshells) {
    return;
  }
  return new Promise<void>(resolve => {
    const timer = setTimeout(resolve, 5000);
    const done = (): void => {
      clearTimeout(timer);
      resolve();
    };
    started.then(done, done);
  });
}
