// Dashboards (issue 8 point 6) and the forms' data builders on the real app: an election with polling areas,
// turnout reports and an official list (inserted straight into the test schema), the dashboard page with three
// server-rendered ECharts SVG charts served as images under the strict CSP, the turnout-slot and structure forms
// generated through the engine from that data; screenshots of the dashboard and of a batch's progress bar.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { startTestApp, waitFor, REPO_ROOT, type TestApp } from '../helpers/test-app.js';
import { insertUnits, referenceUnits } from '../helpers/admin-units-fixture.js';
import { createTokenUser, type TokenUser } from '../helpers/token-user.js';
import { launchChromium } from '../helpers/browser.js';
import { exec, sql } from '../../core/persistence/db.js';
import { newId } from '../../core/shared/ids.js';
import { collationKey, searchKey } from '../../core/shared/vn-text.js';

const PROVINCE = '12';
const SCREENS = path.join(REPO_ROOT, 'tmp/screens');
let app: TestApp;
let nec: TokenUser;
const electionId = newId();

beforeAll(async () => {
  app = await startTestApp('reports_dash');
  const em = app.orm.em.fork();
  const units = referenceUnits([PROVINCE]);
  await insertUnits(em, units);
  nec = await createTokenUser(em, 'nec', 'nec-official', 'nation', 'VN');
  const communes = units.filter((u) => u.level === 'commune').slice(0, 4);
  await exec(em, `insert into election (id, name, election_day) values (?, 'Bầu cử thử đại biểu Quốc hội', '2026-03-15')`, [electionId]);
  const unitId = newId();
  await exec(em, `insert into electoral_unit (id, election_id, contest, parent_level, parent_code, number, seats, name) values (?, ?, 'national-assembly', 'province', ?, 1, 2, 'Gồm các xã thử')`, [unitId, electionId, PROVINCE]);
  let n = 0;
  for (const c of communes) {
    for (let k = 1; k <= 2; k++) {
      const id = newId();
      const voters = 1000 + 137 * ++n;
      await exec(em, `insert into polling_area (id, election_id, commune_code, number, name, search_key, sort_key, voters, kind) values (?, ?, ?, ?, ?, ?, ?, ?, 'regular')`,
        [id, electionId, c.code, k, `Khu vực ${k}`, searchKey(`Khu vực ${k}`), collationKey(`Khu vực ${k}`), voters]);
      await exec(em, `insert into polling_area_unit (polling_area_id, contest, unit_id) values (?, 'national-assembly', ?)`, [id, unitId]);
      // Turnout rises over the day; the last commune has not reported 14:00 yet.
      for (const [slot, share] of [['09:00', 0.31], ['11:00', 0.62], ['14:00', 0.85]] as const) {
        if (slot === '14:00' && c === communes[3]) continue;
        await exec(em, `insert into turnout_report (election_id, polling_area_id, contest, slot, voted, reported_by) values (?, ?, 'national-assembly', ?, ?, 'test')`,
          [electionId, id, slot, Math.round(voters * (share + n / 100))]);
      }
    }
  }
  const people: [string, 'male' | 'female', string, boolean][] = [['Nguyễn Thị Huyền Trang Ưởng', 'female', 'Kinh', true], ['Lò Văn Ất', 'male', 'Thái', true], ['Trần Văn Ỹ', 'male', 'Kinh', false], ['Lê Thị Ỗ', 'female', 'Mông', true]];
  let order = 0;
  for (const [name, gender, ethnicity, party] of people) {
    await exec(em, `insert into candidate (id, election_id, contest, council_code, full_name, name_key, sort_key, gender, ethnicity, party_member, nominated_by, filing_body_code, status, unit_id, ballot_order, date_of_birth)
      values (?, ?, 'national-assembly', 'VN', ?, ?, ?, ?, ?, ?, 'local', ?, 'official', ?, ?, '1990-05-01')`,
      [newId(), electionId, name, searchKey(name), collationKey(name), gender, ethnicity, party, PROVINCE, unitId, ++order]);
  }
  fs.mkdirSync(SCREENS, { recursive: true });
}, 90_000);
afterAll(async () => { await app?.close(); });

describe('dashboards', () => {
  it('the page shows three charts as same-origin images; each is an ECharts SVG with the chart title', async () => {
    const res = await fetch(`${app.url}/reports/dashboard/${electionId}?province=${PROVINCE}`, { headers: nec.headers });
    expect(res.status).toBe(200);
    const html = await res.text();
    const srcs = [...html.matchAll(/<img src="([^"]+\.svg[^"]*)"/g)].map((m) => m[1].replace(/&amp;/g, '&'));
    expect(srcs).toHaveLength(3);
    for (const src of srcs) {
      const svg = await fetch(app.url + src, { headers: nec.headers });
      expect(svg.status).toBe(200);
      expect(svg.headers.get('content-type')).toContain('image/svg+xml');
      const body = await svg.text();
      expect(body.startsWith('<svg')).toBe(true);
    }
    const turnout = await (await fetch(app.url + srcs[0], { headers: nec.headers })).text();
    expect(turnout).toContain('Toàn quốc');
    const structure = await (await fetch(app.url + srcs[2], { headers: nec.headers })).text();
    expect(structure).toContain('≥ 35%');
  });

  it('anonymous callers are sent to sign in; an unknown chart is a 404', async () => {
    const anon = await fetch(`${app.url}/reports/dashboard/${electionId}/turnout.svg`, { redirect: 'manual' });
    expect([303, 401]).toContain(anon.status);
    const unknown = await fetch(`${app.url}/reports/dashboard/${electionId}/nope.svg`, { headers: nec.headers });
    expect(unknown.status).toBe(404);
  });

  it('rule 18: the structure form and the turnout-slot form are built from the data through the engine', async () => {
    for (const [slug, form] of [['forms.candidate-structure', { electionId, contest: 'national-assembly', code: 'VN' }], ['forms.turnout-slot', { electionId, contest: 'national-assembly', code: PROVINCE, slot: '11:00' }]] as const) {
      const res = await fetch(`${app.url}/reports/${slug}`, { method: 'POST', headers: nec.headers, body: new URLSearchParams(form), redirect: 'manual' });
      expect(res.status, await res.clone().text()).toBe(303);
      const job = await waitFor(async () => {
        const j = (await (await fetch(app.url + res.headers.get('location')!, { headers: { accept: 'application/json', ...nec.headers } })).json()) as { status: string; error: string | null; result: { artefactId?: string } | null };
        return j.status === 'succeeded' || j.status === 'failed' ? j : undefined;
      }, 60_000, 100);
      expect(job.error).toBeNull();
      const pdf = Buffer.from(await (await fetch(`${app.url}/artefacts/${job.result!.artefactId}/download`, { headers: nec.headers })).arrayBuffer());
      const file = path.join(app.config.dataDir, `${slug}.pdf`);
      fs.writeFileSync(file, pdf);
      const text = execFileSync('pdftotext', ['-enc', 'UTF-8', file, '-'], { encoding: 'utf8' }).replace(/\s+/g, ' ');
      if (slug === 'forms.candidate-structure') {
        expect(text).toContain('Tổng số người ứng cử trong danh sách chính thức: 4 (bằng chữ: Bốn)');
        expect(text).toMatch(/Phụ nữ 2 50,00% ≥ 35% Đạt/);
      } else {
        const [{ voters, voted }] = await sql<{ voters: string; voted: string }>(app.orm.em.fork(),
          `select sum(pa.voters)::text as voters, (select sum(voted) from turnout_report where slot = '11:00')::text as voted from polling_area pa`);
        expect(text).toContain(`Tổng số cử tri: ${Number(voters).toLocaleString('vi-VN')}`);
        expect(text).toContain(`Số cử tri đã bỏ phiếu: ${Number(voted).toLocaleString('vi-VN')}`);
      }
    }
  }, 120_000);

  it('screenshots: the dashboard, and a batch page with its progress bar at 100 %', async () => {
    const { browser, profile } = await launchChromium();
    try {
      const page = await browser.newPage();
      await page.setExtraHTTPHeaders(nec.headers);
      await page.setViewport({ width: 1100, height: 1600 });
      const errors: string[] = [];
      // Only policy violations count (the browser also asks for /favicon.ico, which the app does not serve).
      page.on('console', (m) => { if (m.type() === 'error' && /Content Security Policy|Refused/i.test(m.text())) errors.push(m.text()); });
      await page.goto(`${app.url}/reports/dashboard/${electionId}?province=${PROVINCE}`, { waitUntil: 'networkidle0' });
      const loaded = await page.$$eval('figure.chart img', (imgs) => imgs.map((i) => (i as HTMLImageElement).naturalWidth));
      expect(loaded.every((w) => w > 0)).toBe(true);
      expect(errors, errors.join('\n')).toEqual([]);
      await page.screenshot({ path: path.join(SCREENS, 'dashboard.png'), fullPage: true });
      await page.emulateMediaType('print');
      await page.screenshot({ path: path.join(SCREENS, 'dashboard-print.png'), fullPage: true });
      await page.emulateMediaType('screen');
      // A small batch (one document per commune of the province) to completion, then its page.
      const res = await fetch(app.url + '/reports/batches', { method: 'POST', headers: nec.headers, body: new URLSearchParams({ reportId: 'core.reports.commune-summary', over: 'commune', provinceCode: PROVINCE }), redirect: 'manual' });
      const loc = res.headers.get('location')!;
      await waitFor(async () => {
        const b = (await (await fetch(app.url + loc, { headers: { accept: 'application/json', ...nec.headers } })).json()) as { status: string };
        return b.status === 'succeeded' ? b : undefined;
      }, 240_000, 250);
      await page.setViewport({ width: 1100, height: 700 });
      await page.goto(app.url + loc, { waitUntil: 'networkidle0' });
      expect(await page.$eval('.progress-fill', (e) => e.className)).toContain('w100');
      await page.screenshot({ path: path.join(SCREENS, 'batch-progress.png') });
    } finally {
      await browser.close();
      fs.rmSync(profile, { recursive: true, force: true });
    }
  }, 300_000);
});
