// The allocation page of the official lists (GET /elections/:id/candidate-lists) is searchable without accents and
// sortable, with Vietnamese collation for the unit label (Đ after D, Ô after O), before pagination; page and sort
// links keep the search; an unknown sort falls back to the default; the JSON answer ignores q/sort. Units are
// inserted with SQL under reference communes of Hà Nội (01) and Hồ Chí Minh City (79).
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import { REPO_ROOT, startTestApp, type TestApp } from '../helpers/test-app.js';
import { openWatchedPage, signInOnForm } from '../helpers/browser.js';
import { TestClient, createUser } from '../helpers/client.js';
import { insertUnits, referenceUnits } from '../helpers/admin-units-fixture.js';
import { sql } from '../../core/persistence/db.js';
import { newId } from '../../core/shared/ids.js';

let app: TestApp;
const em = () => app.orm.em.fork();
const SCREENS = path.join(REPO_ROOT, 'tmp', 'screens');
const HANOI = '01';
const HCMC = '79';
let electionId: string;
let nec: TestClient;

// Hà Nội wards (code → name in the reference data), one commune-council unit each, and one commune (Xã).
const WARDS: Record<string, string> = {
  '00004': 'Phường Ba Đình', '00008': 'Phường Ngọc Hà', '00025': 'Phường Giảng Võ', '00070': 'Phường Hoàn Kiếm',
  '00082': 'Phường Cửa Nam', '00097': 'Phường Hồng Hà', '00103': 'Phường Tây Hồ', '00118': 'Phường Bồ Đề',
  '00166': 'Phường Cầu Giấy', '00175': 'Phường Yên Hòa', '00190': 'Phường Ô Chợ Dừa', '00235': 'Phường Đống Đa',
  '00316': 'Phường Định Công', '09886': 'Phường Dương Nội',
};
const XA = { code: '10180', name: 'Xã Dân Hòa' };
// Vietnamese dictionary order of the wards, written out by hand: a < ă < â … d < đ … o < ô < ơ, tones last.
const WARDS_VI_ORDER = [
  'Phường Ba Đình', 'Phường Bồ Đề', 'Phường Cầu Giấy', 'Phường Cửa Nam', 'Phường Dương Nội', 'Phường Định Công', 'Phường Đống Đa',
  'Phường Giảng Võ', 'Phường Hoàn Kiếm', 'Phường Hồng Hà', 'Phường Ngọc Hà', 'Phường Ô Chợ Dừa', 'Phường Tây Hồ', 'Phường Yên Hòa',
];

async function insertUnit(contest: string, level: 'province' | 'commune', parent: string, n: number, seats: number): Promise<string> {
  const id = newId();
  await sql(em(), `insert into electoral_unit (id, election_id, contest, parent_level, parent_code, number, seats, name) values (?, ?, ?, ?, ?, ?, ?, ?)`,
    [id, electionId, contest, level, parent, n, seats, `Đơn vị bầu cử số ${n}`]);
  return id;
}

const base = () => `/elections/${electionId}/candidate-lists`;
const unescape = (s: string) => s.replace(/&amp;/g, '&').replace(/&quot;/g, '"').replace(/&#x3D;/g, '=');

/** The table rows of the page: unit number, unit name and its label (place name / description). */
function unitRows(html: string): { number: number; name: string; label: string }[] {
  const body = html.slice(html.indexOf('<tbody>'), html.indexOf('</tbody>'));
  return [...body.matchAll(/<tr class="cl-row-[a-z]+">\s*<td class="num">(\d+)<\/td>\s*<th scope="row"><a href="[^"]*">([^<]*)<\/a>(?: <small class="muted">([^<]*)<\/small>)?/g)]
    .map((m) => ({ number: Number(m[1]), name: m[2], label: m[3] ?? '' }));
}

const pagerHref = (html: string, rel: 'next' | 'prev'): URLSearchParams | undefined => {
  const m = new RegExp(`<a rel="${rel}" href="([^"]*)"`).exec(html);
  return m ? new URLSearchParams(unescape(m[1]).replace(/^[^?]*\?/, '')) : undefined;
};

const sortHeader = (html: string, col: string): { aria: string; href: URLSearchParams } => {
  const m = new RegExp(`<th scope="col"[^>]* aria-sort="([a-z]+)"><a href="([^"]*[?&]sort=${col}(?:&[^"]*)?)"`).exec(unescape(html));
  if (!m) throw new Error(`no sortable header for ${col}`);
  return { aria: m[1], href: new URLSearchParams(m[2].replace(/^[^?]*\?/, '')) };
};

async function page(query: string): Promise<string> {
  const res = await nec.get(`${base()}?${query}`);
  const html = await res.text();
  expect(res.status, html.slice(0, 500)).toBe(200);
  return html;
}

beforeAll(async () => {
  app = await startTestApp('cl-alloc-sort');
  await insertUnits(em(), referenceUnits([HANOI, HCMC]));
  electionId = newId();
  await sql(em(), `insert into election (id, name, election_day, status) values (?, 'Bầu cử thử: tìm và sắp xếp đơn vị', '2026-03-15', 'official-lists')`, [electionId]);
  for (const c of ['national-assembly', 'provincial-council', 'commune-council']) await sql(em(), `insert into plugin_state (election_id, plugin_id, enabled) values (?, ?, true)`, [electionId, c]);
  // National Assembly: five units in Hà Nội (seats 3, 2, 3, 2, 3), two in Hồ Chí Minh City.
  for (let n = 1; n <= 5; n++) await insertUnit('national-assembly', 'province', HANOI, n, n % 2 ? 3 : 2);
  for (let n = 1; n <= 2; n++) await insertUnit('national-assembly', 'province', HCMC, n, 3);
  // Commune councils: one unit per ward of Hà Nội, and one in a commune.
  for (const code of [...Object.keys(WARDS), XA.code]) await insertUnit('commune-council', 'commune', code, 1, 2);
  const u = await createUser(em(), { roles: [{ role: 'nec-official', scopeType: 'nation', scopeCode: 'VN' }], totp: true });
  nec = new TestClient(app.url);
  await nec.login(u, em());
});

afterAll(async () => {
  await app?.close();
});

describe('allocation page: search without accents', () => {
  it('"ha noi" finds the NA units of Thành phố Hà Nội and not those of Hồ Chí Minh City; totals stay those of the nation', async () => {
    const html = await page('contest=national-assembly&place=VN&q=ha+noi');
    const rows = unitRows(html);
    expect(rows).toHaveLength(5);
    expect(rows.every((r) => r.label === 'Thành phố Hà Nội')).toBe(true);
    expect(html).toContain('5 kết quả');
    // The counts above the table are the whole place's (7 units, 19 seats), not the filtered subset's.
    expect(html).toMatch(/<strong>7<\/strong>đơn vị bầu cử/);
    expect(html).toMatch(/<strong>19<\/strong>đại biểu được bầu/);
    expect(html).toContain('value="ha noi"');
  });

  it('a ward typed without diacritics ("dong da") finds Phường Đống Đa; the accented form finds it too; a miss says so', async () => {
    for (const q of ['dong da', 'Đống Đa', 'DONG DA']) {
      const rows = unitRows(await page(`contest=commune-council&place=${HANOI}&q=${encodeURIComponent(q)}`));
      expect(rows.map((r) => r.label), q).toEqual(['Phường Đống Đa']);
    }
    const none = await page(`contest=commune-council&place=${HANOI}&q=khong+co+dau`);
    expect(unitRows(none)).toHaveLength(0);
    expect(none).toContain('0 kết quả');
    expect(none).toContain('Không có đơn vị bầu cử nào khớp «khong co dau».');
  });

  it('digits find the unit by its number', async () => {
    const rows = unitRows(await page(`contest=national-assembly&place=${HANOI}&q=4`));
    expect(rows.map((r) => r.number)).toEqual([4]);
  });
});

describe('allocation page: sortable columns', () => {
  it('sort by number: ascending is the default order, descending reverses it; headers carry aria-sort and keep contest, place and q', async () => {
    const plain = await page(`contest=national-assembly&place=${HANOI}`);
    expect(unitRows(plain).map((r) => r.number)).toEqual([1, 2, 3, 4, 5]);
    const asc = await page(`contest=national-assembly&place=${HANOI}&sort=number`);
    expect(unitRows(asc).map((r) => r.number)).toEqual([1, 2, 3, 4, 5]);
    expect(sortHeader(asc, 'number').aria).toBe('ascending');
    expect(sortHeader(asc, 'number').href.get('dir')).toBe('desc');
    const desc = await page(`contest=national-assembly&place=${HANOI}&sort=number&dir=desc`);
    expect(unitRows(desc).map((r) => r.number)).toEqual([5, 4, 3, 2, 1]);
    expect(sortHeader(desc, 'number').aria).toBe('descending');
    expect(sortHeader(desc, 'seats').aria).toBe('none');

    const withQ = await page(`contest=national-assembly&place=VN&q=ha+noi&sort=number&dir=desc`);
    for (const col of ['number', 'label', 'seats', 'assigned', 'status', 'women']) {
      const h = sortHeader(withQ, col).href;
      expect(h.get('contest'), col).toBe('national-assembly');
      expect(h.get('place'), col).toBe('VN');
      expect(h.get('q'), col).toBe('ha noi');
      expect(h.get('page'), col).toBeNull();
    }
  });

  it('sort by seats orders by seats, ties in unit order', async () => {
    const rows = unitRows(await page(`contest=national-assembly&place=${HANOI}&sort=seats`));
    expect(rows.map((r) => r.number)).toEqual([2, 4, 1, 3, 5]);
    const desc = unitRows(await page(`contest=national-assembly&place=${HANOI}&sort=seats&dir=desc`));
    expect(desc.map((r) => r.number)).toEqual([1, 3, 5, 2, 4]);
  });

  it('sort by label follows Vietnamese order (D < Đ < G, O < Ô), not code points or a Latin locale', async () => {
    const html = await page(`contest=commune-council&place=${HANOI}&q=phuong&sort=label&size=20`);
    const labels = unitRows(html).map((r) => r.label);
    expect(labels).toEqual(WARDS_VI_ORDER);
    expect(labels.indexOf('Phường Đống Đa')).toBeGreaterThan(labels.indexOf('Phường Dương Nội'));
    expect(labels.indexOf('Phường Đống Đa')).toBeLessThan(labels.indexOf('Phường Giảng Võ'));
    const desc = unitRows(await page(`contest=commune-council&place=${HANOI}&q=phuong&sort=label&dir=desc&size=20`)).map((r) => r.label);
    expect(desc).toEqual([...WARDS_VI_ORDER].reverse());
    // Without a search the commune (Xã) is there too, after every ward.
    const all = unitRows(await page(`contest=commune-council&place=${HANOI}&sort=label&size=20`)).map((r) => r.label);
    expect(all).toEqual([...WARDS_VI_ORDER, XA.name]);
  });

  it('sort and search happen before pagination, and the page links keep q, sort, dir and size', async () => {
    const first = await page(`contest=commune-council&place=${HANOI}&q=phuong&sort=label&dir=desc&size=10`);
    const expected = [...WARDS_VI_ORDER].reverse();
    expect(unitRows(first).map((r) => r.label)).toEqual(expected.slice(0, 10));
    expect(first).toContain('14 kết quả');
    const next = pagerHref(first, 'next')!;
    expect(next).toBeDefined();
    expect(next.get('q')).toBe('phuong');
    expect(next.get('sort')).toBe('label');
    expect(next.get('dir')).toBe('desc');
    expect(next.get('size')).toBe('10');
    expect(next.get('contest')).toBe('commune-council');
    expect(next.get('place')).toBe(HANOI);
    expect(next.get('page')).toBe('2');
    const second = await page(next.toString());
    expect(unitRows(second).map((r) => r.label)).toEqual(expected.slice(10));
    const prev = pagerHref(second, 'prev')!;
    expect(prev.get('q')).toBe('phuong');
    expect(prev.get('sort')).toBe('label');
    // The search form carries the sort along.
    expect(second).toMatch(/<input type="hidden" name="sort" value="label">/);
    expect(second).toMatch(/<input type="hidden" name="dir" value="desc">/);
  });

  it('an unknown sort or direction falls back to the default order without an error', async () => {
    const html = await page(`contest=national-assembly&place=${HANOI}&sort=${encodeURIComponent("name; drop table x")}&dir=sideways`);
    expect(unitRows(html).map((r) => r.number)).toEqual([1, 2, 3, 4, 5]);
    expect(sortHeader(html, 'number').aria).toBe('ascending');
    const arr = await page(`contest=national-assembly&place=${HANOI}&sort=number&sort=label`);
    expect(unitRows(arr).map((r) => r.number)).toEqual([1, 2, 3, 4, 5]);
  });
});

describe('allocation page: the JSON answer', () => {
  it('is the same with or without q and sort (whole place, unit order)', async () => {
    const get = async (qs: string) => (await (await nec.get(`${base()}?${qs}`, { accept: 'application/json' })).json()) as { totals: unknown; units: { id: string; number: number }[] };
    const plain = await get(`contest=national-assembly&place=VN`);
    const withQ = await get(`contest=national-assembly&place=VN&q=ha+noi&sort=number&dir=desc`);
    expect(withQ).toEqual(plain);
    expect(plain.units).toHaveLength(7);
    expect(Object.keys(plain.units[0]).sort()).toEqual(['assigned', 'exception', 'id', 'number', 'official', 'required', 'seats', 'status']);
  });
});

describe('allocation page in the browser', () => {
  it('the search box is reached with the keyboard, a search without accents narrows the table, no console errors (screenshot)', async () => {
    const errors: string[] = [];
    const w = await openWatchedPage(errors);
    try {
      const u = await createUser(em(), { roles: [{ role: 'nec-official', scopeType: 'nation', scopeCode: 'VN' }], totp: true });
      await w.page.goto(`${app.url}${base()}?contest=commune-council&place=01`, { waitUntil: 'networkidle0' });
      await signInOnForm(w.page, u, { secondFactor: true, em: em() });
      await w.page.goto(`${app.url}${base()}?contest=commune-council&place=01&sort=label`, { waitUntil: 'networkidle0' });
      // Tab from the top until the search box has the focus, type without accents, Enter.
      let focused = '';
      for (let i = 0; i < 40 && focused !== 'search'; i++) {
        await w.page.keyboard.press('Tab');
        focused = await w.page.evaluate(() => (document.activeElement as HTMLInputElement | null)?.type ?? '');
      }
      expect(focused).toBe('search');
      await w.page.keyboard.type('dong da');
      await Promise.all([w.page.waitForNavigation({ waitUntil: 'networkidle0' }), w.page.keyboard.press('Enter')]);
      const rows = unitRows(await w.page.content());
      expect(rows.map((r) => r.label)).toEqual(['Phường Đống Đa']);
      expect(new URL(w.page.url()).searchParams.get('sort')).toBe('label');
      fs.mkdirSync(SCREENS, { recursive: true });
      await w.page.goto(`${app.url}${base()}?contest=commune-council&place=01&sort=label&dir=desc&size=10`, { waitUntil: 'networkidle0' });
      await w.page.screenshot({ path: path.join(SCREENS, 'candidate-lists-allocation-sort.png'), fullPage: true });
      expect(errors).toEqual([]);
    } finally {
      await w.close();
    }
  }, 60_000);
});
