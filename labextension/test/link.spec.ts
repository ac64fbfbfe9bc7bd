import type { Kernel } from '@jupyterlab/services';
import { afterEach, describe, expect, it, vi } from 'vitest';

import { subshellReady } from '../src/link';

/**
 * Fake kernel connection and comm with just what subshellReady reads.
 */
function fakes(options: {
  supportsSubshells: boolean;
  started?: Promise<void>;
  mode?: string;
}): { kernel: Kernel.IKernelConnection; comm: Kernel.IComm } {
  const kernel = {
    info: Promise.resolve({}),
    supportsSubshells: options.supportsSubshells
  } as unknown as Kernel.IKernelConnection;
  const comm = {
    commsOverSubshells: options.mode ?? 'perCommTarget',
    ...(options.started ? { subshellStarted: options.started } : {})
  } as unknown as Kernel.IComm;
  return { kernel, comm };
}

async function settled(promise: Promise<void>): Promise<boolean> {
  let done = false;
  void promise.then(() => {
    done = true;
  });
  await vi.advanceTimersByTimeAsync(0);
  return done;
}

describe('subshellReady (open the k2nb comm only once its subshell exists)', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('waits for the comm subshell to start', async () => {
    vi.useFakeTimers();
    let start = (): void => undefined;
    const started = new Promise<void>(resolve => {
      start = resolve;
    });
    const { kernel, comm } = fakes({ supportsSubshells: true, started });
    const ready = subshellReady(kernel, comm);
    expect(await settled(ready)).toBe(false);
    start();
    expect(await settled(ready)).toBe(true);
  });

  it('does not wait without subshells', async () => {
    vi.useFakeTimers();
    const never = new Promise<void>(() => undefined);
    for (const f of [
      fakes({ supportsSubshells: false, started: never }),
      fakes({ supportsSubshells: true, started: never, mode: 'disabled' }),
      fakes({ supportsSubshells: true })
    ]) {
      expect(await settled(subshellReady(f.kernel, f.comm))).toBe(true);
    }
  });

  it('gives up after 5 s and opens on the main shell', async () => {
    vi.useFakeTimers();
    const never = new Promise<void>(() => undefined);
    const { kernel, comm } = fakes({ supportsSubshells: true, started: never });
    const ready = subshellReady(kernel, comm);
    expect(await settled(ready)).toBe(false);
    await vi.advanceTimersByTimeAsync(5000);
    expect(await settled(ready)).toBe(true);
  });
});
