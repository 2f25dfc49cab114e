// Vietnamese reading of whole numbers ("bằng chữ") for official documents: minutes, result tables, forms.
//
// Scope: integers 0 … 10^15 − 1 (up to "nghìn tỷ"). Anything else throws a RangeError.
//
// Rules implemented (standard Northern/official reading, the one used in administrative documents):
//  1. Digits: không một hai ba bốn năm sáu bảy tám chín. Scale words: trăm, nghìn (not "ngàn"), triệu, tỷ (not "tỉ").
//  2. The number is read in groups of three digits from the left: … triệu, nghìn, units. Above 10^9 the number of
//     tỷ is itself read as a number below one million, so 10^12 is "một nghìn tỷ" and 1,500,000,000,000 is
//     "một nghìn năm trăm tỷ"; the remainder below 10^9 follows (1,000,500,000,000 = "một nghìn tỷ năm trăm triệu").
//  3. A group whose three digits are all zero is skipped entirely, with its scale word:
//     2,000,500 = "hai triệu năm trăm"; 1,000,001 = "một triệu không trăm linh một" (not "… không nghìn …").
//  4. The first (leftmost) group is read without leading zeros: 5 = "năm", 21 = "hai mươi mốt". Every later
//     non-zero group is read with all three places, so a zero hundreds digit is said: 1,005 = "một nghìn không
//     trăm linh năm", 1,010 = "một nghìn không trăm mười", 1,000,021 = "một triệu không trăm hai mươi mốt".
//  5. Zero tens followed by a non-zero unit after "trăm" is read "linh" (the Northern/official word; the Southern
//     "lẻ" is not used): 101 = "một trăm linh một", 105 = "một trăm linh năm", 104 = "một trăm linh bốn".
//  6. Tens: 10–19 use "mười" (10 = "mười", 11 = "mười một", 14 = "mười bốn", 15 = "mười lăm"); 20–99 use
//     "<digit> mươi" (20 = "hai mươi").
//  7. Units after "mươi"/"mười":
//     - 5 is "lăm" after both "mười" and "mươi": 15 = "mười lăm", 25 = "hai mươi lăm", 105 keeps "linh năm".
//     - 1 is "mốt" after "mươi" (21 … 91): "hai mươi mốt"; but "mười một" for 11 (and "linh một" for x01).
//     - 4 is "tư" after "mươi" (24 … 94): "hai mươi tư" — the form commonly used in official documents
//       (e.g. "ngày hai mươi tư tháng …"). It stays "bốn" everywhere else: 4 = "bốn", 14 = "mười bốn",
//       104 = "một trăm linh bốn", 40 = "bốn mươi", 400 = "bốn trăm".
//  8. Words are lower case and separated by single spaces; capitalizedWords() upper-cases only the first letter.

const DIGITS = ['không', 'một', 'hai', 'ba', 'bốn', 'năm', 'sáu', 'bảy', 'tám', 'chín'] as const;

/** Largest value accepted: 10^15 − 1. */
export const MAX_NUMBER_IN_WORDS = 999_999_999_999_999;

/** Reads 0 < n < 1000; `full` = say every place ("không trăm linh …"), for groups that follow another group. */
function readTriple(n: number, full: boolean): string[] {
  const hundreds = Math.floor(n / 100);
  const tens = Math.floor(n / 10) % 10;
  const units = n % 10;
  const words: string[] = [];
  const saysHundreds = full || hundreds > 0;
  if (saysHundreds) words.push(DIGITS[hundreds], 'trăm');
  if (tens === 0) {
    if (units > 0) {
      if (saysHundreds) words.push('linh');
      words.push(DIGITS[units]);
    }
  } else if (tens === 1) {
    words.push('mười');
    if (units === 5) words.push('lăm');
    else if (units > 0) words.push(DIGITS[units]);
  } else {
    words.push(DIGITS[tens], 'mươi');
    if (units === 1) words.push('mốt');
    else if (units === 4) words.push('tư');
    else if (units === 5) words.push('lăm');
    else if (units > 0) words.push(DIGITS[units]);
  }
  return words;
}

/** Reads 0 < n < 10^9 as triệu / nghìn / units groups; `leading` = nothing was said before this number. */
function readBelowBillion(n: number, leading: boolean): string[] {
  const groups: Array<[number, string | null]> = [
    [Math.floor(n / 1_000_000), 'triệu'],
    [Math.floor(n / 1_000) % 1_000, 'nghìn'],
    [n % 1_000, null],
  ];
  const words: string[] = [];
  let first = leading;
  for (const [value, scale] of groups) {
    if (value === 0) continue; // rule 3: an all-zero group is skipped with its scale word
    words.push(...readTriple(value, !first));
    if (scale) words.push(scale);
    first = false;
  }
  return words;
}

/** Validates the argument and returns it as a (safe) JS number. */
function toCheckedInteger(n: number | bigint): number {
  if (typeof n === 'bigint') {
    if (n < 0n || n > BigInt(MAX_NUMBER_IN_WORDS)) throw new RangeError(`numberToVietnameseWords: ${n} is outside 0 … 10^15-1`);
    return Number(n);
  }
  if (typeof n !== 'number' || !Number.isInteger(n)) throw new RangeError(`numberToVietnameseWords: ${String(n)} is not an integer`);
  if (n < 0 || n > MAX_NUMBER_IN_WORDS) throw new RangeError(`numberToVietnameseWords: ${n} is outside 0 … 10^15-1`);
  return n;
}

/**
 * Reads a whole number in Vietnamese words, as written in the "bằng chữ" line of official documents.
 *
 * @param n - an integer from 0 to 10^15 − 1 (number or bigint).
 * @returns lower-case words separated by single spaces, e.g. 78,928,647 →
 *   "bảy mươi tám triệu chín trăm hai mươi tám nghìn sáu trăm bốn mươi bảy"; 1,005 → "một nghìn không trăm linh năm".
 * @throws RangeError for negative numbers, non-integers (including NaN / Infinity) and values ≥ 10^15.
 * @remarks The reading rules (linh, lăm, mốt, tư, skipped zero groups, nghìn tỷ) are listed at the top of this file.
 */
export function numberToVietnameseWords(n: number | bigint): string {
  const value = toCheckedInteger(n);
  if (value === 0) return DIGITS[0];
  const billions = Math.floor(value / 1_000_000_000); // < 10^6
  const rest = value % 1_000_000_000;
  const words: string[] = [];
  if (billions > 0) words.push(...readBelowBillion(billions, true), 'tỷ');
  if (rest > 0) words.push(...readBelowBillion(rest, billions === 0));
  return words.join(' ');
}

/**
 * Same as {@link numberToVietnameseWords} with the first letter upper-cased, as forms write it:
 * 78,928,647 → "Bảy mươi tám triệu chín trăm hai mươi tám nghìn sáu trăm bốn mươi bảy".
 *
 * @throws RangeError under the same conditions as {@link numberToVietnameseWords}.
 */
export function capitalizedWords(n: number | bigint): string {
  const words = numberToVietnameseWords(n);
  const [first = '', ...rest] = Array.from(words);
  return first.toLocaleUpperCase('vi') + rest.join('');
}
