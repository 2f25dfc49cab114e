// An isolated Handlebars environment: layouts, core partials and pages from an explicit list (views/templates.ts),
// plugin partials namespaced `<pluginId>/…`, helpers registered explicitly. A duplicate name fails at boot.
import fs from 'node:fs';
import path from 'node:path';
import Handlebars from 'handlebars';
import type { I18n, Lang } from '../shared/i18n.js';
import { formatNumber } from '../shared/i18n.js';

type HB = typeof Handlebars;
export type TemplateDelegate = Handlebars.TemplateDelegate;

export interface ViewEngineOptions {
  viewsDir: string;
  layouts: string[];
  partials: string[];
  pages: string[];
  i18n: I18n;
  pluginViews?: { pluginId: string; dir: string }[];
}

export class ViewEngine {
  readonly hb: HB = Handlebars.create();
  private readonly pages = new Map<string, TemplateDelegate>();
  private readonly layouts = new Map<string, TemplateDelegate>();
  private readonly partialNames = new Set<string>();

  constructor(private readonly o: ViewEngineOptions) {
    registerHelpers(this.hb, o.i18n);
    for (const name of o.partials) this.addPartial(name, this.read(`partials/${name}.hbs`));
    for (const name of o.layouts) this.layouts.set(name, this.hb.compile(this.read(`layouts/${name}.hbs`), { strict: false }));
    for (const name of o.pages) {
      if (this.pages.has(name)) throw new Error(`view: duplicate page "${name}"`);
      this.pages.set(name, this.hb.compile(this.read(`pages/${name}.hbs`)));
    }
    for (const pv of o.pluginViews ?? []) {
      if (!fs.existsSync(pv.dir)) continue;
      for (const f of fs.readdirSync(pv.dir).filter((f) => f.endsWith('.hbs')).sort()) {
        const name = `${pv.pluginId}/${f.replace(/\.hbs$/, '')}`;
        const src = fs.readFileSync(path.join(pv.dir, f), 'utf8');
        this.addPartial(name, src);
        this.pages.set(name, this.hb.compile(src));
      }
    }
  }

  private read(rel: string): string {
    return fs.readFileSync(path.join(this.o.viewsDir, rel), 'utf8');
  }

  private addPartial(name: string, src: string): void {
    if (this.partialNames.has(name)) throw new Error(`view: duplicate partial "${name}"`);
    this.partialNames.add(name);
    this.hb.registerPartial(name, src);
  }

  has(page: string): boolean {
    return this.pages.has(page);
  }

  /** Renders a page inside a layout. `data.lang` drives the `t` helper. */
  render(page: string, data: Record<string, unknown>, layout: string | null = 'main'): string {
    const tpl = this.pages.get(page);
    if (!tpl) throw new Error(`view: unknown page "${page}"`);
    const body = tpl(data);
    if (!layout) return body;
    const l = this.layouts.get(layout);
    if (!l) throw new Error(`view: unknown layout "${layout}"`);
    return l({ ...data, body });
  }
}

function registerHelpers(hb: HB, i18n: I18n): void {
  const lang = (options: any): Lang => (options?.data?.root?.lang as Lang) ?? 'vi';
  const helpers: Record<string, Handlebars.HelperDelegate> = {
    /** {{t "key" name=value}} — translated, HTML-escaped by Handlebars. */
    t(key: string, options: any) {
      return i18n.t(lang(options), key, options?.hash);
    },
    num(n: unknown, options: any) {
      return typeof n === 'number' || (typeof n === 'string' && n !== '' && !isNaN(Number(n))) ? formatNumber(Number(n), lang(options)) : '';
    },
    date(d: unknown, options: any) {
      if (!d) return '';
      const dt = d instanceof Date ? d : new Date(String(d));
      if (isNaN(dt.getTime())) return String(d);
      return dateFormat(lang(options) === 'vi' ? 'vi-VN' : 'en-GB', options?.hash?.time !== false).format(dt);
    },
    eq: (a: unknown, b: unknown) => a === b,
    ne: (a: unknown, b: unknown) => a !== b,
    gt: (a: number, b: number) => a > b,
    lt: (a: number, b: number) => a < b,
    and: (...args: unknown[]) => args.slice(0, -1).every(Boolean),
    or: (...args: unknown[]) => args.slice(0, -1).some(Boolean),
    not: (a: unknown) => !a,
    /** {{pick cond a b}}: a if cond, else b (for sort-direction links). */
    pick: (c: unknown, a: unknown, b: unknown) => (c ? a : b),
    add: (a: number, b: number) => Number(a) + Number(b),
    concat: (...args: unknown[]) => args.slice(0, -1).join(''),
    percentOf: (part: number, whole: number) => (whole > 0 ? Math.min(100, Math.round((part / whole) * 100)) : 0),
    /** Builds a query string from the current query with overrides: {{qs query page=2}}. */
    qs(query: Record<string, unknown>, options: any) {
      const p = new URLSearchParams();
      for (const [k, v] of Object.entries({ ...(query ?? {}), ...(options?.hash ?? {}) })) {
        if (v !== undefined && v !== null && v !== '') p.set(k, String(v));
      }
      const s = p.toString();
      return s ? '?' + s : '';
    },
  };
  for (const [name, fn] of Object.entries(helpers)) {
    if (hb.helpers[name]) throw new Error(`view: duplicate helper "${name}"`);
    hb.registerHelper(name, fn);
  }
}

// One formatter per (locale, with time): constructing an Intl.DateTimeFormat costs far more than formatting.
const DATE_FORMATS = new Map<string, Intl.DateTimeFormat>();
function dateFormat(locale: string, withTime: boolean): Intl.DateTimeFormat {
  const k = `${locale}|${withTime}`;
  let f = DATE_FORMATS.get(k);
  if (!f) DATE_FORMATS.set(k, (f = new Intl.DateTimeFormat(locale, { dateStyle: 'short', timeStyle: withTime ? 'short' : undefined, timeZone: 'Asia/Ho_Chi_Minh' })));
  return f;
}
