// Scheduled reports (issue 8 point 5) on the real app and BullMQ: a schedule set over HTTP is upserted as a job
// scheduler, fires, lands its document in the download centre, and the page shows last run, next run and status;
// pause removes the scheduler; a bad cron pattern is refused naming the field.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { startTestApp, waitFor, type TestApp } from '../helpers/test-app.js';
import { insertUnits, referenceUnits } from '../helpers/admin-units-fixture.js';
import { createTokenUser, type TokenUser } from '../helpers/token-user.js';
import { sql } from '../../core/persistence/db.js';
import { schedulerId } from '../../core/reports/schedules.js';

const PROVINCE = '12';
let app: TestApp;
let nec: TokenUser;
let communeOfficial: TokenUser;

beforeAll(async () => {
  app = await startTestApp('reports_schedules');
  await insertUnits(app.orm.em.fork(), referenceUnits([PROVINCE]));
  nec = await createTokenUser(app.orm.em.fork(), 'nec', 'nec-official', 'nation', 'VN');
  communeOfficial = await createTokenUser(app.orm.em.fork(), 'other', 'province-official', 'province', '01');
}, 60_000);
afterAll(async () => { await app?.close(); });

const post = (path: string, who: TokenUser, form: Record<string, string>) =>
  fetch(app.url + path, { method: 'POST', headers: { ...who.headers, accept: 'application/json' }, body: new URLSearchParams(form), redirect: 'manual' });

describe('scheduled reports', () => {
  let id: string;

  it('a schedule (cron, every 2 s) is armed as a job scheduler, fires, and its document lands in the download centre', async () => {
    const res = await post('/reports/schedules', nec, { reportId: 'core.reports.province-communes', format: 'csv', provinceCode: PROVINCE, cron: '*/2 * * * * *' });
    expect(res.status, await res.clone().text()).toBe(303);
    const [row] = await sql<{ id: string; scope_path: string[] }>(app.orm.em.fork(), `select id, scope_path from report_schedule`);
    id = row.id;
    expect(row.scope_path).toEqual([`province:${PROVINCE}`, 'nation:VN']);
    expect((await app.jobs.listSchedules()).map((s) => s.id)).toContain(schedulerId(id));
    const fired = await waitFor(async () => {
      const [s] = await sql<{ last_status: string | null; last_artefact_id: string | null }>(app.orm.em.fork(), `select last_status, last_artefact_id from report_schedule where id = ?`, [id]);
      return s.last_status === 'succeeded' && s.last_artefact_id ? s : undefined;
    }, 60_000, 200);
    const centre = await (await fetch(app.url + '/reports', { headers: nec.headers })).text();
    expect(centre).toContain(`/artefacts/${fired.last_artefact_id}/download`);
    const csv = await (await fetch(`${app.url}/artefacts/${fired.last_artefact_id}/download`, { headers: nec.headers })).text();
    expect(csv.split('\r\n').length).toBeGreaterThan(10);
  }, 90_000);

  it('the schedule page shows the pattern, status, last run with its document, and the next run', async () => {
    const html = await (await fetch(app.url + '/reports/schedules', { headers: nec.headers })).text();
    expect(html).toContain('*/2 * * * * *');
    expect(html).toContain('Đang chạy');
    expect(html).toContain('thành công');
    expect(html).toMatch(/\/artefacts\/[0-9a-f-]{36}\/download/);
    // Another province's official does not see it.
    const other = await (await fetch(app.url + '/reports/schedules', { headers: communeOfficial.headers })).text();
    expect(other).not.toContain('*/2 * * * * *');
  });

  it('pause removes the job scheduler (audited once); resume arms it again', async () => {
    expect((await post(`/reports/schedules/${id}/pause`, nec, {})).status).toBe(303);
    expect((await app.jobs.listSchedules()).map((s) => s.id)).not.toContain(schedulerId(id));
    const [a] = await sql<{ n: string }>(app.orm.em.fork(), `select count(*)::text as n from audit_event where action = 'core.reports.schedule.pause' and target_id = ?`, [id]);
    expect(Number(a.n)).toBe(1);
    expect((await post(`/reports/schedules/${id}/resume`, nec, {})).status).toBe(303);
    expect((await app.jobs.listSchedules()).map((s) => s.id)).toContain(schedulerId(id));
    expect((await post(`/reports/schedules/${id}/delete`, nec, {})).status).toBe(303);
    expect((await app.jobs.listSchedules()).map((s) => s.id)).not.toContain(schedulerId(id));
  });

  it('bad input: an invalid cron pattern, or neither cron nor interval, is a 400 naming the field; nothing is written', async () => {
    const bad = await post('/reports/schedules', nec, { reportId: 'core.reports.province-communes', provinceCode: PROVINCE, cron: 'every hour' });
    expect(bad.status).toBe(400);
    expect(await bad.text()).toContain('cron');
    const none = await post('/reports/schedules', nec, { reportId: 'core.reports.province-communes', provinceCode: PROVINCE });
    expect(none.status).toBe(400);
    const [n] = await sql<{ n: string }>(app.orm.em.fork(), `select count(*)::text as n from report_schedule`);
    expect(Number(n.n)).toBe(0);
  });

  it('a user without the permission on the province is denied (403)', async () => {
    const res = await post('/reports/schedules', communeOfficial, { reportId: 'core.reports.province-communes', provinceCode: PROVINCE, everyMinutes: '60' });
    expect(res.status).toBe(403);
  });
});
