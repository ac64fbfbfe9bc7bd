import { describe, expect, it, vi } from 'vitest';

import type { NotebookPanel } from '@jupyterlab/notebook';

import type { IOpContext, IOpMessage, OpHandler } from '../src/protocol';
import {
  AttachedRun,
  AttachedRuns,
  LIVE_MIME,
  placeLiveOutput,
  RUN_ATTACH_OP,
  showsRun
} from '../src/reattach';
import { isMissingK2Magic, LostRuns } from '../src/restart';
import {
  replaceWidgetOutputs,
  TRACE_STATIC_OP,
  WIDGET_VIEW_MIME
} from '../src/tracestatic';
import { Output, Outputs } from './outputs';

const stream: Output = { output_type: 'stream', data: {}, metadata: {} };

describe('placeLiveOutput (the run shown live again in its cell)', () => {
  it('replaces the saved widget view of the run', () => {
    const outputs = new Outputs([
      stream,
      {
        output_type: 'display_data',
        data: { [WIDGET_VIEW_MIME]: { model_id: 'm1' } },
        metadata: {}
      }
    ]);
    expect(placeLiveOutput(outputs, 'r1', 'm1', 'wait')).toBe('replaced');
    expect(outputs.items).toHaveLength(2);
    expect(outputs.items[1].data[LIVE_MIME]).toEqual({
      run_id: 'r1',
      model_id: 'm1'
    });
    expect(outputs.items[1].data['text/plain']).toBe('wait');
  });

  it('adds it to a cell saved before the run (or never saved)', () => {
    const outputs = new Outputs([stream]);
    expect(placeLiveOutput(outputs, 'r1', 'm1', 'wait')).toBe('added');
    expect(outputs.items).toHaveLength(2);
    // attaching again replaces, never duplicates
    expect(placeLiveOutput(outputs, 'r1', 'm1', 'wait')).toBe('replaced');
    expect(outputs.items).toHaveLength(2);
  });

  it('leaves other runs alone', () => {
    const other = {
      output_type: 'display_data',
      data: { [LIVE_MIME]: { run_id: 'r0', model_id: 'm0' } },
      metadata: {}
    };
    expect(showsRun(other.data, 'r1', 'm1')).toBe(false);
    const outputs = new Outputs([other]);
    placeLiveOutput(outputs, 'r1', 'm1', 'wait');
    expect(outputs.items[0]).toBe(other);
  });

  it('the finished trace replaces an attached live output too', () => {
    const outputs = new Outputs([stream]);
    placeLiveOutput(outputs, 'r1', 'm1', 'wait');
    expect(
      replaceWidgetOutputs([outputs], 'm1', { 'text/html': '<b>done</b>' })
    ).toBe(1);
    expect(outputs.items[1].data).toEqual({ 'text/html': '<b>done</b>' });
  });
});

describe('AttachedRun (feeds the live view module its messages, in order)', () => {
  it('initializes once, delivers before and after the module loads, renders late views', async () => {
    const seen: string[] = [];
    let load: (m: unknown) => void = () => undefined;
    const module = new Promise(resolve => {
      load = resolve;
    });
    const fake = {
      default: {
        initialize({
          model
        }: {
          model: {
            on(e: string, f: (m: unknown, b: unknown[]) => void): void;
            get(n: string): unknown;
          };
        }) {
          seen.push(`init ${String(model.get('run_id'))}`);
          model.on('msg:custom', (msg, buffers) =>
            seen.push(`msg ${JSON.stringify(msg)} ${String(buffers[0])}`)
          );
        },
        render() {
          seen.push('render');
          return () => seen.push('cleanup');
        }
      }
    };
    const run = new AttachedRun('r1', 'm1', module as never);
    run.deliver('a' as never);
    run.deliver('b' as never);
    load(fake);
    const cleanup = await run.render({} as HTMLElement);
    run.deliver('c' as never);
    await run.render({} as HTMLElement);
    cleanup();
    expect(seen).toEqual([
      'init r1',
      'msg {"z":1} a',
      'msg {"z":1} b',
      'render',
      'msg {"z":1} c',
      'render',
      'cleanup'
    ]);
  });
});

/**
 * A live view module that counts its views, as AttachedRun loads it.
 */
function countingModule(): {
  module: Promise<never>;
  views: () => number;
} {
  let views = 0;
  const module = Promise.resolve({
    default: {
      render() {
        views++;
        return () => views--;
      }
    }
  });
  return { module: module as Promise<never>, views: () => views };
}

describe('AttachedRun (ended runs let go once no view shows them)', () => {
  it('is released when it has ended and its last view is gone, once', async () => {
    const released: string[] = [];
    const view = countingModule();
    const run = new AttachedRun('r1', 'm1', view.module, r =>
      released.push(r.runId)
    );
    const first = await run.render({} as HTMLElement);
    const second = await run.render({} as HTMLElement);
    run.end();
    expect(released).toEqual([]); // two views still show it
    first();
    first(); // a cleanup called twice counts once
    expect(released).toEqual([]);
    second();
    expect(released).toEqual(['r1']);
    expect(view.views()).toBe(0);
  });

  it('is kept while it streams, whatever its views do', async () => {
    const released: string[] = [];
    const run = new AttachedRun('r1', 'm1', countingModule().module, r =>
      released.push(r.runId)
    );
    (await run.render({} as HTMLElement))(); // e.g. the output re-rendered
    expect(released).toEqual([]);
    run.end();
    expect(released).toEqual(['r1']);
  });
});

function panelWith(cellId: string, outputs: Outputs): NotebookPanel {
  return {
    content: { model: { cells: [{ id: cellId, outputs }] } }
  } as unknown as NotebookPanel;
}

describe('AttachedRuns (a page does not keep every run it attached to)', () => {
  it('forgets a run once its saved trace is written and no view shows it', async () => {
    // Node cannot import the view's code from a blob URL (a browser test renders it): quiet its error.
    const quiet = vi
      .spyOn(console, 'error')
      .mockImplementation(() => undefined);
    const runs = new AttachedRuns();
    const outputs = new Outputs([stream]);
    const context: IOpContext = {
      panel: panelWith('c1', outputs),
      clientId: 'tab',
      send: () => undefined,
      buffers: [new Uint8Array([120, 156])]
    };
    const attach = new Map(runs.handlers).get(RUN_ATTACH_OP) as OpHandler;
    for (const [run, model] of [
      ['r1', 'm1'],
      ['r2', 'm2']
    ]) {
      const message: IOpMessage = {
        op: RUN_ATTACH_OP,
        run_id: run,
        model_id: model,
        cell_id: 'c1',
        esm: 'export default {render() {}}'
      };
      attach(message, context);
    }
    expect(runs.size).toBe(2);
    const written: string[] = [];
    const [[op, handle]] = runs.endingRuns([
      [TRACE_STATIC_OP, m => written.push(String(m['model_id']))]
    ]);
    expect(op).toBe(TRACE_STATIC_OP);
    handle({ op, token: 't', model_id: 'm1' }, context);
    expect(written).toEqual(['m1']); // the saved trace's own handler ran
    expect(runs.get('r1')).toBeUndefined();
    expect(runs.get('r2')).toBeDefined(); // still streaming
    expect(runs.size).toBe(1);
    runs.clear(); // a restart forgets the rest
    expect(runs.size).toBe(0);
    await vi.waitFor(() => expect(quiet).toHaveBeenCalledTimes(2));
    quiet.mockRestore();
  });
});

describe('AttachedRuns in a collaborative notebook', () => {
  async function attach(collaborative: boolean) {
    const widget = {
      output_type: 'display_data',
      data: { [WIDGET_VIEW_MIME]: { model_id: 'm1' } },
      metadata: {}
    };
    const outputs = new Outputs([stream, widget]);
    const panel = {
      content: { model: { collaborative, cells: [{ id: 'c1', outputs }] } }
    };
    const shown: string[] = [];
    const runs = new AttachedRuns((_panel, cellId, run) => {
      shown.push(`${cellId} ${run.runId}`);
      return true;
    });
    const handler = new Map(runs.handlers).get(RUN_ATTACH_OP)!;
    // The view's code cannot load here (no blob: modules in node); that is logged, and beside the point.
    const quiet = vi
      .spyOn(console, 'error')
      .mockImplementation(() => undefined);
    handler(
      {
        op: RUN_ATTACH_OP,
        run_id: 'r1',
        model_id: 'm1',
        cell_id: 'c1',
        esm: 'export default {}'
      },
      {
        panel: panel as never,
        clientId: 'tab-b',
        send: () => undefined,
        buffers: [new Uint8Array([1])]
      }
    );
    await runs.get('r1')?.render({} as HTMLElement); // once the load has failed
    quiet.mockRestore();
    return { outputs, widget, shown, runs };
  }

  it('lays the view over the shared output and leaves the outputs as they are', async () => {
    const { outputs, widget, shown, runs } = await attach(true);
    expect(outputs.items).toEqual([stream, widget]); // what the tab that ran the cell shows, untouched
    expect(shown).toEqual(['c1 r1']);
    expect(runs.get('r1')?.modelId).toBe('m1'); // its ops still feed the view
  });

  it('puts a live output in a notebook of its own', async () => {
    const { outputs, shown } = await attach(false);
    expect(shown).toEqual([]);
    expect(outputs.items[1].data[LIVE_MIME]).toEqual({
      run_id: 'r1',
      model_id: 'm1'
    });
  });
});

describe('LostRuns (who writes the note of a run its kernel lost)', () => {
  const hear = (statuses: string[], leads: boolean): string[] => {
    const lost = new LostRuns(() => leads);
    return statuses.map(status => lost.next(status));
  };

  it("writes after this tab's own restart, which no other client hears", () => {
    expect(
      hear(['busy', 'restarting', 'unknown', 'starting', 'idle'], false)
    ).toEqual(['none', 'view', 'write', 'none', 'none']);
  });

  it('leaves a dead kernel, which every client hears, to the lead client', () => {
    const died = ['busy', 'restarting', 'autorestarting', 'unknown', 'idle'];
    expect(hear(died, true)).toEqual(['none', 'view', 'write', 'none', 'none']);
    expect(hear(died, false)).toEqual(['none', 'view', 'view', 'none', 'none']);
    expect(hear(['busy', 'dead'], true)).toEqual(['none', 'write']);
  });
});

describe('isMissingK2Magic', () => {
  it("recognizes IPython's messages for %%k2 and %k2 only", () => {
    expect(isMissingK2Magic('UsageError', 'Cell magic `%%k2` not found.')).toBe(
      true
    );
    expect(
      isMissingK2Magic(
        'UsageError',
        'UsageError: Line magic function `%k2` not found.\n'
      )
    ).toBe(true);
    expect(
      isMissingK2Magic('UsageError', 'Cell magic `%%timeit2` not found.')
    ).toBe(false);
    expect(isMissingK2Magic('NameError', 'Cell magic `%%k2` not found.')).toBe(
      false
    );
  });
});
