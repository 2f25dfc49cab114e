// Percentages as the election minutes print them (rule 24): two decimals, half-up on the third decimal, computed
// exactly from integer counts, and breakdowns adjusted so that their parts sum to exactly 100.00.
import type { Lang } from './i18n.js';

// Above this the Number path could lose integer precision; such counts take the BigInt path instead.
const MAX_SAFE = Number.MAX_SAFE_INTEGER;

function assertCount(name: string, n: number): void {
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`percent: ${name} must be a non-negative integer, got ${n}`);
}

/**
 * `part / whole` as a whole number of hundredths of a percent (22.57 % → 2257), rounded half-up on the third
 * decimal (rule 24). Exact: no floating-point step, so 22.565 % gives 2257 and 22.5649… % gives 2256.
 * A zero `whole` gives 0 (nothing to divide; the minutes print 0.00).
 *
 * @throws RangeError if either argument is not a non-negative safe integer (callers validate counts first).
 */
export function percentHundredths(part: number, whole: number): number {
  assertCount('part', part);
  assertCount('whole', whole);
  if (whole === 0) return 0;
  // round(part·10000 / whole) half-up  ==  floor((2·part·10000 + whole) / (2·whole)).
  const num = part * 20000 + whole;
  if (num <= MAX_SAFE) return Math.floor(num / (2 * whole));
  return Number((BigInt(part) * 20000n + BigInt(whole)) / (2n * BigInt(whole)));
}

/**
 * `part / whole` in percent with two decimals, half-up on the third decimal (rule 24): 1/3 → 33.33, 2/3 → 66.67,
 * 0/0 → 0. The result is the double nearest to the two-decimal value, so `toFixed(2)` and JSON print it exactly.
 */
export function percent(part: number, whole: number): number {
  return percentHundredths(part, whole) / 100;
}

/**
 * Two-decimal percentages of each part in the total of `parts`, adjusted to sum to exactly 100.00 (rule 24).
 *
 * Method: largest remainder (Hamilton) in hundredths — every part gets its rounded-down share, and the
 * hundredths still missing go one each to the parts with the largest exact remainders. Where plain half-up
 * rounding already sums to 100.00 this gives the same numbers as {@link percent}. Ties between equal remainders
 * go to the earlier part, so the result is deterministic. An empty list gives []; all-zero parts give all zeros
 * (there is no 100 % to distribute).
 *
 * @throws RangeError if a part is not a non-negative safe integer.
 */
export function percentBreakdown(parts: readonly number[]): number[] {
  parts.forEach((p, i) => assertCount(`parts[${i}]`, p));
  const whole = parts.reduce((s, p) => s + p, 0);
  if (!Number.isSafeInteger(whole)) throw new RangeError('percentBreakdown: total exceeds the safe integer range');
  if (whole === 0) return parts.map(() => 0);
  const W = BigInt(whole);
  const floors: number[] = [];
  const remainders: bigint[] = [];
  let given = 0;
  for (const p of parts) {
    const scaled = BigInt(p) * 10000n;
    const f = Number(scaled / W);
    floors.push(f);
    remainders.push(scaled % W);
    given += f;
  }
  // Fewer than parts.length hundredths are ever missing, because each floor loses less than one hundredth.
  const missing = 10000 - given;
  const order = parts
    .map((_, i) => i)
    .sort((a, b) => (remainders[a] === remainders[b] ? a - b : remainders[a] > remainders[b] ? -1 : 1));
  for (let k = 0; k < missing; k++) floors[order[k]] += 1;
  return floors.map((h) => h / 100);
}

/**
 * A percentage with exactly two decimals in the reader's convention: 'vi' uses a decimal comma ("99,68"),
 * 'en' a decimal point ("99.68"). Meant for values from {@link percent}; other values are rounded to hundredths.
 */
export function formatPercent(n: number, lang: Lang = 'vi'): string {
  const hundredths = Math.round(Math.abs(n) * 100);
  const sign = n < 0 && hundredths !== 0 ? '-' : '';
  const int = Math.floor(hundredths / 100);
  const frac = String(hundredths % 100).padStart(2, '0');
  return `${sign}${int}${lang === 'vi' ? ',' : '.'}${frac}`;
}
