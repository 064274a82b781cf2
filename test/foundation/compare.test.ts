import { describe, expect, it } from 'vitest';
import { compareCodeUnits } from '../../src/compare.ts';

describe('compareCodeUnits', () => {
  it('sorts ISO times chronologically and identifiers by code unit, not by a locale collation', () => {
    const times = ['2026-11-25T10:00:00.000Z', '2026-01-02T00:00:00.000Z', '2026-11-25T09:59:59.999Z'];
    expect([...times].sort(compareCodeUnits)).toEqual(['2026-01-02T00:00:00.000Z', '2026-11-25T09:59:59.999Z', '2026-11-25T10:00:00.000Z']);
    // A collation puts lower case first and ignores the dash; code units do not.
    expect(['print__b', 'print__B', 'print-a', 'print__a'].sort(compareCodeUnits)).toEqual(['print-a', 'print__B', 'print__a', 'print__b']);
    expect(compareCodeUnits('x', 'x')).toBe(0);
  });
});
