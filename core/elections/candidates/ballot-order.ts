// Official order of candidates on a list / ballot: Vietnamese alphabetical order of the given name (tên),
// then of the rest of the name. Checked against the published 2021 National Assembly lists (see docs/collation.md).
//
// The comparison algorithm, exactly:
//  1. Clean the name: NFC, collapse whitespace (normalizeName), then drop every parenthesised part — other names,
//     religious names and aliases such as "Đặng Minh Châu (Hòa thượng Thích Bảo Nghiêm)" or
//     "Lê Xuân Quế (Hai Quế)" are not part of the sorting name. An unclosed "(" drops the rest of the name.
//     Salutations are NOT stripped: "Ông" is also a surname (Ông Văn Tùng), so pass names as listed, without
//     "Ông"/"Bà".
//  2. Split into words; the given name (tên) is the LAST word, the rest (họ + tên đệm) is the preceding words in
//     their written order. This also holds for ethnic-minority names as they are listed: "Rơ Châm H′Phik" sorts
//     under "H′Phik", "Y Jone Ktull" under "Ktull", "K’ Nhiễu" under "Nhiễu".
//  3. Inside a word only letters and digits count: apostrophes/primes (’ ′ '), hyphens and dots are ignored
//     ("H′Dry" sorts as "hdry"). Case is ignored.
//  4. Every letter becomes a pair (letter, tone):
//       letter order  a ă â b c d đ e ê g h i k l m n o ô ơ p q r s t u ư v x y  — the 29-letter Vietnamese
//                     alphabet, with f j w z (foreign and ethnic-minority names: "Zơ Râm") in their Latin places;
//                     digits before letters; any other letter after z, by code point; other accents
//                     (diaeresis, cedilla …) are ignored.
//       tone order    ngang < huyền < hỏi < ngã < sắc < nặng (no mark, grave, hook above, tilde, acute, dot below).
//     Words are compared pair by pair: at the first position that differs, the letter decides, and if the
//     letters are equal the tone decides — so the tone is secondary to the letter IT SITS ON, not a tie-break
//     for the whole word. "Hoan" < "Hòa" (o < ò at the 2nd letter), "Duy" < "Dũng", "Thanh" < "Thái",
//     "Nghiệm" < "Nghĩa". A word that is a prefix of another comes first ("An" < "Anh", "Ba" < "Bác").
//     (core/shared/vn-text.ts compareVi is dictionary order instead, where tones only break ties between
//     otherwise equal strings; the published lists do not follow that — 4 of the 184 units of 2021 differ.)
//  5. Tone placement is normalised before step 4, so typing style does not change the order: in an open
//     syllable ending in "oa", "oe" or "uy" (not "qu…") a tone written on the last vowel is moved to the
//     previous one, the traditional style the published lists use: "Hoà" = "Hòa", "Thuý" = "Thúy",
//     "khoẻ" = "khỏe"; "Quý", "Hoàng", "Huỳnh", "Toản" are unchanged.
//  6. Names are ordered by the given name; equal given names by the rest, word by word with the same rules
//     (a shorter rest that is a prefix of a longer one comes first); names still equal are ordered by their
//     cleaned-up NFC spelling (code point order), so the order is total and deterministic.
//
// The key from ballotSortKey() encodes all of this so that plain string comparison (JS `<`, or byte order /
// COLLATE "C" in PostgreSQL) gives the ballot order. It contains no NUL character.

import { normalizeName } from '../../shared/vn-text.js';

const ALPHABET = ['a', 'ă', 'â', 'b', 'c', 'd', 'đ', 'e', 'ê', 'f', 'g', 'h', 'i', 'j', 'k', 'l', 'm', 'n', 'o', 'ô', 'ơ', 'p', 'q', 'r', 's', 't', 'u', 'ư', 'v', 'w', 'x', 'y', 'z'];
/** Letter → one ASCII weight character in alphabet order: 'A' … 'Z' for the first 26, then 'a' … 'g'. */
const LETTER_WEIGHT = new Map(ALPHABET.map((l, i) => [l, String.fromCharCode(i < 26 ? 0x41 + i : 0x61 + i - 26)]));
/** Combining tone marks → tone digit: ngang 0, huyền 1, hỏi 2, ngã 3, sắc 4, nặng 5. */
const TONE: Record<string, number> = { '\u0300': 1, '\u0309': 2, '\u0303': 3, '\u0301': 4, '\u0323': 5 };
/** Combining marks that make Vietnamese letters (breve ă, circumflex â ê ô, horn ơ ư); other marks are dropped. */
const LETTER_MARKS = new Set(['\u0306', '\u0302', '\u031b']);
const VOWELS = new Set(['a', 'ă', 'â', 'e', 'ê', 'i', 'o', 'ô', 'ơ', 'u', 'ư', 'y']);

/** Separates the given-name key from the rest key; below ' ' so that a shorter name sorts first. */
const SEP_GIVEN = '\u0001';
/** Separates the rest key from the spelling tie-break. */
const SEP_TIEBREAK = '\u0002';

interface Letter {
  /** Lower-case letter without tone (ă, ơ …) or a digit. */
  base: string;
  /** 0 … 5, see TONE. */
  tone: number;
}

/** The name as used for sorting: NFC, single spaces, parenthesised parts removed. */
function sortingName(fullName: string): string {
  return normalizeName(normalizeName(fullName).replace(/\([^)]*(\)|$)/g, ' '));
}

/** Splits a word into (letter, tone) pairs, ignoring characters that are neither letters nor digits. */
function letters(word: string): Letter[] {
  const out: Letter[] = [];
  for (const ch of word.toLowerCase()) {
    let tone = 0;
    let base = '';
    for (const c of ch.normalize('NFD')) {
      if (TONE[c] !== undefined) tone = TONE[c];
      else if (/\p{M}/u.test(c)) {
        if (LETTER_MARKS.has(c)) base += c;
      } else base += c;
    }
    base = base.normalize('NFC');
    if (!/^[\p{L}\p{N}]+$/u.test(base)) continue; // apostrophes, primes, hyphens, dots …
    out.push({ base, tone });
  }
  return out;
}

/** Step 5: moves a tone written on the last vowel of an open "oa" / "oe" / "uy" syllable to the first one. */
function normaliseTonePlacement(ls: Letter[]): Letter[] {
  const n = ls.length;
  if (n < 2) return ls;
  const pair = ls[n - 2].base + ls[n - 1].base;
  if (pair !== 'oa' && pair !== 'oe' && pair !== 'uy') return ls;
  if (ls[n - 1].tone === 0 || ls[n - 2].tone !== 0) return ls;
  const before = ls.slice(0, n - 2);
  if (before.some((l) => VOWELS.has(l.base))) return ls; // "oa"/"uy" is not the whole vowel cluster
  if (before.length > 0 && before[before.length - 1].base === 'q') return ls; // "quý": u belongs to qu
  const copy = ls.map((l) => ({ ...l }));
  copy[n - 2].tone = copy[n - 1].tone;
  copy[n - 1].tone = 0;
  return copy;
}

/** Sort key of one word: two characters (letter weight, tone digit) per letter; see the header, step 4. */
function wordKey(word: string): string {
  let key = '';
  for (const { base, tone } of normaliseTonePlacement(letters(word))) {
    const weight = LETTER_WEIGHT.get(base);
    if (weight) key += weight + tone;
    else if (/^[0-9]$/.test(base)) key += base + '0'; // digits before letters
    else key += '~' + base + tone; // letters outside the alphabet: after z
  }
  return key;
}

/**
 * Splits a candidate's full name into the given name (tên, the last word) and the rest (họ + tên đệm), after
 * NFC/whitespace normalisation and removal of parenthesised other names.
 *
 * @example splitCandidateName('Đặng Minh Châu (Hòa thượng Thích Bảo Nghiêm)')
 *   // → { givenName: 'Châu', surnameAndMiddle: 'Đặng Minh' }
 */
export function splitCandidateName(fullName: string): { givenName: string; surnameAndMiddle: string } {
  const words = sortingName(fullName).split(' ').filter((w) => w !== '' && letters(w).length > 0);
  const givenName = words.pop() ?? '';
  return { givenName, surnameAndMiddle: words.join(' ') };
}

/**
 * Sort key for the official ballot order: plain string comparison of two keys (JS `<`, or COLLATE "C" in SQL)
 * orders the names by given name, then by họ + tên đệm, using the Vietnamese alphabet with the tone compared on
 * the letter that carries it. The full algorithm is documented at the top of this file.
 *
 * @param fullName - the name as listed (NFC or NFD, any spacing); parenthesised other names are ignored.
 * @returns an opaque key; only its order is meaningful (it contains no NUL, so it can be stored in PostgreSQL).
 */
export function ballotSortKey(fullName: string): string {
  const { givenName, surnameAndMiddle } = splitCandidateName(fullName);
  const rest = surnameAndMiddle === '' ? '' : surnameAndMiddle.split(' ').map(wordKey).join(' ');
  return wordKey(givenName) + SEP_GIVEN + rest + SEP_TIEBREAK + sortingName(fullName);
}

/**
 * Compares two full names in official ballot order (negative if `a` comes first, 0 only for identical
 * cleaned-up spellings).
 */
export function compareBallotOrder(a: string, b: string): number {
  const ka = ballotSortKey(a);
  const kb = ballotSortKey(b);
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}

/**
 * Returns a new array of the names in official ballot order (the input is not modified).
 *
 * @example sortByBallotOrder(['Vũ Tiến Vượng', 'Nguyễn Trúc Anh', 'Nguyễn Phú Trọng'])
 *   // → ['Nguyễn Trúc Anh', 'Nguyễn Phú Trọng', 'Vũ Tiến Vượng']
 */
export function sortByBallotOrder(names: readonly string[]): string[];
/**
 * Returns a new array of the items in official ballot order of the name that `nameOf` gives for each item
 * (stable for items with identical names; the input is not modified).
 */
export function sortByBallotOrder<T>(items: readonly T[], nameOf: (item: T) => string): T[];
export function sortByBallotOrder<T>(items: readonly T[], nameOf?: (item: T) => string): T[] {
  const get = nameOf ?? ((item: T) => item as unknown as string);
  return items
    .map((item, index) => ({ item, index, key: ballotSortKey(get(item)) }))
    .sort((x, y) => (x.key < y.key ? -1 : x.key > y.key ? 1 : x.index - y.index))
    .map((x) => x.item);
}
