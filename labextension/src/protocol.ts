/**
 * The k2nb comm protocol, frontend side: the message shapes and the dispatcher
 * for operations the kernel asks the notebook to perform.
 *
 * Two comms connect a notebook tab and its kernel:
 * - `k2nb` (COMM_TARGET): opened by the tab, target registered by k2nb in the
 *   kernel. It carries frontend -> kernel messages `{kind: string, clientId, ...}`:
 *   `hello` on open (with the version and settings), `settings` when they
 *   change, `pong`, and the live view's answers relayed from DOM events
 *   (`approval`, `stop`, presenter mode's `next`; see relay.ts). JupyterLab routes it to
 *   a kernel subshell, so these reach Python while a cell runs, as long as the
 *   kernel does not send on this comm from the main thread: ipykernel routes a
 *   comm's incoming messages to the shell that last sent on it.
 * - `k2nb.frontend` (FRONTEND_TARGET): opened by the kernel, target registered
 *   here. Opening it asks every tab to open its `k2nb` comm (used after
 *   `%load_ext k2nb`); its messages are kernel -> frontend operations
 *   `{op: string, ...}`, routed by `op` through a handler map.
 *
 * Operations are accepted on either comm. This module has no runtime dependency
 * on JupyterLab, so it can be unit-tested on its own.
 */

import type { NotebookPanel } from '@jupyterlab/notebook';
import type { JSONObject, ReadonlyJSONObject } from '@lumino/coreutils';

/**
 * The target of the comm the frontend opens (registered by k2nb in the kernel).
 */
export const COMM_TARGET = 'k2nb';

/**
 * The target of comms the kernel opens (registered by this extension).
 */
export const FRONTEND_TARGET = 'k2nb.frontend';

/**
 * Set (true) in the data of the `k2nb.frontend` open that k2nb sends when it
 * is loaded: a `k2nb` comm a tab still holds then belongs to an earlier kernel.
 */
export const LOADED_FIELD = 'loaded';

/**
 * A kernel -> frontend message: an operation name plus its arguments.
 */
export interface IOpMessage extends ReadonlyJSONObject {
  readonly op: string;
}

/**
 * What a handler may use to carry out an operation.
 */
export interface IOpContext {
  /**
   * The notebook whose kernel sent the message.
   */
  readonly panel: NotebookPanel;

  /**
   * This tab's kernel client id (the `session` of its execute requests).
   */
  readonly clientId: string;

  /**
   * Send a `{kind: ...}` message back to the kernel over the same comm.
   */
  send(message: JSONObject): void;

  /**
   * The message's binary buffers (empty for most operations).
   */
  readonly buffers: ReadonlyArray<ArrayBuffer | ArrayBufferView>;
}

/**
 * Carries out one operation.
 */
export type OpHandler = (message: IOpMessage, context: IOpContext) => void;

/**
 * The outcome of dispatching one message.
 */
export type DispatchResult =
  'handled' | 'other-client' | 'unknown-op' | 'not-an-op';

/**
 * Answer `{op: "ping", id}` with `{kind: "pong", id}`: lets the kernel side
 * check that a notebook tab is connected and responsive.
 */
function handlePing(message: IOpMessage, context: IOpContext): void {
  const id = message['id'];
  context.send({
    kind: 'pong',
    id: typeof id === 'string' || typeof id === 'number' ? id : null
  });
}

/**
 * The operations every tab answers, keyed by `op`. The plugin adds the cell
 * operations (`cells-begin`, `cell-insert`, `cell-append`, `cell-update`; see
 * cells.ts) from cellsync.ts, and `trace-static` from tracestatic.ts, which
 * need a notebook model.
 */
export const OP_HANDLERS: ReadonlyMap<string, OpHandler> = new Map<
  string,
  OpHandler
>([['ping', handlePing]]);

/**
 * Whether `data` is an `{op: string, ...}` message.
 */
export function isOpMessage(data: ReadonlyJSONObject): data is IOpMessage {
  return typeof data['op'] === 'string';
}

/**
 * Route one kernel message to its handler.
 *
 * A message with a `clientId` is meant for that tab only (the one whose session
 * ran the cell) and is ignored elsewhere. Errors thrown by a handler propagate
 * to the caller.
 */
export function dispatchOp(
  data: ReadonlyJSONObject,
  context: IOpContext,
  handlers: ReadonlyMap<string, OpHandler> = OP_HANDLERS
): DispatchResult {
  if (!isOpMessage(data)) {
    return 'not-an-op';
  }
  const clientId = data['clientId'];
  if (typeof clientId === 'string' && clientId !== context.clientId) {
    return 'other-client';
  }
  const handler = handlers.get(data.op);
  if (handler === undefined) {
    return 'unknown-op';
  }
  handler(data, context);
  return 'handled';
}
