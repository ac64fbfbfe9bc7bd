/**
 * The saved copy of a finished k2nb run, written by the tab.
 *
 * While a run streams, its output shows the live view (a widget). When it ends,
 * the kernel sends `{op: "trace-static", token, model_id, writer}` on
 * `k2nb.frontend` with one binary buffer: the output's final mime bundle
 * (static HTML + plain text) as zlib-deflated JSON. Every tab replaces the
 * output that shows widget `model_id` with that bundle (what the kernel's
 * `update_display` would have set, without sending it uncompressed), then
 * answers `{kind: "trace-static-done", token, found}`. In a collaborative
 * notebook the tabs share one output, so only `writer` (the tab that ran the
 * cell, or one that attached to the run) writes it: two writers would each
 * put a copy in. The kernel waits for the answer of the tab that ran the cell
 * and otherwise sends the `update_display` itself.
 *
 * The bundle's leading `<style>` (the rules the trace uses) is sent once per
 * link: the op then names it (`style`, a hash) and carries it deflated in a
 * second buffer; later ops name it alone and the page puts back the copy it
 * keeps (answering `found: false` if it has none, so the kernel resends it).
 */

import type { NotebookPanel } from '@jupyterlab/notebook';
import type {
  PartialJSONObject,
  ReadonlyPartialJSONObject
} from '@lumino/coreutils';

import { isCollaborative } from './collab';
import type { IOpContext, IOpMessage, OpHandler } from './protocol';

export const TRACE_STATIC_OP = 'trace-static';
export const TRACE_STATIC_DONE = 'trace-static-done';
export const WIDGET_VIEW_MIME = 'application/vnd.jupyter.widget-view+json';

/**
 * The output type of a live view shown by the labextension in a tab that
 * attached to the run mid-run (reattach.ts); it carries the same model_id.
 */
export const LIVE_MIME = 'application/vnd.k2nb.live+json';

/**
 * What this module needs of a cell's output list (JupyterLab's IOutputAreaModel has it).
 */
export interface IOutputList {
  readonly length: number;
  get(index: number): { readonly data: ReadonlyPartialJSONObject };
  set(
    index: number,
    output: {
      output_type: 'display_data';
      data: PartialJSONObject;
      metadata: PartialJSONObject;
    }
  ): void;
}

/**
 * Replace every output that shows widget `modelId` (live or attached) with `bundle`; returns how many.
 */
export function replaceWidgetOutputs(
  lists: Iterable<IOutputList>,
  modelId: string,
  bundle: PartialJSONObject
): number {
  let replaced = 0;
  for (const outputs of lists) {
    for (let i = 0; i < outputs.length; i++) {
      const data = outputs.get(i).data;
      const view = (data[WIDGET_VIEW_MIME] ?? data[LIVE_MIME]) as
        { model_id?: unknown } | undefined;
      if (view && view.model_id === modelId) {
        outputs.set(i, {
          output_type: 'display_data',
          data: bundle,
          metadata: {}
        });
        replaced++;
      }
    }
  }
  return replaced;
}

/**
 * Inflate zlib-deflated UTF-8 text.
 */
export async function inflateText(
  buffer: ArrayBuffer | ArrayBufferView
): Promise<string> {
  const bytes = ArrayBuffer.isView(buffer)
    ? new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength)
    : new Uint8Array(buffer);
  const stream = new Blob([bytes])
    .stream()
    .pipeThrough(new DecompressionStream('deflate'));
  return new Response(stream).text();
}

/**
 * Inflate a zlib-deflated JSON object.
 */
export async function inflateJSON(
  buffer: ArrayBuffer | ArrayBufferView
): Promise<PartialJSONObject> {
  const value: unknown = JSON.parse(await inflateText(buffer));
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new Error('the trace bundle is not a JSON object');
  }
  return value as PartialJSONObject;
}

/**
 * The saved traces' styles this page was sent, by key; few (one per set of
 * rules a trace uses), so a small bound keeps a long-lived page's memory flat.
 */
const styles = new Map<string, string>();
const MAX_STYLES = 32;

/**
 * Keep the `<style>` a keyed op carries in its second buffer (the kernel sends
 * each one once per link, so a tab keeps it even when it writes nothing).
 */
async function keepStyle(
  message: IOpMessage,
  buffers: ReadonlyArray<ArrayBuffer | ArrayBufferView>
): Promise<void> {
  const key = message['style'];
  if (typeof key === 'string' && buffers.length > 1) {
    styles.delete(key);
    styles.set(key, await inflateText(buffers[1]));
    if (styles.size > MAX_STYLES) {
      styles.delete(styles.keys().next().value as string);
    }
  }
}

/**
 * Put a keyed op's `<style>` back in front of the bundle's HTML: from the
 * op's second buffer (and kept), or from the copy this page keeps.
 */
export async function withStyle(
  message: IOpMessage,
  buffers: ReadonlyArray<ArrayBuffer | ArrayBufferView>,
  bundle: PartialJSONObject
): Promise<PartialJSONObject> {
  const key = message['style'];
  if (typeof key !== 'string') {
    return bundle;
  }
  await keepStyle(message, buffers);
  const style = styles.get(key);
  if (style === undefined) {
    throw new Error(`this page does not hold the trace style ${key}`);
  }
  const html = bundle['text/html'];
  return {
    ...bundle,
    'text/html': style + (typeof html === 'string' ? html : '')
  };
}

function outputLists(panel: NotebookPanel): IOutputList[] {
  const lists: IOutputList[] = [];
  for (const cell of panel.content.widgets) {
    const outputs = (cell.model as { outputs?: IOutputList }).outputs;
    if (outputs !== undefined) {
      lists.push(outputs);
    }
  }
  return lists;
}

/**
 * Whether this tab writes the trace: always in a notebook of its own; in a
 * collaborative one, only the `writer` the kernel named (a kernel that names
 * none is older: every tab writes, as before).
 */
export function writesTrace(
  message: IOpMessage,
  clientId: string,
  collaborative: boolean
): boolean {
  const writer = message['writer'];
  return !collaborative || typeof writer !== 'string' || writer === clientId;
}

/**
 * Carry out `trace-static` in one tab, given its output lists; always answers
 * (`found: false` from a tab that is not to write).
 */
export async function writeTraceStatic(
  message: IOpMessage,
  buffers: ReadonlyArray<ArrayBuffer | ArrayBufferView>,
  lists: () => Iterable<IOutputList>,
  send: IOpContext['send'],
  writes = true
): Promise<void> {
  const token = typeof message['token'] === 'string' ? message['token'] : '';
  if (!writes) {
    // Another tab writes this one; the style rides once per link, so keep it for the next.
    await keepStyle(message, buffers).catch((reason: unknown) => {
      console.warn('k2nb: could not keep the trace style', reason);
    });
    send({ kind: TRACE_STATIC_DONE, token, found: false });
    return;
  }
  let found = false;
  try {
    const modelId = message['model_id'];
    if (typeof modelId !== 'string' || buffers.length === 0) {
      throw new Error('a trace-static message needs a model_id and a buffer');
    }
    const bundle = await withStyle(
      message,
      buffers,
      await inflateJSON(buffers[0])
    );
    found = replaceWidgetOutputs(lists(), modelId, bundle) > 0;
  } catch (reason) {
    // The kernel then sends the bundle itself (update_display).
    console.warn('k2nb: could not write the finished trace here', reason);
  }
  send({ kind: TRACE_STATIC_DONE, token, found });
}

const handleTraceStatic: OpHandler = (message, context) => {
  void writeTraceStatic(
    message,
    context.buffers,
    () => outputLists(context.panel),
    context.send,
    writesTrace(message, context.clientId, isCollaborative(context.panel))
  );
};

export const TRACE_STATIC_HANDLERS: ReadonlyArray<[string, OpHandler]> = [
  [TRACE_STATIC_OP, handleTraceStatic]
];
