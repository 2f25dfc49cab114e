// Rule 24 on the results pages: the breakdowns the pages show (voters who voted / did not, valid / invalid ballots,
// the provinces' shares of the nation's valid ballots) are two-decimal half-up percentages adjusted to sum to exactly
// 100.00 by the largest-remainder method on hundredths (core/elections/results/breakdown.ts over percentBreakdown).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { breakdown } from '../../core/elections/results/breakdown.js';
import { percent } from '../../core/shared/percent.js';

const parts = (...counts: number[]) => counts.map((count, i) => ({ key: `p${i}`, count }));
const sumHundredths = (xs: number[]) => xs.reduce((s, x) => s + Math.round(x * 100), 0);

describe('rule 24 — breakdown(): displayed parts sum to exactly 100.00', () => {
  it('naive rounding gives 99.99 (1 : 1 : 1) → one part gets the missing hundredth', () => {
    const b = breakdown(parts(1, 1, 1));
    expect(b.rows.map((r) => r.rounded)).toEqual([33.33, 33.33, 33.33]);
    expect(b.roundedSumHundredths).toBe(9999);
    expect(b.rows.map((r) => r.percent)).toEqual([33.34, 33.33, 33.33]);
    expect(sumHundredths(b.rows.map((r) => r.percent))).toBe(10000);
    expect(b.adjusted).toBe(true);
  });

  it('naive rounding gives 100.01 (1 : 1 : 4) → the part rounded up on the smallest remainder gives it back', () => {
    const b = breakdown(parts(1, 1, 4));
    expect(b.rows.map((r) => r.rounded)).toEqual([16.67, 16.67, 66.67]);
    expect(b.roundedSumHundredths).toBe(10001);
    // Exact shares 16.666…, 16.666…, 66.666…: equal remainders, so the earlier parts keep the extra hundredth.
    expect(b.rows.map((r) => r.percent)).toEqual([16.67, 16.67, 66.66]);
    expect(sumHundredths(b.rows.map((r) => r.percent))).toBe(10000);
  });

  it('naive rounding gives 100.01 on valid / invalid ballots (19,999 : 1 — both exactly half a hundredth)', () => {
    const b = breakdown([{ key: 'valid', count: 19_999 }, { key: 'invalid', count: 1 }]);
    expect(b.rows.map((r) => r.rounded)).toEqual([100, 0.01]);
    expect(b.roundedSumHundredths).toBe(10001);
    expect(b.rows.map((r) => r.percent)).toEqual([100, 0]);
  });

  it('leaves a breakdown alone when plain half-up rounding already sums to 100.00', () => {
    const b = breakdown(parts(2, 1));
    expect(b.rows.map((r) => r.percent)).toEqual([66.67, 33.33]);
    expect(b.adjusted).toBe(false);
    expect(breakdown(parts(0, 0)).rows.map((r) => r.percent)).toEqual([0, 0]);
    expect(breakdown([]).rows).toEqual([]);
  });

  it('two parts: the first part always shows its own half-up value (turnout = voted / voters, as elsewhere on the page)', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 10_000_000 }), fc.nat(), (total, k) => {
      const voted = k % (total + 1);
      const b = breakdown([{ key: 'voted', count: voted }, { key: 'not_voted', count: total - voted }]);
      expect(b.rows[0].percent).toBe(percent(voted, total));
      expect(sumHundredths(b.rows.map((r) => r.percent))).toBe(10000);
    }));
  });

  it('any parts: sum exactly 100.00, each part within one hundredth of its exact share', () => {
    fc.assert(fc.property(fc.array(fc.nat({ max: 5_000_000 }), { minLength: 1, maxLength: 40 }), (counts) => {
      const total = counts.reduce((s, n) => s + n, 0);
      const b = breakdown(parts(...counts));
      if (total === 0) return;
      expect(sumHundredths(b.rows.map((r) => r.percent))).toBe(10000);
      b.rows.forEach((r, i) => expect(Math.abs(r.percent * 100 - (counts[i] * 10000) / total)).toBeLessThan(1));
    }));
  });

  it('refuses counts that are not non-negative integers', () => {
    expect(() => breakdown(parts(1, -1))).toThrow(RangeError);
    expect(() => breakdown(parts(1.5))).toThrow(RangeError);
  });
});
