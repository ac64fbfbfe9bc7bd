import { describe, expect, it } from 'vitest';

import {
  AttachedRun,
  LIVE_MIME,
  placeLiveOutput,
  showsRun
} from '../src/reattach';
import { isMissingK2Magic } from '../src/restart';
import { replaceWidgetOutputs, WIDGET_VIEW_MIME } from '../src/tracestatic';
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
