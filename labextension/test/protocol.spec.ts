import type { NotebookPanel } from '@jupyterlab/notebook';
import type { JSONObject } from '@lumino/coreutils';
import { describe, expect, it } from 'vitest';

import {
  dispatchOp,
  IOpContext,
  isOpMessage,
  OP_HANDLERS,
  OpHandler
} from '../src/protocol';

function context(clientId = 'tab-1'): { ctx: IOpContext; sent: JSONObject[] } {
  const sent: JSONObject[] = [];
  const ctx: IOpContext = {
    panel: {} as NotebookPanel,
    clientId,
    send: message => {
      sent.push(message);
    },
    buffers: []
  };
  return { ctx, sent };
}

describe('dispatchOp', () => {
  it('answers ping with pong and echoes the id', () => {
    const { ctx, sent } = context();
    expect(dispatchOp({ op: 'ping', id: 7 }, ctx)).toBe('handled');
    expect(sent).toEqual([{ kind: 'pong', id: 7 }]);
  });

  it('echoes only string or number ids', () => {
    const { ctx, sent } = context();
    dispatchOp({ op: 'ping', id: { nested: true } }, ctx);
    dispatchOp({ op: 'ping' }, ctx);
    expect(sent).toEqual([
      { kind: 'pong', id: null },
      { kind: 'pong', id: null }
    ]);
  });

  it('reports messages without an op and unknown ops', () => {
    const { ctx, sent } = context();
    expect(dispatchOp({ kind: 'hello' }, ctx)).toBe('not-an-op');
    expect(dispatchOp({ op: 42 }, ctx)).toBe('not-an-op');
    expect(dispatchOp({ op: 'no-such-op' }, ctx)).toBe('unknown-op');
    expect(dispatchOp({ op: 'toString' }, ctx)).toBe('unknown-op');
    expect(sent).toEqual([]);
  });

  it('ignores messages addressed to another tab', () => {
    const { ctx, sent } = context('tab-1');
    expect(dispatchOp({ op: 'ping', clientId: 'tab-2' }, ctx)).toBe(
      'other-client'
    );
    expect(dispatchOp({ op: 'ping', clientId: 'tab-1', id: 1 }, ctx)).toBe(
      'handled'
    );
    expect(sent).toEqual([{ kind: 'pong', id: 1 }]);
  });

  it('routes through a custom handler map', () => {
    const seen: string[] = [];
    const handlers = new Map<string, OpHandler>([
      ['insert-cell', message => seen.push(String(message['after']))]
    ]);
    const { ctx } = context();
    expect(dispatchOp({ op: 'insert-cell', after: 'c1' }, ctx, handlers)).toBe(
      'handled'
    );
    expect(dispatchOp({ op: 'ping' }, ctx, handlers)).toBe('unknown-op');
    expect(seen).toEqual(['c1']);
  });

  it('lets handler errors propagate', () => {
    const handlers = new Map<string, OpHandler>([
      [
        'boom',
        () => {
          throw new Error('boom');
        }
      ]
    ]);
    expect(() => dispatchOp({ op: 'boom' }, context().ctx, handlers)).toThrow(
      'boom'
    );
  });
});

describe('isOpMessage', () => {
  it('needs a string op', () => {
    expect(isOpMessage({ op: 'ping' })).toBe(true);
    expect(isOpMessage({ op: null })).toBe(false);
    expect(isOpMessage({})).toBe(false);
  });

  it('ships ping in the default handler map', () => {
    expect([...OP_HANDLERS.keys()]).toContain('ping');
  });
});
