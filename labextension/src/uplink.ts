/**
 * The tab's `k2nb` comm, opened by hand on a kernel subshell when the page
 * loads while a cell runs (a reload or a second tab mid-run).
 *
 * JupyterLab starts a comm's subshell only once the kernel has answered
 * `kernel_info_request`, and a busy main shell answers it only when the cell
 * ends: such a page would say hello after the run it wants to show. Creating a
 * subshell (control channel) and sending comm messages with its id (shell
 * channel) need no kernel info, so this sends them itself. The kernel never
 * sends on the `k2nb` comm, so the only message to watch for is its close.
 */

import { KernelMessage } from '@jupyterlab/services';
import type { Kernel } from '@jupyterlab/services';
import type { JSONObject } from '@lumino/coreutils';

/**
 * What the link needs of its comm to the kernel, JupyterLab's or this one.
 */
export interface IUplink {
  readonly isDisposed: boolean;
  send(data: JSONObject): void;
  close(): void;
}

/**
 * Resolves true if the kernel has answered kernel_info within `ms`.
 */
export function infoWithin(
  kernel: Kernel.IKernelConnection,
  ms: number
): Promise<boolean> {
  return new Promise<boolean>(resolve => {
    const timer = setTimeout(() => resolve(false), ms);
    kernel.info.then(
      () => {
        clearTimeout(timer);
        resolve(true);
      },
      () => {
        clearTimeout(timer);
        resolve(false);
      }
    );
  });
}

function uuid(): string {
  return crypto.randomUUID().replace(/-/g, '');
}

export class RawUplink implements IUplink {
  private constructor(
    private readonly _kernel: Kernel.IKernelConnection,
    private readonly _commId: string,
    private readonly _subshellId: string
  ) {
    _kernel.iopubMessage.connect(this._onIOPub, this);
    _kernel.statusChanged.connect(this._onStatus, this);
  }

  /**
   * Create a subshell and open comm `target` on it with `data`; null if the
   * kernel has no subshells or does not answer within `timeoutMs`.
   */
  static async open(
    kernel: Kernel.IKernelConnection,
    target: string,
    data: JSONObject,
    timeoutMs = 5000
  ): Promise<RawUplink | null> {
    const request = KernelMessage.createMessage({
      msgType: 'create_subshell_request',
      channel: 'control',
      session: kernel.clientId,
      username: kernel.username,
      content: {}
    });
    let subshellId: unknown;
    console.debug(
      'k2nb: the kernel is busy; opening the link on a subshell by hand'
    );
    try {
      const future = kernel.sendControlMessage(request, true, true);
      const reply = await Promise.race([
        future.done,
        new Promise<null>(resolve => setTimeout(() => resolve(null), timeoutMs))
      ]);
      subshellId = (reply?.content as { subshell_id?: unknown } | undefined)
        ?.subshell_id;
    } catch (reason) {
      console.debug('k2nb: no kernel subshell for the link', reason);
      return null;
    }
    if (typeof subshellId !== 'string' || kernel.isDisposed) {
      console.debug('k2nb: no subshell for the link', subshellId);
      return null;
    }
    const uplink = new RawUplink(kernel, uuid(), subshellId);
    uplink._shell('comm_open', {
      comm_id: uplink._commId,
      target_name: target,
      data
    });
    return uplink;
  }

  get isDisposed(): boolean {
    return this._isDisposed;
  }

  /**
   * Called when the kernel closes the comm (k2nb is not loaded there).
   */
  onClose: (() => void) | null = null;

  send(data: JSONObject): void {
    if (!this._isDisposed) {
      this._shell('comm_msg', { comm_id: this._commId, data });
    }
  }

  close(): void {
    if (this._isDisposed) {
      return;
    }
    this._shell('comm_close', { comm_id: this._commId, data: {} });
    this._dispose();
  }

  private _shell(
    msgType: 'comm_open' | 'comm_msg' | 'comm_close',
    content: JSONObject
  ): void {
    // The comm messages' own content types, as createMessage's overloads take them.
    const msg = KernelMessage.createMessage<KernelMessage.ICommMsgMsg<'shell'>>(
      {
        msgType: msgType as 'comm_msg',
        channel: 'shell',
        session: this._kernel.clientId,
        username: this._kernel.username,
        subshellId: this._subshellId,
        content:
          content as unknown as KernelMessage.ICommMsgMsg<'shell'>['content']
      }
    );
    try {
      this._kernel.sendShellMessage(msg, false, true);
    } catch (reason) {
      console.debug('k2nb: could not send on the link (ignored)', reason);
      this._dispose();
    }
  }

  private _onIOPub(
    _kernel: Kernel.IKernelConnection,
    msg: KernelMessage.IIOPubMessage
  ): void {
    // The kernel closes a comm whose target it does not know (k2nb not loaded).
    if (
      msg.header.msg_type === 'comm_close' &&
      (msg.content as { comm_id?: unknown }).comm_id === this._commId
    ) {
      this._dispose();
      this.onClose?.();
    }
  }

  private _onStatus(
    _kernel: Kernel.IKernelConnection,
    status: Kernel.Status
  ): void {
    // A restart ends every subshell and comm.
    if (
      status === 'restarting' ||
      status === 'autorestarting' ||
      status === 'dead'
    ) {
      this._dispose();
    }
  }

  private _dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    if (!this._kernel.isDisposed) {
      this._kernel.iopubMessage.disconnect(this._onIOPub, this);
      this._kernel.statusChanged.disconnect(this._onStatus, this);
    }
  }

  private _isDisposed = false;
}
