// Vietnamese text helpers: NFC normalisation, accent-free search keys and a collation key for sorting.

/** NFC-normalise and collapse whitespace (names typed or pasted from Word arrive in NFD or with odd spaces). */
export function normalizeName(s: string): string {
  return s.normalize('NFC').replace(/\s+/g, ' ').trim();
}

/** Lower-case, accent-free form for search: "Phường Ba Đình" → "phuong ba dinh". */
export function searchKey(s: string): string {
  return s
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/đ/g, 'd')
    .replace(/Đ/g, 'D')
    .toLowerCase()
    .replace(/\s+/g, ' ')
    .trim();
}

// Vietnamese alphabet order: a ă â b c d đ e ê g h i k l m n o ô ơ p q r s t u ư v x y (f j w z sorted in Latin place).
const BASES = ['a', 'ă', 'â', 'b', 'c', 'd', 'đ', 'e', 'ê', 'f', 'g', 'h', 'i', 'j', 'k', 'l', 'm', 'n', 'o', 'ô', 'ơ', 'p', 'q', 'r', 's', 't', 'u', 'ư', 'v', 'w', 'x', 'y', 'z'];
const BASE_WEIGHT = new Map(BASES.map((b, i) => [b, String.fromCharCode(0x41 + i)]));
// Dictionary order of tones: ngang, huyền, hỏi, ngã, sắc, nặng.
const TONE_MARKS: Record<string, string> = { '\u0300': '1', '\u0309': '2', '\u0303': '3', '\u0301': '4', '\u0323': '5' };

/** Splits a letter into (base letter with its vowel modifiers, tone digit). */
function decompose(ch: string): { base: string; tone: string } {
  const nfd = ch.normalize('NFD');
  let tone = '0';
  let rest = '';
  for (const c of nfd) {
    if (TONE_MARKS[c]) tone = TONE_MARKS[c];
    else rest += c;
  }
  return { base: rest.normalize('NFC'), tone };
}

/**
 * A string whose byte order (COLLATE "C") is Vietnamese dictionary order: letters compared first by base
 * letter (ă after a, đ after d, ư after u …), words in order, and tones only as a tie-break.
 */
export function collationKey(s: string): string {
  const lower = normalizeName(s).toLowerCase();
  let primary = '';
  let tones = '';
  for (const ch of lower) {
    if (ch === ' ') {
      primary += ' ';
      continue;
    }
    const { base, tone } = decompose(ch);
    const w = BASE_WEIGHT.get(base);
    if (w) {
      primary += w;
      tones += tone;
    } else if (/[0-9]/.test(base)) {
      primary += '0' + base; // digits before letters
    } else {
      primary += base.replace(/[^\p{L}\p{N}]/gu, '');
    }
  }
  // A separator lower than any letter keeps "An" before "An Bình".
  return primary + '\u0001' + tones;
}

/** Compare two Vietnamese strings in dictionary order. */
export function compareVi(a: string, b: string): number {
  const ka = collationKey(a);
  const kb = collationKey(b);
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}
