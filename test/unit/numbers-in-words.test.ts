// Unit tests for the Vietnamese "bằng chữ" reading of numbers: every expected string is written out by hand
// following the rules documented at the top of core/shared/numbers-in-words.ts.
import { describe, expect, it } from 'vitest';
import { capitalizedWords, MAX_NUMBER_IN_WORDS, numberToVietnameseWords } from '../../core/shared/numbers-in-words.js';

const CASES: Array<[number, string]> = [
  // units and the special unit words
  [0, 'không'],
  [1, 'một'],
  [4, 'bốn'],
  [5, 'năm'],
  // 10–19: "mười", "mười một" (never "mốt"), "mười bốn" (never "tư"), "mười lăm"
  [10, 'mười'],
  [11, 'mười một'],
  [14, 'mười bốn'],
  [15, 'mười lăm'],
  // 20–99: "mươi", then mốt / tư / lăm
  [20, 'hai mươi'],
  [21, 'hai mươi mốt'],
  [24, 'hai mươi tư'],
  [25, 'hai mươi lăm'],
  [40, 'bốn mươi'],
  [44, 'bốn mươi tư'],
  [45, 'bốn mươi lăm'],
  [51, 'năm mươi mốt'],
  [55, 'năm mươi lăm'],
  [91, 'chín mươi mốt'],
  [99, 'chín mươi chín'],
  // hundreds: "linh" for a zero tens digit, "bốn"/"năm" after linh
  [100, 'một trăm'],
  [101, 'một trăm linh một'],
  [104, 'một trăm linh bốn'],
  [105, 'một trăm linh năm'],
  [110, 'một trăm mười'],
  [111, 'một trăm mười một'],
  [115, 'một trăm mười lăm'],
  [121, 'một trăm hai mươi mốt'],
  [182, 'một trăm tám mươi hai'],
  [500, 'năm trăm'],
  // thousands: a later group is read in full ("không trăm")
  [1_000, 'một nghìn'],
  [1_001, 'một nghìn không trăm linh một'],
  [1_005, 'một nghìn không trăm linh năm'],
  [1_010, 'một nghìn không trăm mười'],
  [1_021, 'một nghìn không trăm hai mươi mốt'],
  [1_100, 'một nghìn một trăm'],
  [3_321, 'ba nghìn ba trăm hai mươi mốt'],
  [10_000, 'mười nghìn'],
  [10_005, 'mười nghìn không trăm linh năm'],
  [15_000, 'mười lăm nghìn'],
  [21_000, 'hai mươi mốt nghìn'],
  [72_195, 'bảy mươi hai nghìn một trăm chín mươi lăm'],
  [100_000, 'một trăm nghìn'],
  [100_005, 'một trăm nghìn không trăm linh năm'],
  [105_000, 'một trăm linh năm nghìn'],
  // millions: an all-zero group is skipped
  [1_000_000, 'một triệu'],
  [1_000_001, 'một triệu không trăm linh một'],
  [2_000_500, 'hai triệu năm trăm'],
  [24_000_000, 'hai mươi tư triệu'],
  [78_928_647, 'bảy mươi tám triệu chín trăm hai mươi tám nghìn sáu trăm bốn mươi bảy'],
  [76_188_544, 'bảy mươi sáu triệu một trăm tám mươi tám nghìn năm trăm bốn mươi tư'],
  // tỷ and nghìn tỷ
  [1_000_000_000, 'một tỷ'],
  [1_000_000_005, 'một tỷ không trăm linh năm'],
  [2_005_000_000, 'hai tỷ không trăm linh năm triệu'],
  [1_000_000_000_000, 'một nghìn tỷ'],
  [1_000_000_000_001, 'một nghìn tỷ không trăm linh một'],
  [1_001_000_000_000, 'một nghìn không trăm linh một tỷ'],
  [1_500_000_000_000, 'một nghìn năm trăm tỷ'],
  [1_000_500_000_000, 'một nghìn tỷ năm trăm triệu'],
  [500_000_000_000_000, 'năm trăm nghìn tỷ'],
  [
    999_999_999_999_999,
    'chín trăm chín mươi chín nghìn chín trăm chín mươi chín tỷ chín trăm chín mươi chín triệu chín trăm chín mươi chín nghìn chín trăm chín mươi chín',
  ],
];

describe('numberToVietnameseWords', () => {
  it('covers at least 35 hand-written values', () => {
    expect(CASES.length).toBeGreaterThanOrEqual(35);
  });

  it.each(CASES)('%d → %s', (n, words) => {
    expect(numberToVietnameseWords(n)).toBe(words);
  });

  it('accepts bigint and gives the same reading', () => {
    expect(numberToVietnameseWords(78_928_647n)).toBe(numberToVietnameseWords(78_928_647));
    expect(numberToVietnameseWords(999_999_999_999_999n)).toBe(numberToVietnameseWords(MAX_NUMBER_IN_WORDS));
    expect(numberToVietnameseWords(0n)).toBe('không');
  });

  it('returns NFC text with single spaces', () => {
    for (const [n] of CASES) {
      const w = numberToVietnameseWords(n);
      expect(w).toBe(w.normalize('NFC'));
      expect(w).not.toMatch(/^\s|\s$|\s\s/);
    }
  });

  it.each([-1, 1.5, 0.1, Number.NaN, Number.POSITIVE_INFINITY, 1e15, Number.MAX_SAFE_INTEGER])('throws RangeError for %s', (n) => {
    expect(() => numberToVietnameseWords(n)).toThrow(RangeError);
  });

  it('throws RangeError for out-of-range bigints', () => {
    expect(() => numberToVietnameseWords(-1n)).toThrow(RangeError);
    expect(() => numberToVietnameseWords(10n ** 15n)).toThrow(RangeError);
  });
});

describe('capitalizedWords', () => {
  it('upper-cases only the first letter', () => {
    expect(capitalizedWords(78_928_647)).toBe('Bảy mươi tám triệu chín trăm hai mươi tám nghìn sáu trăm bốn mươi bảy');
    expect(capitalizedWords(0)).toBe('Không');
    expect(capitalizedWords(1_005)).toBe('Một nghìn không trăm linh năm');
    expect(capitalizedWords(500n)).toBe('Năm trăm');
  });

  it('throws like numberToVietnameseWords', () => {
    expect(() => capitalizedWords(-5)).toThrow(RangeError);
  });
});
