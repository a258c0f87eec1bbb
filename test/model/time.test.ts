// S14: time is integer nanoseconds; numbers rounded once, decimal strings exact.
import { describe, expect, it } from 'vitest';
import { decimalSecondsToNs, formatNs, readTime, secondsToNs } from '../../src/model/time.js';

describe('S14 time conversion', () => {
  it.each([
    [0, 0n],
    [1, 1_000_000_000n],
    [1.001, 1_001_000_000n],
    [0.1, 100_000_000n],
    [30.1, 30_100_000_000n],
    [1e-9, 1n],
    [4e-10, 0n],
    [6e-10, 1n],
    [432000, 432_000_000_000_000n],
    // The double nearest 1700000000.123456789 is 1700000000.12345671653747558...; rounded once to the ns:
    [1700000000.123456789, 1_700_000_000_123_456_717n],
  ])('number %d s → %d ns', (s, ns) => {
    expect(secondsToNs(s)).toBe(ns);
  });

  it('decimal strings are exact', () => {
    expect(decimalSecondsToNs('1700000000.123456789')).toBe(1_700_000_000_123_456_789n);
    expect(decimalSecondsToNs('29.999999999')).toBe(29_999_999_999n);
    expect(decimalSecondsToNs('5')).toBe(5_000_000_000n);
    expect(decimalSecondsToNs('5.')).toBe(5_000_000_000n);
    expect(decimalSecondsToNs('1.0000000010')).toBe(1_000_000_001n);
    expect(decimalSecondsToNs('1.0000000001')).toBeNull(); // not exact to the ns
    expect(decimalSecondsToNs('-1')).toBeNull();
    expect(decimalSecondsToNs('1e3')).toBeNull();
  });

  it('readTime refuses negatives, NaN and other types', () => {
    expect(readTime(-0.5)).toBeNull();
    expect(readTime(Number.NaN)).toBeNull();
    expect(readTime(null)).toBeNull();
    expect(readTime(true)).toBeNull();
    expect(readTime('12.5')).toBe(12_500_000_000n);
  });

  it('formats ns as seconds', () => {
    expect(formatNs(1_500_000_000n)).toBe('1.5');
    expect(formatNs(3_000_000_000n)).toBe('3');
    expect(formatNs(1n)).toBe('0.000000001');
  });
});
