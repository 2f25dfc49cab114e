// i18n: message catalogues keyed by dotted ids, Vietnamese first, English second. Modules contribute catalogues
// through an explicit list (core/kernel/catalogues.ts); a duplicate key fails at boot.
export type Lang = 'vi' | 'en';
export const LANGS: Lang[] = ['vi', 'en'];
export type Catalogue = { vi: Record<string, string>; en: Record<string, string> };

export class I18n {
  private readonly messages: Record<Lang, Map<string, string>> = { vi: new Map(), en: new Map() };

  /** Adds a module's catalogue; refuses a key already registered. */
  add(owner: string, cat: Catalogue): void {
    for (const lang of LANGS) {
      for (const [k, v] of Object.entries(cat[lang])) {
        if (this.messages[lang].has(k)) throw new Error(`i18n: duplicate key "${k}" (${lang}) from ${owner}`);
        this.messages[lang].set(k, v);
      }
    }
  }

  has(key: string): boolean {
    return this.messages.vi.has(key);
  }

  /** Translates a key; missing English falls back to Vietnamese, a missing key shows itself (and is a bug). */
  t(lang: Lang, key: string, params?: Record<string, unknown>): string {
    const template = this.messages[lang].get(key) ?? this.messages.vi.get(key) ?? key;
    if (!params) return template;
    return template.replace(/\{(\w+)\}/g, (m, p) => (params[p] === undefined ? m : formatParam(lang, params[p])));
  }

  /** Every key of a language, for the catalogue-completeness test. */
  keys(lang: Lang): string[] {
    return [...this.messages[lang].keys()];
  }
}

function formatParam(lang: Lang, v: unknown): string {
  if (typeof v === 'number') return formatNumber(v, lang);
  return String(v);
}

/** Vietnamese groups thousands with dots ("78.928.647"), English with commas. */
export function formatNumber(n: number, lang: Lang = 'vi'): string {
  return (lang === 'vi' ? VI_NUMBER : EN_NUMBER).format(n);
}

// Built once: constructing an Intl.NumberFormat costs far more than formatting with it.
const VI_NUMBER = new Intl.NumberFormat('vi-VN');
const EN_NUMBER = new Intl.NumberFormat('en-US');
