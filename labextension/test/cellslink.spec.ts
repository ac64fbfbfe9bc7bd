import { describe, expect, it } from 'vitest';

import { firstCellOfRun, runOfHref } from '../src/cellslink';

describe('the --cells output link', () => {
  it('reads the run id from the link, and nothing else', () => {
    expect(runOfHref('#k2nb-run-0123abcdef99')).toBe('0123abcdef99');
    expect(runOfHref('#k2nb-run-')).toBeNull();
    expect(runOfHref('#other')).toBeNull();
    expect(runOfHref('#k2nb-run-x"]')).toBeNull();
    expect(runOfHref(null)).toBeNull();
  });

  it('finds the first cell the run materialized', () => {
    const cells = [
      {},
      { k2nb: { run_id: 'other' } },
      { k2nb: { run_id: 'r1', role: 'thinking' } },
      { k2nb: { run_id: 'r1', role: 'code' } }
    ];
    expect(firstCellOfRun(cells, 'r1')).toBe(2);
    expect(firstCellOfRun(cells, 'missing')).toBe(-1);
  });
});
