// @vitest-environment happy-dom
/**
 * The live view's module (k2nb/ui/widget.js) keeps each run's ops so that late
 * or re-rendered views rebuild; these check that it lets them go again.
 */
import { describe, expect, it } from 'vitest';

import liveView, { heldRunLogs } from '../../k2nb/ui/widget.js';

type Listener = (msg: unknown, buffers?: ArrayBuffer[]) => void;

/**
 * A widget model as anywidget hands it to the view: the run id, and the
 * kernel's custom messages (uncompressed, as with K2NB_LIVE_COMPRESSION=0).
 */
class Model {
  constructor(readonly runId: string) {}

  get(name: string): unknown {
    return name === 'run_id' ? this.runId : undefined;
  }

  on(_event: string, listener: Listener): void {
    this.listeners.add(listener);
  }

  off(_event: string, listener: Listener): void {
    this.listeners.delete(listener);
  }

  send(ops: object[]): void {
    for (const listener of this.listeners) {
      listener({ ops }, []);
    }
  }

  readonly listeners = new Set<Listener>();
}

const THINKING = [
  { op: 'block', id: 'think-1', kind: 'thinking', title: 'Thinking…' },
  { op: 'append', id: 'think-1', text: 'Looking at the data.' }
];
const RUNNING = { op: 'status', phase: 'thinking', text: 'thinking · 0.5 s' };
const DONE = { op: 'status', phase: 'done', text: 'done · 1.2 s', final: true };

function start(runId: string): { model: Model; close: () => void } {
  const model = new Model(runId);
  const close = liveView.initialize({ model });
  return { model, close };
}

function show(model: Model): { el: HTMLElement; remove: () => void } {
  const el = document.createElement('div');
  document.body.append(el);
  const cleanup = liveView.render({ model, el });
  return {
    el,
    remove: () => {
      cleanup();
      el.remove();
    }
  };
}

describe('the live view keeps a run while something may show it', () => {
  it('rebuilds a view that renders after the run began, or again after its view went', () => {
    const { model } = start('late');
    model.send([...THINKING, RUNNING]);
    const first = show(model);
    expect(first.el.textContent).toContain('Looking at the data.');
    first.remove();
    expect(heldRunLogs()).toContain('late');
    const again = show(model);
    expect(again.el.textContent).toContain('Looking at the data.');
    expect(again.el.textContent).toContain('thinking · 0.5 s');
    again.remove();
  });
});

describe('the live view lets a run go', () => {
  it('once the run has ended and its view is removed', () => {
    const { model } = start('ended');
    const view = show(model);
    model.send([...THINKING, DONE]);
    expect(view.el.textContent).toContain('Looking at the data.');
    expect(view.el.textContent).toContain('done · 1.2 s');
    expect(heldRunLogs()).toContain('ended');
    view.remove();
    expect(heldRunLogs()).not.toContain('ended');
  });

  it('at once when the run ends with no view open', () => {
    const { model } = start('unseen');
    model.send([...THINKING]);
    expect(heldRunLogs()).toContain('unseen');
    model.send([DONE]);
    expect(heldRunLogs()).not.toContain('unseen');
  });

  it('when its model closes, mid-run', () => {
    const { model, close } = start('closed');
    model.send([...THINKING, RUNNING]);
    const view = show(model);
    view.remove();
    close();
    expect(heldRunLogs()).not.toContain('closed');
    expect(model.listeners.size).toBe(0);
  });
});
