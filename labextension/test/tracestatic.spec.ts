import { deflateSync } from 'node:zlib';

import type { JSONObject } from '@lumino/coreutils';

import type { IOpMessage } from '../src/protocol';
import { describe, expect, it } from 'vitest';

import {
  inflateJSON,
  replaceWidgetOutputs,
  TRACE_STATIC_DONE,
  WIDGET_VIEW_MIME,
  writesTrace,
  writeTraceStatic
} from '../src/tracestatic';
import { Output, Outputs } from './outputs';

function widgetOutput(modelId: string): Output {
  return {
    output_type: 'display_data',
    data: {
      [WIDGET_VIEW_MIME]: {
        version_major: 2,
        version_minor: 1,
        model_id: modelId
      },
      'text/plain': 'k2nb: running…'
    },
    metadata: {}
  };
}

const BUNDLE = {
  'text/html': '<div class="k2nb-static">Thought · answer: ünïcode ✓</div>',
  'text/plain': 'k2nb · done'
};

describe('trace-static: the tab writes the saved trace', () => {
  it('replaces only the output that shows the finished widget', () => {
    const stream = { output_type: 'stream', data: {}, metadata: {} };
    const first = new Outputs([stream, widgetOutput('run-a')]);
    const second = new Outputs([widgetOutput('run-b')]);
    expect(replaceWidgetOutputs([first, second], 'run-a', BUNDLE)).toBe(1);
    expect(first.items[0]).toBe(stream);
    expect(first.items[1]).toEqual({
      output_type: 'display_data',
      data: BUNDLE,
      metadata: {}
    });
    expect(second.items[0]).toEqual(widgetOutput('run-b'));
  });

  it('inflates the zlib-deflated bundle the kernel sends', async () => {
    const bytes = deflateSync(Buffer.from(JSON.stringify(BUNDLE)));
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    expect(await inflateJSON(view)).toEqual(BUNDLE);
  });

  it('answers found: true after writing, and found: false when the output is not here', async () => {
    const bytes = deflateSync(Buffer.from(JSON.stringify(BUNDLE)));
    const outputs = new Outputs([widgetOutput('run-a')]);
    const sent: JSONObject[] = [];
    const send = (m: JSONObject): void => {
      sent.push(m);
    };
    await writeTraceStatic(
      { op: 'trace-static', token: 't1', model_id: 'run-a' },
      [bytes],
      () => [outputs],
      send
    );
    await writeTraceStatic(
      { op: 'trace-static', token: 't2', model_id: 'elsewhere' },
      [bytes],
      () => [outputs],
      send
    );
    expect(outputs.items[0].data).toEqual(BUNDLE);
    expect(sent).toEqual([
      { kind: TRACE_STATIC_DONE, token: 't1', found: true },
      { kind: TRACE_STATIC_DONE, token: 't2', found: false }
    ]);
  });

  it('answers found: false on a corrupt buffer and leaves the live view in place', async () => {
    const outputs = new Outputs([widgetOutput('run-a')]);
    const sent: JSONObject[] = [];
    await writeTraceStatic(
      { op: 'trace-static', token: 't3', model_id: 'run-a' },
      [new Uint8Array([1, 2, 3])],
      () => [outputs],
      m => {
        sent.push(m);
      }
    );
    expect(sent).toEqual([
      { kind: TRACE_STATIC_DONE, token: 't3', found: false }
    ]);
    expect(outputs.items[0]).toEqual(widgetOutput('run-a'));
  });

  it('puts back the style the kernel sent once, and says so when it does not hold it', async () => {
    const style = '<style>\ndiv.k2nb-trace{color:red}\n</style>';
    const body = {
      ...BUNDLE,
      'text/html': '<div class="k2nb-static k2nb-trace">ok</div>'
    };
    const deflated = deflateSync(Buffer.from(JSON.stringify(body)));
    const sent: JSONObject[] = [];
    const send = (m: JSONObject): void => {
      sent.push(m);
    };
    const first = new Outputs([widgetOutput('run-1')]);
    const second = new Outputs([widgetOutput('run-2')]);
    const elsewhere = new Outputs([widgetOutput('run-3')]);
    const op = (token: string, model: string, key: string): IOpMessage => ({
      op: 'trace-static',
      token,
      model_id: model,
      style: key
    });
    // the first run of this link: the style comes along, in a second buffer
    await writeTraceStatic(
      op('t1', 'run-1', 'style:aa'),
      [deflated, deflateSync(Buffer.from(style))],
      () => [first],
      send
    );
    // a later one names it only
    await writeTraceStatic(
      op('t2', 'run-2', 'style:aa'),
      [deflated],
      () => [second],
      send
    );
    // one this page was never sent
    await writeTraceStatic(
      op('t3', 'run-3', 'style:bb'),
      [deflated],
      () => [elsewhere],
      send
    );
    expect(first.items[0].data['text/html']).toBe(style + body['text/html']);
    expect(second.items[0].data['text/html']).toBe(style + body['text/html']);
    expect(second.items[0].data['text/plain']).toBe(BUNDLE['text/plain']);
    expect(elsewhere.items[0]).toEqual(widgetOutput('run-3')); // left live: the kernel saves it itself
    expect(sent.map(m => m['found'])).toEqual([true, true, false]);
  });

  it('in a collaborative notebook only the named writer writes (one shared output, one copy)', async () => {
    const message = {
      op: 'trace-static',
      token: 't4',
      model_id: 'run-a',
      writer: 'tab-a'
    };
    expect(writesTrace(message, 'tab-a', true)).toBe(true);
    expect(writesTrace(message, 'tab-b', true)).toBe(false);
    expect(writesTrace(message, 'tab-b', false)).toBe(true); // its own copy of the notebook
    const older = { op: 'trace-static', token: 't5', model_id: 'run-a' };
    expect(writesTrace(older, 'tab-b', true)).toBe(true); // a kernel that names no writer
    const bytes = deflateSync(Buffer.from(JSON.stringify(BUNDLE)));
    const outputs = new Outputs([widgetOutput('run-a')]);
    const sent: JSONObject[] = [];
    await writeTraceStatic(
      message,
      [bytes],
      () => [outputs],
      m => {
        sent.push(m);
      },
      false
    );
    expect(outputs.items[0]).toEqual(widgetOutput('run-a')); // left to the writer
    expect(sent).toEqual([
      { kind: TRACE_STATIC_DONE, token: 't4', found: false }
    ]);
  });

  it('a tab that does not write keeps the style for the run it will write', async () => {
    const style = '<style>\ndiv.k2nb-trace{color:blue}\n</style>';
    const body = { ...BUNDLE, 'text/html': '<div class="k2nb-static">b</div>' };
    const deflated = deflateSync(Buffer.from(JSON.stringify(body)));
    const found: unknown[] = [];
    const send = (m: JSONObject): void => {
      found.push(m['found']);
    };
    // A's run: the style rides along once on the link; B, not the writer, writes nothing
    const shared = new Outputs([widgetOutput('run-a')]);
    await writeTraceStatic(
      {
        op: 'trace-static',
        token: 't6',
        model_id: 'run-a',
        style: 'style:cc',
        writer: 'tab-a'
      },
      [deflated, deflateSync(Buffer.from(style))],
      () => [shared],
      send,
      false
    );
    // B's own run later names the style only
    const mine = new Outputs([widgetOutput('run-b')]);
    await writeTraceStatic(
      {
        op: 'trace-static',
        token: 't7',
        model_id: 'run-b',
        style: 'style:cc',
        writer: 'tab-b'
      },
      [deflated],
      () => [mine],
      send
    );
    expect(shared.items[0]).toEqual(widgetOutput('run-a'));
    expect(mine.items[0].data['text/html']).toBe(style + body['text/html']);
    expect(found).toEqual([false, true]);
  });
});
