// Unit tests for the Vietnamese text helpers: search keys, name normalisation and the dictionary collation key.
import { describe, expect, it } from 'vitest';
import { collationKey, compareVi, normalizeName, searchKey } from '../../core/shared/vn-text.js';

/** Asserts that `words` is in strictly increasing order, both by compareVi and by plain comparison of keys. */
function expectAscending(words: string[]): void {
  for (let i = 1; i < words.length; i++) {
    const [a, b] = [words[i - 1], words[i]];
    expect(compareVi(a, b), `${a} < ${b}`).toBeLessThan(0);
    expect(compareVi(b, a), `${b} > ${a}`).toBeGreaterThan(0);
    expect(collationKey(a) < collationKey(b), `key(${a}) < key(${b})`).toBe(true);
  }
  expect([...words].reverse().sort(compareVi)).toEqual(words);
}

describe('searchKey', () => {
  it('removes accents and tones', () => {
    expect(searchKey('Phường Ba Đình')).toBe('phuong ba dinh');
    expect(searchKey('Nguyễn Thị Ánh Tuyết')).toBe('nguyen thi anh tuyet');
    expect(searchKey('ă â ê ô ơ ư')).toBe('a a e o o u');
    expect(searchKey('Quảng Trị, Thừa Thiên Huế')).toBe('quang tri, thua thien hue');
  });

  it('maps đ/Đ to d', () => {
    expect(searchKey('Đắk Lắk')).toBe('dak lak');
    expect(searchKey('đường ĐỒNG')).toBe('duong dong');
  });

  it('lower-cases and collapses whitespace', () => {
    expect(searchKey('  HÀ   NỘI\t')).toBe('ha noi');
    expect(searchKey('Hồ\u00a0Chí\nMinh')).toBe('ho chi minh');
  });

  it('gives the same key for NFC and NFD input', () => {
    const s = 'Bà Rịa - Vũng Tàu';
    expect(searchKey(s.normalize('NFD'))).toBe(searchKey(s.normalize('NFC')));
    expect(searchKey(s)).toBe('ba ria - vung tau');
  });
});

describe('normalizeName', () => {
  it('turns NFD into NFC', () => {
    const nfd = 'Nguyễn Quốc Hùng'.normalize('NFD');
    expect(nfd).not.toBe('Nguyễn Quốc Hùng'.normalize('NFC'));
    expect(normalizeName(nfd)).toBe('Nguyễn Quốc Hùng'.normalize('NFC'));
  });

  it('trims and collapses spaces, tabs, newlines and non-breaking spaces', () => {
    expect(normalizeName('  Nguyễn \u00a0Văn\t\tAn\n')).toBe('Nguyễn Văn An');
  });

  it('keeps case and letters, and is idempotent', () => {
    const once = normalizeName(' ĐẶNG  thị KIM '.normalize('NFD'));
    expect(once).toBe('ĐẶNG thị KIM');
    expect(normalizeName(once)).toBe(once);
  });
});

describe('collationKey / compareVi', () => {
  it('orders letters by the Vietnamese alphabet: a < ă < â < b, d < đ < e, o < ô < ơ < p, u < ư < v', () => {
    expectAscending(['a', 'ă', 'â', 'b']);
    expectAscending(['d', 'đ', 'e']);
    expectAscending(['o', 'ô', 'ơ', 'p']);
    expectAscending(['u', 'ư', 'v']);
    expectAscending(['Dung', 'Đa', 'Em']);
  });

  it('sorts the whole alphabet', () => {
    const alphabet = 'a ă â b c d đ e ê g h i k l m n o ô ơ p q r s t u ư v x y'.split(' ');
    expectAscending(alphabet);
  });

  it('puts a word before its extensions: "An" < "An Bình" < "Anh"', () => {
    expectAscending(['An', 'An Bình', 'Anh']);
  });

  it('uses tones only as a tie-break: Ba < Bà < Bả < Bã < Bá < Bạ, and Bà < Bác', () => {
    expectAscending(['Ba', 'Bà', 'Bả', 'Bã', 'Bá', 'Bạ']);
    expectAscending(['Bà', 'Bác']);
    expectAscending(['Bạ', 'Bác']); // letters decide before tones
    expectAscending(['Hòa', 'Hoan']);
  });

  it('ignores case, NFC/NFD and spacing', () => {
    expect(compareVi('AN BÌNH', 'an bình')).toBe(0);
    expect(compareVi('Nguyễn  Văn An'.normalize('NFD'), 'Nguyễn Văn An')).toBe(0);
    expect(collationKey(' Đà Nẵng ')).toBe(collationKey('đà nẵng'));
  });

  it('puts digits before letters', () => {
    expectAscending(['Phường 1', 'Phường A']);
  });

  it('sorts province names in Vietnamese order', () => {
    expectAscending(['An Giang', 'Bắc Ninh', 'Cà Mau', 'Cao Bằng', 'Đà Nẵng', 'Điện Biên', 'Đồng Tháp', 'Gia Lai', 'Hà Nội']);
  });
});
