// Rule 24 on the results pages: the parts of a breakdown (valid / invalid ballots, voters who voted / did not) are
// shown with two decimals and adjusted to sum to exactly 100.00 — largest remainder on hundredths
// (percentBreakdown in core/shared/percent.ts; the method is written down in docs/results.md "Rule 24").
import { percent, percentBreakdown } from '../../shared/percent.js';

export interface BreakdownPart {
  key: string;
  count: number;
}

export interface BreakdownRow extends BreakdownPart {
  /** The displayed share: two decimals, the parts summing to exactly 100.00 (0 for every part of an empty whole). */
  percent: number;
  /** Plain half-up rounding of this part alone (rule 24 before the adjustment). */
  rounded: number;
}

export interface Breakdown {
  rows: BreakdownRow[];
  /** Σ of the plain half-up roundings in hundredths (10000 = 100.00 %); 9999 or 10001 etc. when they do not add up. */
  roundedSumHundredths: number;
  /** Whether the adjustment changed any part (plain rounding did not sum to 100.00). */
  adjusted: boolean;
}

/**
 * Shares of `parts` in their total, two decimals half-up, adjusted to sum to exactly 100.00 by the largest-remainder
 * method in hundredths. Pure; counts must be non-negative safe integers (RangeError otherwise).
 */
export function breakdown(parts: readonly BreakdownPart[]): Breakdown {
  const counts = parts.map((p) => p.count);
  const whole = counts.reduce((s, n) => s + n, 0);
  const adjusted = percentBreakdown(counts);
  const rounded = counts.map((n) => percent(n, whole));
  const roundedSumHundredths = rounded.reduce((s, x) => s + Math.round(x * 100), 0);
  return {
    rows: parts.map((p, i) => ({ ...p, percent: adjusted[i], rounded: rounded[i] })),
    roundedSumHundredths,
    adjusted: adjusted.some((x, i) => x !== rounded[i]),
  };
}
