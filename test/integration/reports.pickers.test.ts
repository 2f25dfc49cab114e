// Pickers of the report request forms (issue 8 point 1): the parameters are chosen from lists filled from the
// actor's scope, not typed as codes. The whole tree (34 provinces, 3,321 communes, from the reference files) is
// searched on the server without accents ("ha noi" → "Hà Nội"); a commune official gets only their commune, a
// province official only their province; units and areas follow the election and the scope; the page works
// without JavaScript (selects and <datalist>s), and a form filled from its own options is accepted.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { startTestApp, REFERENCE_DATA_DIR, type TestApp } from '../helpers/test-app.js';
import { insertUnits, referenceUnits } from '../helpers/admin-units-fixture.js';
import { createTokenUser, type TokenUser } from '../helpers/token-user.js';
import { createElection } from '../helpers/structure.js';
import { seedResultsStructure, type SeedUnit } from '../helpers/results.js';

interface Items { items: { value: string; label: string; key?: string }[] }
const PROVINCES = (parse(fs.readFileSync(path.join(REFERENCE_DATA_DIR, 'provinces_2025.csv'), 'utf8'), { columns: true }) as { province_code: string }[]).map((p) => p.province_code);

let app: TestApp;
let nec: TokenUser;
let province: TokenUser;
let commune: TokenUser;
let seededCommune: TokenUser;
let electionId: string;
let units: SeedUnit[];
let communeCode: string;
let communeCount: number;

beforeAll(async () => {
  app = await startTestApp('reports_pickers');
  const em = app.orm.em.fork();
  const all = referenceUnits(PROVINCES);
  communeCount = all.filter((u) => u.level === 'commune').length;
  await insertUnits(em, all);
  communeCode = all.find((u) => u.level === 'commune' && u.parent === '12')!.code;
  nec = await createTokenUser(em, 'nec', 'nec-official', 'nation', 'VN');
  province = await createTokenUser(em, 'lai-chau', 'province-official', 'province', '12');
  commune = await createTokenUser(em, 'xa', 'commune-official', 'commune', communeCode);
  electionId = await createElection(app, { name: 'Bầu cử thử nghiệm bộ chọn' });
  units = await seedResultsStructure(em, electionId, { provinces: [{ communes: [{ areas: 2 }, { areas: 3 }] }] }); // codes R01, R01001, R01002
  seededCommune = await createTokenUser(em, 'xa-r', 'commune-official', 'commune', 'R01001');
}, 120_000);
afterAll(async () => { await app?.close(); });

const pick = async (who: TokenUser, kind: string, query: Record<string, string>): Promise<Items> => {
  const res = await fetch(`${app.url}/reports/pickers/${kind}?${new URLSearchParams(query)}`, { headers: { ...who.headers, accept: 'application/json' } });
  expect(res.status, await res.clone().text()).toBe(200);
  return (await res.json()) as Items;
};
const values = (i: Items) => i.items.map((x) => x.value);

describe('accent-free search over the whole tree', () => {
  it(`the tree holds ${'3,321'} communes; "ha noi" finds Thành phố Hà Nội, "ba dinh" Phường Ba Đình, with or without accents`, async () => {
    expect(communeCount).toBe(3321);
    const t0 = performance.now();
    const hn = await pick(nec, 'place', { report: 'forms.turnout-slot', field: 'code', q: 'ha noi' });
    const ms = performance.now() - t0;
    expect(hn.items[0]).toMatchObject({ value: '01', label: 'Thành phố Hà Nội (01)' });
    expect(hn.items[0].key).toContain('ha noi');
    expect(ms).toBeLessThan(2000);
    const bd = await pick(nec, 'place', { report: 'forms.turnout-slot', field: 'code', q: 'ba dinh' });
    expect(bd.items.find((i) => i.value === '00004')?.label).toBe('Phường Ba Đình — Thành phố Hà Nội (00004)');
    expect(values(await pick(nec, 'place', { report: 'forms.turnout-slot', field: 'code', q: 'Ba Đình' }))).toContain('00004');
    expect(values(await pick(nec, 'place', { report: 'forms.turnout-slot', field: 'code', q: 'BA DINH' }))).toContain('00004');
    // A code prefix; whole-word prefixes only ("inh" is not a word start).
    expect(values(await pick(nec, 'place', { report: 'forms.turnout-slot', field: 'code', q: '0000' }))).toContain('00004');
    expect(values(await pick(nec, 'place', { report: 'forms.turnout-slot', field: 'code', q: 'inh' }))).not.toContain('00004');
    // The nation is a choice where the report takes it.
    expect(values(await pick(nec, 'place', { report: 'forms.turnout-slot', field: 'code', q: 'toan quoc' }))).toEqual(['VN']);
    // Results are capped (a search, not a dump of 3,321 rows).
    expect((await pick(nec, 'place', { report: 'forms.turnout-slot', field: 'code', q: 'xa' })).items.length).toBe(20);
  });

  it("the levels come from the report's parameter schema: provinceCode → provinces only; communeCode → communes only", async () => {
    const p = await pick(nec, 'place', { report: 'forms.province-na-results-minutes', field: 'provinceCode', q: 'ha' });
    expect(p.items.length).toBeGreaterThan(0);
    expect(p.items.every((i) => /^\d{2}$/.test(i.value))).toBe(true);
    const c = await pick(nec, 'place', { report: 'commune-summary', field: 'communeCode', q: 'ha noi' });
    expect(c.items.length).toBe(20); // Hà Nội's communes, found by their province's name
    expect(c.items.every((i) => /^\d{5}$/.test(i.value))).toBe(true);
  });
});

describe('scoped by role', () => {
  it('a commune official gets only their commune, whatever they type', async () => {
    expect(values(await pick(commune, 'place', { report: 'forms.turnout-slot', field: 'code', q: '' }))).toEqual([communeCode]);
    expect(values(await pick(commune, 'place', { report: 'forms.turnout-slot', field: 'code', q: 'ha noi' }))).toEqual([]);
    expect(values(await pick(commune, 'place', { report: 'forms.turnout-slot', field: 'code', q: '00004' }))).toEqual([]);
  });

  it('a province official gets their province and its communes, nothing of another province, not the nation', async () => {
    const all = await pick(province, 'place', { report: 'forms.turnout-slot', field: 'code', q: '' });
    expect(all.items[0].value).toBe('12');
    expect(all.items.slice(1).every((i) => /^\d{5}$/.test(i.value))).toBe(true);
    expect(values(all)).toContain(communeCode);
    expect(values(await pick(province, 'place', { report: 'forms.turnout-slot', field: 'code', q: 'ha noi' }))).toEqual([]);
    expect(values(await pick(province, 'place', { report: 'forms.turnout-slot', field: 'code', q: 'toan quoc' }))).toEqual([]);
  });

  it('units and areas: a commune official gets those of their commune in the chosen election only', async () => {
    const mineUnits = units.filter((u) => u.commune === 'R01001').map((u) => u.id);
    const mineAreas = [...new Set(units.filter((u) => u.commune === 'R01001').flatMap((u) => u.areas))];
    const u = await pick(seededCommune, 'unit', { report: 'forms.board-results-minutes', electionId, q: '' });
    expect(values(u).sort()).toEqual([...mineUnits].sort());
    expect(u.items[0].label).toMatch(/^Đơn vị bầu cử số 1 — Xã R01001 \(HĐND cấp xã\)$/);
    const a = await pick(seededCommune, 'area', { report: 'forms.team-count-minutes', electionId, q: '' });
    expect(values(a).sort()).toEqual([...mineAreas].sort());
    // The nation sees every unit (NA and council) and can narrow by contest and place, accent-free.
    const na = await pick(nec, 'unit', { report: 'forms.board-results-minutes', electionId, contest: 'national-assembly', q: 'tinh r01' });
    expect(values(na)).toEqual(units.filter((x) => x.contest === 'national-assembly').map((x) => x.id));
    // No election chosen: nothing.
    expect((await pick(nec, 'unit', { report: 'forms.board-results-minutes', q: '' })).items).toEqual([]);
  });

  it('elections and report times are selects; anonymous gets 401, an unknown picker 400', async () => {
    expect((await pick(commune, 'election', { report: 'forms.turnout-slot' })).items.map((i) => i.value)).toContain(electionId);
    expect(values(await pick(commune, 'slot', { report: 'forms.turnout-slot', electionId }))).toEqual(['09:00', '11:00', '14:00', '17:00', 'close']);
    expect((await fetch(`${app.url}/reports/pickers/place?report=forms.turnout-slot`, { headers: { accept: 'application/json' } })).status).toBe(401);
    expect((await fetch(`${app.url}/reports/pickers/secrets?report=forms.turnout-slot`, { headers: { ...nec.headers, accept: 'application/json' } })).status).toBe(400);
  });
});

describe('the request page without JavaScript', () => {
  /** The HTML of one report's form on GET /reports. */
  const formOf = (html: string, slug: string) => {
    const at = html.indexOf(`id="report-${slug.replace(/[^a-z0-9]+/g, '-')}"`);
    return html.slice(at, html.indexOf('</form>', at));
  };

  it("a commune official's turnout form: election and time selects, a place field whose list holds only their commune; sending it as filled is accepted", async () => {
    const html = await (await fetch(app.url + '/reports', { headers: commune.headers })).text();
    const form = formOf(html, 'forms.turnout-slot');
    expect(form).toMatch(/<select id="forms-turnout-slot-electionId" name="electionId" data-picker="election" required>/);
    expect(form).toContain(`<option value="${electionId}">Bầu cử thử nghiệm bộ chọn (15/03/2026)</option>`);
    expect(form).toMatch(/<select id="forms-turnout-slot-slot" name="slot" data-picker="slot" required>/);
    expect(form).toContain('<option value="close">Kết thúc bỏ phiếu</option>');
    expect(form).toMatch(/<input id="forms-turnout-slot-code" type="text" name="code" list="forms-turnout-slot-code-list"/);
    const options = [...form.matchAll(/<datalist id="forms-turnout-slot-code-list">([\s\S]*?)<\/datalist>/g)][0][1].match(/<option value="([^"]+)"/g)!;
    expect(options).toEqual([`<option value="${communeCode}"`]);
    const search = /data-search="([^"]+)"/.exec(form)![1].replace(/&#x3D;/g, '=').replace(/&amp;/g, '&');
    expect(search).toBe('/reports/pickers/place?report=forms.turnout-slot&field=code');
    // The form as a browser without JavaScript sends it.
    const res = await fetch(app.url + '/reports/forms.turnout-slot', {
      method: 'POST', headers: commune.headers, redirect: 'manual',
      body: new URLSearchParams({ electionId, contest: 'national-assembly', code: communeCode, slot: 'close', format: 'csv' }),
    });
    expect(res.status, await res.clone().text()).toBe(303);
    // A code outside the scope typed by hand is still refused by the request's own permission check.
    const out = await fetch(app.url + '/reports/forms.turnout-slot', {
      method: 'POST', headers: commune.headers, redirect: 'manual',
      body: new URLSearchParams({ electionId, contest: 'national-assembly', code: '00004', slot: 'close', format: 'csv' }),
    });
    expect(out.status).toBe(403);
  });

  it("the nation's page lists the 34 provinces and the nation with accent-free words (for the native datalist), not 3,321 communes", async () => {
    const html = await (await fetch(app.url + '/reports', { headers: nec.headers })).text();
    const form = formOf(html, 'forms.turnout-slot');
    const list = [...form.matchAll(/<datalist id="forms-turnout-slot-code-list">([\s\S]*?)<\/datalist>/g)][0][1];
    const opts = list.match(/<option value="[^"]+"/g)!;
    expect(opts).toHaveLength(1 + 34 + 1); // the nation, the 34 provinces, and the seeded test province R01
    expect(opts.filter((o) => /value="\d{5}"/.test(o))).toEqual([]);
    expect(list).toContain('<option value="01" label="Thành phố Hà Nội (01) · thanh pho ha noi">');
    expect(html).toContain('<script src="/static/js/report-pickers.js" defer></script>');
  });
});
