// Rule 24: percentages to two decimals, half-up on the third decimal, exact, and breakdowns summing to 100.00.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatPercent, percent, percentBreakdown, percentHundredths } from '../../core/shared/percent.js';

// Reference: round(part·10000/whole) half-up with BigInt, independent of the implementation's Number fast path.
const exactHundredths = (part: number, whole: number): number =>
  whole === 0 ? 0 : Number((BigInt(part) * 20000n + BigInt(whole)) / (2n * BigInt(whole)));

describe('rule 24 — percent(): two decimals, half-up on the third decimal, exact', () => {
  it('rounds 22.566 % up to 22.57 (the NEC example)', () => {
    expect(percent(22566, 100000)).toBe(22.57);
  });

  it('gives 1/3 → 33.33, 2/3 → 66.67, 0/0 → 0, whole → 100', () => {
    expect(percent(1, 3)).toBe(33.33);
    expect(percent(2, 3)).toBe(66.67);
    expect(percent(0, 0)).toBe(0);
    expect(percent(0, 5)).toBe(0);
    expect(percent(7, 7)).toBe(100);
  });

  it('rounds exactly half a hundredth up and anything below it down', () => {
    expect(percent(22565, 100000)).toBe(22.57); // 22.565 exactly
    expect(percent(225649, 1000000)).toBe(22.56); // 22.5649
    expect(percent(1, 8)).toBe(12.5); // 12.5 exactly
    expect(percent(1, 16)).toBe(6.25); // 6.25 exactly
    expect(percent(1, 32)).toBe(3.13); // 3.125 → 3.13, where float rounding of 3.125 could go either way
    expect(percent(1, 20000)).toBe(0.01); // 0.005 → 0.01
    expect(percent(5, 200000)).toBe(0); // 0.0025 → 0.00
  });

  it('has no floating-point drift: 1.005 % and 1.015 % round up', () => {
    // 1.005 * 100 in floating point is 100.49999999999999; integer arithmetic gets 101.
    expect(percent(1005, 100000)).toBe(1.01);
    expect(percent(1015, 100000)).toBe(1.02);
    expect(percent(8675, 1000000)).toBe(0.87);
  });

  it('handles nationwide totals and counts beyond the Number fast path', () => {
    expect(percent(78_928_647, 79_177_103)).toBe(99.69);
    const big = 2 ** 50;
    expect(percentHundredths(big, big)).toBe(10000);
    expect(percentHundredths(big / 2, big)).toBe(5000);
  });

  it('rejects negative, fractional and unsafe counts', () => {
    expect(() => percent(-1, 10)).toThrow(RangeError);
    expect(() => percent(1.5, 10)).toThrow(RangeError);
    expect(() => percent(1, Number.MAX_SAFE_INTEGER + 1)).toThrow(RangeError);
  });

  it('property: equals exact BigInt half-up rounding and stays within half a hundredth', () => {
    fc.assert(
      fc.property(fc.nat({ max: 200_000_000 }), fc.integer({ min: 1, max: 200_000_000 }), (a, b) => {
        const [part, whole] = a <= b ? [a, b] : [b, a];
        const h = percentHundredths(part, whole);
        expect(h).toBe(exactHundredths(part, whole));
        // |h/10000 − part/whole| ≤ 1/20000, checked in integers: |h·whole − part·10000| · 2 ≤ whole.
        const diff = BigInt(h) * BigInt(whole) - BigInt(part) * 10000n;
        expect((diff < 0n ? -diff : diff) * 2n <= BigInt(whole)).toBe(true);
        expect(percent(part, whole)).toBe(h / 100);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('rule 24 — percentBreakdown(): parts sum to exactly 100.00', () => {
  const sumHundredths = (ps: number[]) => ps.reduce((s, p) => s + Math.round(p * 100), 0);

  it('adjusts three equal thirds: 33.34 + 33.33 + 33.33, the earlier part taking the extra hundredth', () => {
    expect(percentBreakdown([1, 1, 1])).toEqual([33.34, 33.33, 33.33]);
  });

  it('takes hundredths away when half-up would exceed 100 (e.g. six equal parts: 16.67 × 6 = 100.02)', () => {
    const b = percentBreakdown([1, 1, 1, 1, 1, 1]);
    expect(sumHundredths(b)).toBe(10000);
    expect(b).toEqual([16.67, 16.67, 16.67, 16.67, 16.66, 16.66]);
  });

  it('gives the largest remainder the missing hundredth', () => {
    // 1/7 = 14.2857…, 2/7 = 28.5714…, 4/7 = 57.1428…; floors sum to 99.99, the largest remainder is 1/7's.
    expect(percentBreakdown([1, 2, 4])).toEqual([14.29, 28.57, 57.14]);
  });

  it('handles empty, all-zero and single-part lists', () => {
    expect(percentBreakdown([])).toEqual([]);
    expect(percentBreakdown([0, 0])).toEqual([0, 0]);
    expect(percentBreakdown([0, 5])).toEqual([0, 100]);
  });

  it('property: sums to 100.00, each part within one hundredth of exact, equal to percent() when that already sums', () => {
    fc.assert(
      fc.property(fc.array(fc.nat({ max: 5_000_000 }), { minLength: 1, maxLength: 12 }), (parts) => {
        const whole = parts.reduce((s, p) => s + p, 0);
        fc.pre(whole > 0);
        const b = percentBreakdown(parts);
        expect(sumHundredths(b)).toBe(10000);
        const plain = parts.map((p) => percentHundredths(p, whole));
        parts.forEach((p, i) => {
          const h = Math.round(b[i] * 100);
          expect(Math.abs(h * whole - p * 10000)).toBeLessThan(whole);
        });
        if (plain.reduce((s, h) => s + h, 0) === 10000) expect(b.map((x) => Math.round(x * 100))).toEqual(plain);
      }),
      { numRuns: 1000 },
    );
  });

  it('is deterministic', () => {
    const parts = [3, 3, 3, 1, 1, 1, 7];
    expect(percentBreakdown(parts)).toEqual(percentBreakdown([...parts]));
  });
});

describe('rule 24 — formatPercent()', () => {
  it('writes Vietnamese with a decimal comma and English with a point, always two decimals', () => {
    expect(formatPercent(99.68, 'vi')).toBe('99,68');
    expect(formatPercent(99.68, 'en')).toBe('99.68');
    expect(formatPercent(50, 'vi')).toBe('50,00');
    expect(formatPercent(12.5, 'en')).toBe('12.50');
    expect(formatPercent(0, 'vi')).toBe('0,00');
    expect(formatPercent(percent(1, 3), 'vi')).toBe('33,33');
    expect(formatPercent(100, 'en')).toBe('100.00');
  });
});
