// Scheduled reports (issue 8 point 5), in-process on the real app, BullMQ and Redis (own prefix): an interval schedule
// fires through the job scheduler, its document lands in the download centre and the schedule page shows last run,
// next run and status; cron patterns are evaluated in SCHEDULE_TIMEZONE (default Asia/Ho_Chi_Minh, passed to
// upsertJobScheduler as `tz`), so '0 8 * * *' next runs at 01:00 UTC and the page shows 08:00.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { startTestApp, testConfig, waitFor, type TestApp } from '../helpers/test-app.js';
import { insertUnits, referenceUnits } from '../helpers/admin-units-fixture.js';
import { createTokenUser, type TokenUser } from '../helpers/token-user.js';
import { sql } from '../../core/persistence/db.js';
import { ConfigError, loadConfig } from '../../config/config.js';
import { DEFAULT_SCHEDULE_TZ, nextRun, scheduleSpec, schedulerId, zonedText } from '../../core/reports/schedules.js';

const PROVINCE = '12';
let app: TestApp;
let nec: TokenUser;

beforeAll(async () => {
  app = await startTestApp('reports_schedules_tz');
  await insertUnits(app.orm.em.fork(), referenceUnits([PROVINCE]));
  nec = await createTokenUser(app.orm.em.fork(), 'nec', 'nec-official', 'nation', 'VN');
}, 60_000);
afterAll(async () => { await app?.close(); });

const post = (path: string, form: Record<string, string>) =>
  fetch(app.url + path, { method: 'POST', headers: { ...nec.headers, accept: 'application/json' }, body: new URLSearchParams(form), redirect: 'manual' });
const page = async () => (await fetch(app.url + '/reports/schedules', { headers: nec.headers })).text();
/** The table row of a schedule on the page (its actions post to /reports/schedules/<id>/…). */
const rowOf = (html: string, id: string) => {
  const end = html.indexOf(`/reports/schedules/${id}/`);
  return html.slice(html.lastIndexOf('<tr>', end), html.indexOf('</tr>', end));
};

describe('schedule time zone (SCHEDULE_TIMEZONE)', () => {
  it('defaults to Asia/Ho_Chi_Minh; an unknown zone stops the start naming the variable', () => {
    expect(testConfig('tz_default').scheduleTimezone).toBe('Asia/Ho_Chi_Minh');
    expect(DEFAULT_SCHEDULE_TZ).toBe('Asia/Ho_Chi_Minh');
    expect(loadConfig({ SCHEDULE_TIMEZONE: 'UTC' }).scheduleTimezone).toBe('UTC');
    expect(() => loadConfig({ SCHEDULE_TIMEZONE: 'Mars/Olympus' })).toThrow(ConfigError);
    try {
      loadConfig({ SCHEDULE_TIMEZONE: 'Mars/Olympus' });
    } catch (e) {
      expect((e as ConfigError).issues.map((i) => i.variable)).toEqual(['SCHEDULE_TIMEZONE']);
    }
  });

  it("the next run of '0 8 * * *' is 01:00 UTC (08:00 in Vietnam), computed and as armed in BullMQ", async () => {
    const row = { status: 'active', cron: '0 8 * * *', every_minutes: null, last_run_at: null, created_at: new Date() } as const;
    expect(nextRun(row, new Date('2026-11-29T00:30:00Z'))!.toISOString()).toBe('2026-11-29T01:00:00.000Z');
    expect(nextRun(row, new Date('2026-11-29T01:00:30Z'))!.toISOString()).toBe('2026-11-30T01:00:00.000Z');
    expect(nextRun(row, new Date('2026-11-29T00:30:00Z'), undefined, 'UTC')!.toISOString()).toBe('2026-11-29T08:00:00.000Z');
    expect(scheduleSpec({ id: 'x', cron: '0 8 * * *', every_minutes: null })).toMatchObject({ cron: '0 8 * * *', tz: 'Asia/Ho_Chi_Minh' });
    expect(zonedText(new Date('2026-11-29T01:00:00Z'))).toBe('29/11/2026 08:00');

    const res = await post('/reports/schedules', { reportId: 'core.reports.province-communes', format: 'csv', provinceCode: PROVINCE, cron: '0 8 * * *' });
    expect(res.status, await res.clone().text()).toBe(303);
    const [s] = await sql<{ id: string }>(app.orm.em.fork(), `select id from report_schedule where cron = '0 8 * * *'`);
    const armed = (await app.jobs.listSchedules()).find((x) => x.id === schedulerId(s.id))!;
    expect(armed.pattern).toBe('0 8 * * *');
    const next = new Date(armed.next!);
    expect(next.toISOString()).toMatch(/T01:00:00\.000Z$/);
    expect(next.getTime() - Date.now()).toBeGreaterThan(0);
    expect(next.getTime() - Date.now()).toBeLessThanOrEqual(86_400_000);
    // The page shows it in Vietnam time, with the instant in the datetime attribute.
    const html = rowOf(await page(), s.id);
    expect(html).toContain(`datetime="${next.toISOString()}"`);
    expect(html).toContain(`${zonedText(next)}`);
    expect(zonedText(next)).toMatch(/ 08:00$/);
    expect(await page()).toContain('Asia/Ho_Chi_Minh');
    expect((await post(`/reports/schedules/${s.id}/delete`, {})).status).toBe(303);
  });
});

describe('an interval schedule fires through the BullMQ job scheduler', () => {
  it('every 1 minute: the first run comes at once; the document lands in the download centre; the page shows last run, next run and status', async () => {
    const t0 = Date.now();
    const res = await post('/reports/schedules', { reportId: 'core.reports.province-communes', format: 'xlsx', provinceCode: PROVINCE, everyMinutes: '1' });
    expect(res.status, await res.clone().text()).toBe(303);
    const [s] = await sql<{ id: string }>(app.orm.em.fork(), `select id from report_schedule where every_minutes = 1`);
    const armed = (await app.jobs.listSchedules()).find((x) => x.id === schedulerId(s.id));
    expect(armed?.every).toBe(60_000);
    const fired = await waitFor(async () => {
      const [r] = await sql<{ last_status: string | null; last_artefact_id: string | null; last_run_at: Date | null; last_run_id: string | null }>(app.orm.em.fork(),
        `select last_status, last_artefact_id, last_run_at, last_run_id from report_schedule where id = ?`, [s.id]);
      return r.last_status === 'succeeded' && r.last_artefact_id ? r : undefined;
    }, 30_000, 100);
    expect(Date.now() - t0).toBeLessThan(30_000); // "a few seconds", not a minute
    const [a] = await sql<{ kind: string; format: string; job_run_id: string }>(app.orm.em.fork(), `select kind, format, job_run_id from artefact where id = ?`, [fired.last_artefact_id]);
    expect(a).toEqual({ kind: 'core.reports.province-communes', format: 'xlsx', job_run_id: fired.last_run_id });

    const centre = await (await fetch(app.url + '/reports', { headers: nec.headers })).text();
    expect(centre).toContain(`/artefacts/${fired.last_artefact_id}/download`);
    const dl = await fetch(`${app.url}/artefacts/${fired.last_artefact_id}/download`, { headers: nec.headers });
    expect(dl.status).toBe(200);
    expect(dl.headers.get('content-type')).toContain('spreadsheetml');

    const row = rowOf(await page(), s.id);
    expect(row).toContain('mỗi 1 phút');
    expect(row).toContain('Đang chạy');
    expect(row).toContain('thành công');
    expect(row).toContain(`/artefacts/${fired.last_artefact_id}/download`);
    expect(row).toContain(`datetime="${new Date(fired.last_run_at!).toISOString()}"`);
    expect(row).toContain(zonedText(new Date(fired.last_run_at!)));
    const next = /datetime="([^"]+)" class="next-run"/.exec(row);
    expect(next?.[1]).toBeDefined();
    const nextAt = new Date(next![1]).getTime();
    expect(nextAt).toBeGreaterThan(new Date(fired.last_run_at!).getTime());
    expect(nextAt - Date.now()).toBeLessThanOrEqual(61_000);

    expect((await post(`/reports/schedules/${s.id}/pause`, {})).status).toBe(303);
    expect((await app.jobs.listSchedules()).map((x) => x.id)).not.toContain(schedulerId(s.id));
    const paused = rowOf(await page(), s.id);
    expect(paused).toContain(`/reports/schedules/${s.id}/resume`);
    expect(paused).not.toContain('class="next-run"');
  }, 60_000);
});
