import { describe, expect, it } from 'vitest';

import { AWARENESS_FIELD, isLead } from '../src/collab';

describe('isLead (the one client that writes what no kernel assigns)', () => {
  const k2nb = { [AWARENESS_FIELD]: '0.1.0', user: { name: 'A' } };
  const plain = { user: { name: 'C' } };

  it('is the lowest id among the clients running k2nb, whatever the order', () => {
    const states = new Map([
      [42, k2nb],
      [7, k2nb],
      [99, k2nb]
    ]);
    expect([7, 42, 99].map(id => isLead(id, states))).toEqual([
      true,
      false,
      false
    ]);
  });

  it('ignores clients without k2nb (they never write); counts itself, announced or not', () => {
    const states = new Map<number, Record<string, unknown>>([
      [3, plain],
      [10, k2nb],
      [20, k2nb]
    ]);
    expect(isLead(10, states)).toBe(true);
    expect(isLead(20, states)).toBe(false);
    expect(isLead(4, states)).toBe(true); // not announced yet, and the lowest
    expect(isLead(5, new Map())).toBe(true); // alone (or not collaborative)
  });
});
