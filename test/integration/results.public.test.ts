// The public results page (issue 7 point 6): once the NEC opens it, anyone reads the elected of every contest —
// commune councils included — grouped by contest and level, searchable without accents and paginated, with only
// what the law publishes (name, area, unit, votes, %): no date of birth, no address.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import type { EntityManager } from '@mikro-orm/postgresql';
import { startTestApp, type TestApp } from '../helpers/test-app.js';
import { createElection, clientAs } from '../helpers/structure.js';
import { TestClient } from '../helpers/client.js';
import { seedResultsStructure, acceptMinutes, type SeedUnit } from '../helpers/results.js';
import { exec } from '../../core/persistence/db.js';
import { applyMinutes } from '../../core/elections/results/aggregation.js';

let app: TestApp;
let em: EntityManager;
let electionId: string;
let units: SeedUnit[];
let anon: TestClient;
const URL_ = () => `/public/elections/${electionId}/results`;
const NHUNG = 'Đặng Thị Hồng Nhung';

beforeAll(async () => {
  app = await startTestApp('results_public', { LOG_LEVEL: 'silent' });
  em = app.orm.em.fork();
  electionId = await createElection(app, { day: '2026-03-15' });
  units = await seedResultsStructure(em, electionId, {
    provinces: [{ communes: [{ areas: 1 }, { areas: 1 }, { areas: 1 }] }, { communes: [{ areas: 1 }, { areas: 1 }, { areas: 1 }] }],
    naUnitsPerProvince: 1, seats: (c) => (c === 'national-assembly' ? 2 : 3),
  });
  const cc0 = units.find((u) => u.contest === 'commune-council')!;
  await exec(em, `update candidate set full_name = ? where id = ?`, [NHUNG, cc0.candidates[1].id]);
  cc0.candidates[1].name = NHUNG;
  // Everyone with > 50 % for the first `seats` candidates: 2 × 2 NA + 6 × 3 commune-council winners.
  for (const u of units) {
    const votes = u.candidates.map((_, k) => (k < u.seats ? 700 - k * 50 : 100));
    for (const a of u.areas) {
      const r = await acceptMinutes(em, electionId, { areaId: a, unitId: u.id, contest: u.contest,
        counts: { voters_total: 1200, voters_voted: 1000, ballots_valid: 1000, ballots_invalid: 0 },
        votes: Object.fromEntries(u.candidates.map((c, k) => [c.id, votes[k]])) });
      await applyMinutes(em, electionId, r.minutesId);
    }
  }
  anon = new TestClient(app.url);
  expect((await anon.get(URL_())).status).toBe(404);
  const nec = await clientAs(app, 'nec-official', 'nation', 'VN');
  expect((await nec.post(`/elections/${electionId}/results/settings`, { public: 'on', roundWindowDays: '15' })).status).toBe(303);
}, 120_000);
afterAll(async () => app?.close());

describe('public results page', () => {
  it('lists the commune-council winners with the NA ones, grouped by contest and level', async () => {
    const html = await anon.text(`${URL_()}?size=200`);
    expect(html).toContain('22 người trúng cử');
    for (const u of units) {
      for (const c of u.candidates.slice(0, u.seats)) expect(html).toContain(`<th scope="row">${c.name}</th>`);
      for (const c of u.candidates.slice(u.seats)) expect(html).not.toContain(`<th scope="row">${c.name}</th>`);
    }
    const groups = [...html.matchAll(/<tr class="rs-group"><th scope="colgroup" colspan="5">([^<]+)<\/th>/g)].map((m) => m[1]);
    expect(groups).toEqual([
      'Đại biểu Quốc hội — Tỉnh R01', 'Đại biểu Quốc hội — Tỉnh R02',
      ...['R01', 'R02'].flatMap((p) => [1, 2, 3].map((c) => `Đại biểu HĐND cấp xã — Xã ${p}00${c}, Tỉnh ${p}`)),
    ]);
  });

  it('shows no date of birth (nor any personal data beyond name, area, unit, votes, %)', async () => {
    const html = await anon.text(`${URL_()}?size=200`);
    expect(html).not.toContain('Ngày sinh');
    for (const u of units) {
      for (const c of u.candidates) {
        const [y, m, d] = c.dob.split('-');
        expect(html).not.toContain(c.dob);
        expect(html).not.toContain(`${d}/${m}/${y}`);
      }
    }
    expect(html).not.toMatch(/\b\d{2}\/\d{2}\/(19|20)\d{2}\b/);
    expect(html).not.toMatch(/Kinh|ethnicity|id_number|hometown|địa chỉ|address/i);
  });

  it('searches without accents, filters by contest and paginates', async () => {
    const found = await anon.text(`${URL_()}?q=${encodeURIComponent('dang thi hong nhung')}`);
    expect(found).toContain('1 người trúng cử');
    expect(found).toContain(`<th scope="row">${NHUNG}</th>`);
    expect(found).toContain('Đại biểu HĐND cấp xã — Xã R01001, Tỉnh R01');
    const cc = await anon.text(`${URL_()}?contest=commune-council&size=200`);
    expect(cc).toContain('18 người trúng cử');
    expect(cc).not.toContain('Đại biểu Quốc hội — Tỉnh');
    const byPlace = await anon.text(`${URL_()}?contest=commune-council&q=${encodeURIComponent('xa r02002')}`);
    expect(byPlace).toContain('3 người trúng cử');
    const p1 = await anon.text(`${URL_()}?size=10`);
    const p3 = await anon.text(`${URL_()}?size=10&page=3`);
    const rowsOf = (h: string) => [...h.matchAll(/<tr><th scope="row">/g)].length;
    expect(rowsOf(p1)).toBe(10);
    expect(rowsOf(p3)).toBe(2);
    expect(p1).toContain('rel="next"');
    // A page that starts inside a group repeats its heading.
    expect(p3).toMatch(/<tr class="rs-group"><th scope="colgroup" colspan="5">Đại biểu HĐND cấp xã — Xã R02003, Tỉnh R02<\/th>/);
  });
});
