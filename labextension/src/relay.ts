/**
 * Relay of answers from widget views to the kernel.
 *
 * The k2nb live view (an anywidget inside a cell's output) cannot reach Python
 * mid-cell over its own comm, so it dispatches a DOM event instead:
 *
 *     new CustomEvent('k2nb-answer', {detail, bubbles: true, composed: true})
 *
 * with `detail = {kind: 'approval', call_id, decision, code?, reason?}`,
 * `{kind: 'stop', run_id}` or presenter mode's `{kind: 'next', pause_id, step}`. The plugin listens on `document`, finds the
 * notebook whose DOM holds the event's target, and sends
 * `{...detail, kind, clientId}` on that notebook's `k2nb` comm (which reaches
 * a kernel subshell while the cell runs).
 *
 * This module is pure (no JupyterLab at runtime) so it can be unit-tested.
 */

import type { JSONObject, JSONValue } from '@lumino/coreutils';

/**
 * The DOM event name the widget dispatches.
 */
export const ANSWER_EVENT = 'k2nb-answer';

/**
 * Something that owns part of the DOM (a notebook panel) and can send to its kernel.
 */
export interface IRelayTarget {
  /**
   * Whether `node` is inside this target's DOM.
   */
  contains(node: Node): boolean;
}

/**
 * The message to send for an event's `detail`, or null when the detail is not
 * an object with a string `kind` (such events are ignored). Only JSON values
 * are kept; the tab's `clientId` always wins over one in the detail.
 */
export function answerMessage(
  detail: unknown,
  clientId: string
): JSONObject | null {
  if (detail === null || typeof detail !== 'object' || Array.isArray(detail)) {
    return null;
  }
  const source = detail as Record<string, unknown>;
  const kind = source['kind'];
  if (typeof kind !== 'string' || kind === '' || kind === 'hello') {
    return null;
  }
  const message: JSONObject = {};
  for (const [key, value] of Object.entries(source)) {
    const json = toJSON(value);
    if (json !== undefined) {
      message[key] = json;
    }
  }
  message['kind'] = kind;
  message['clientId'] = clientId;
  return message;
}

/**
 * The target whose DOM holds the event, looking along the composed path (so
 * events from inside a shadow root are found too), innermost first.
 */
export function ownerOf<T extends IRelayTarget>(
  path: readonly EventTarget[],
  targets: Iterable<T>
): T | null {
  const candidates = [...targets];
  for (const item of path) {
    if (!isNode(item)) {
      continue;
    }
    for (const target of candidates) {
      if (target.contains(item)) {
        return target;
      }
    }
  }
  return null;
}

function isNode(item: EventTarget): item is Node {
  return typeof (item as Partial<Node>).nodeType === 'number';
}

function toJSON(value: unknown): JSONValue | undefined {
  if (
    value === null ||
    typeof value === 'string' ||
    typeof value === 'boolean' ||
    (typeof value === 'number' && Number.isFinite(value))
  ) {
    return value;
  }
  if (Array.isArray(value)) {
    const items: JSONValue[] = [];
    for (const item of value) {
      const json = toJSON(item);
      items.push(json === undefined ? null : json);
    }
    return items;
  }
  if (typeof value === 'object') {
    const result: JSONObject = {};
    for (const [key, item] of Object.entries(
      value as Record<string, unknown>
    )) {
      const json = toJSON(item);
      if (json !== undefined) {
        result[key] = json;
      }
    }
    return result;
  }
  return undefined;
}
