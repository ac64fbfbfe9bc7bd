import { describe, expect, it } from 'vitest';

import { hiddenIn, withHidden } from '../src/thinking';

describe('the notebook-level thinking state', () => {
  it('reads only a true hide_thinking as hidden', () => {
    expect(hiddenIn({ hide_thinking: true })).toBe(true);
    expect(hiddenIn({ hide_thinking: 'yes' })).toBe(false);
    expect(hiddenIn({})).toBe(false);
    expect(hiddenIn(undefined)).toBe(false);
    expect(hiddenIn(null)).toBe(false);
  });

  it('keeps the other k2nb metadata and removes the key once shown', () => {
    expect(withHidden(undefined, true)).toEqual({ hide_thinking: true });
    expect(withHidden({ other: 1 }, true)).toEqual({
      other: 1,
      hide_thinking: true
    });
    expect(withHidden({ other: 1, hide_thinking: true }, false)).toEqual({
      other: 1
    });
    expect(withHidden({ hide_thinking: true }, false)).toBeNull();
    expect(withHidden(['not', 'an', 'object'], false)).toBeNull();
  });
});
