import { describe, expect, it } from 'vitest';

import { answerMessage, IRelayTarget, ownerOf } from '../src/relay';

/**
 * Fake DOM nodes: each knows its ancestors.
 */
function node(name: string, parent?: IFakeNode): IFakeNode {
  return { nodeType: 1, name, parent } as IFakeNode;
}
interface IFakeNode extends Node {
  name: string;
  parent?: IFakeNode;
}
function panel(name: string, root: IFakeNode): IRelayTarget & { name: string } {
  return {
    name,
    contains: (n: Node) => {
      for (let at: IFakeNode | undefined = n as IFakeNode; at; at = at.parent) {
        if (at === root) {
          return true;
        }
      }
      return false;
    }
  };
}

describe('ownerOf', () => {
  const body = node('body');
  const nb1 = node('nb1', body);
  const nb2 = node('nb2', body);
  const output = node('output', nb2);
  const shadowButton = node('button'); // inside a shadow root: not a DOM descendant
  const panels = [panel('one', nb1), panel('two', nb2)];

  it('finds the notebook whose DOM holds the event target', () => {
    expect(ownerOf([output, nb2, body, {} as EventTarget], panels)?.name).toBe(
      'two'
    );
  });

  it('looks along the composed path (shadow DOM)', () => {
    expect(ownerOf([shadowButton, output, nb2], panels)?.name).toBe('two');
  });

  it('gives null outside every notebook', () => {
    expect(ownerOf([body], panels)).toBeNull();
    expect(ownerOf([], panels)).toBeNull();
  });
});

describe('answerMessage', () => {
  it('relays approvals and stop with the tab clientId', () => {
    expect(
      answerMessage(
        {
          kind: 'approval',
          call_id: 'c1',
          decision: 'edit',
          code: 'x = 1',
          reason: undefined
        },
        'tab'
      )
    ).toEqual({
      kind: 'approval',
      call_id: 'c1',
      decision: 'edit',
      code: 'x = 1',
      clientId: 'tab'
    });
    expect(
      answerMessage({ kind: 'stop', run_id: 'r1', clientId: 'spoofed' }, 'tab')
    ).toEqual({
      kind: 'stop',
      run_id: 'r1',
      clientId: 'tab'
    });
  });

  it('drops what is not an answer', () => {
    for (const detail of [
      null,
      undefined,
      'stop',
      [],
      {},
      { kind: 3 },
      { kind: '' },
      { kind: 'hello' }
    ]) {
      expect(answerMessage(detail, 'tab')).toBeNull();
    }
  });

  it('keeps only JSON values', () => {
    expect(
      answerMessage(
        {
          kind: 'stop',
          n: NaN,
          f: () => 1,
          list: [1, undefined],
          nested: { a: 1 }
        },
        'tab'
      )
    ).toEqual({
      kind: 'stop',
      list: [1, null],
      nested: { a: 1 },
      clientId: 'tab'
    });
  });
});
