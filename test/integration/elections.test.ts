// Elections through HTTP on the real app (PostgreSQL, Redis): a signed-in NEC official (TOTP) creates an election
// with its contests (rule 10 refuses a Saturday with a coded message naming the field, rule 11 bounds the hours),
// phases move one audited step at a time, the legal calendar (rule 9) shows overdue items per scope with what is
// missing from a registered check, the daily recompute job fills deadline_status, and a commune official cannot
// create elections.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import type { EntityManager } from '@mikro-orm/postgresql';
import { startTestApp, waitFor, type TestApp } from '../helpers/test-app.js';
import { TestClient, createUser, type TestUser } from '../helpers/client.js';
import { insertUnits, referenceUnits } from '../helpers/admin-units-fixture.js';
import { sql } from '../../core/persistence/db.js';
import type { CheckScope } from '../../core/elections/calendar/completeness.js';
import { standInCheck, withoutChecks } from '../helpers/deadline-checks.js';
import { RECOMPUTE_JOB, RECOMPUTE_SCHEDULE_ID } from '../../core/elections/calendar/recompute.job.js';
import { addDays, dayOfWeek, showDay, vnDate } from '../../core/elections/calendar/dates.js';

let app: TestApp;
const em = () => app.orm.em.fork();
let nec: TestUser;
let admin: TestUser;
let provinceOfficial: TestUser;
let communeOfficial: TestUser;
let necClient: TestClient;
let unregister: () => void;
/** Communes of Hồ Chí Minh City that have formed their election teams (for the fake check). */
let formed: Set<string>;

const HCMC = '79';
const CON_DAO = '26732';

/** A stand-in for the bodies module's check: communes in scope minus the two that "formed" their teams. */
async function fakeTeamsFormed(e: EntityManager, _electionId: string, scope: CheckScope) {
  const filter = scope.type === 'nation' ? ['', []] as const
    : scope.type === 'province' ? [' and parent_code = ?', [scope.code]] as const
      : scope.type === 'commune' ? [' and code = ?', [scope.code]] as const : undefined;
  if (!filter) return undefined;
  const rows = await sql<{ code: string; name: string }>(e, `select code, name from admin_unit where level = 'commune' and valid_to is null${filter[0]} order by sort_key`, [...filter[1]]);
  const missing = rows.filter((r) => !formed.has(r.code));
  return { missing: missing.length, total: rows.length, examples: missing.slice(0, 3) };
}

/** POSTs a form with repeated fields (checkboxes), with the client's session and CSRF token. */
async function postPairs(c: TestClient, path: string, pairs: [string, string][], headers: Record<string, string> = {}): Promise<Response> {
  const body = new URLSearchParams(pairs);
  body.set('_csrf', await c.csrf());
  return fetch(c.base + path, {
    method: 'POST', redirect: 'manual', body,
    headers: { cookie: [...c.cookies].map(([k, v]) => `${k}=${v}`).join('; '), 'content-type': 'application/x-www-form-urlencoded', ...headers },
  });
}

const newElection = (name: string, day: string, contests: string[], extra: [string, string][] = []) =>
  postPairs(necClient, '/elections/new', [['name', name], ['electionDay', day], ['votingOpen', '07:00'], ['votingClose', '19:00'], ...contests.map((c) => ['contests', c] as [string, string]), ...extra]);

const idFrom = (res: Response) => /^\/elections\/([0-9a-f-]{36})$/.exec(res.headers.get('location') ?? '')?.[1];

/** The first Sunday at least `n` days after today in Vietnam. */
function sundayAfter(n: number): string {
  let d = addDays(vnDate(new Date()), n);
  while (dayOfWeek(d) !== 0) d = addDays(d, 1);
  return d;
}

beforeAll(async () => {
  app = await startTestApp('elections');
  const units = referenceUnits([HCMC]);
  await insertUnits(em(), units);
  formed = new Set(units.filter((u) => u.level === 'commune').map((u) => u.code).sort().slice(0, 2));
  // The bodies module's real formation checks are set aside: this file tests the calendar against controlled answers.
  const restoreReal = withoutChecks(['province-committees-formed', 'commune-committees-formed', 'province-boards-formed', 'commune-boards-formed']);
  const restoreTeams = standInCheck('teams-formed', fakeTeamsFormed);
  unregister = () => {
    restoreTeams();
    restoreReal();
  };
  nec = await createUser(em(), { roles: [{ role: 'nec-official', scopeType: 'nation', scopeCode: 'VN' }], totp: true });
  admin = await createUser(em(), { roles: [{ role: 'system-admin', scopeType: 'nation', scopeCode: 'VN' }], totp: true });
  provinceOfficial = await createUser(em(), { roles: [{ role: 'province-official', scopeType: 'province', scopeCode: HCMC }], totp: true });
  communeOfficial = await createUser(em(), { roles: [{ role: 'commune-official', scopeType: 'commune', scopeCode: CON_DAO }] });
  necClient = new TestClient(app.url);
  await necClient.login(nec, em());
});

afterAll(async () => {
  unregister?.();
  await app?.close();
});

describe('creating an election', () => {
  let electionId: string;

  it('a signed-in NEC official (TOTP) creates one through the form: its contests are enabled, all audited', async () => {
    const form = await necClient.get('/elections/new');
    expect(form.status).toBe(200);
    const html = await form.text();
    expect(html).toContain('name="contests" value="national-assembly"');
    expect(html).toContain('value="07:00"');

    const res = await newElection('Bầu cử đại biểu Quốc hội khóa XVI và HĐND tỉnh', '2026-03-15', ['national-assembly', 'provincial-council']);
    expect(res.status, await res.clone().text()).toBe(303);
    electionId = idFrom(res)!;
    expect(electionId).toBeTruthy();

    const [e] = await sql(em(), `select name, election_day::text as day, status, voting_open, voting_close, created_by from election where id = ?`, [electionId]);
    expect(e).toEqual({ name: 'Bầu cử đại biểu Quốc hội khóa XVI và HĐND tỉnh', day: '2026-03-15', status: 'preparation', voting_open: '07:00', voting_close: '19:00', created_by: nec.id });
    const states = await sql(em(), `select plugin_id, enabled from plugin_state where election_id = ? order by plugin_id`, [electionId]);
    expect(states).toEqual([{ plugin_id: 'national-assembly', enabled: true }, { plugin_id: 'provincial-council', enabled: true }]);

    const audit = await sql(em(), `select action, result, actor, role, target_type, after from audit_event where target_id = ? order by seq`, [electionId]);
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ action: 'core.elections.create', result: 'success', actor: nec.id, role: 'nec-official', target_type: 'election' });
    expect(audit[0].after).toMatchObject({ electionDay: '2026-03-15', phase: 'preparation', contests: ['national-assembly', 'provincial-council'] });
    // Enabling a contest registers its schedules, as the plugin switch does.
    const schedules = (await app.jobs.listSchedules()).map((s) => s.id);
    expect(schedules).toContain(`national-assembly.recompute-structure-report.daily:${electionId}`);
  });

  it('the overview shows the day in Vietnamese, the contests held, the phase and the next-phase button', async () => {
    const html = await necClient.text(`/elections/${electionId}`);
    expect(html).toContain('Chủ nhật, 15/03/2026');
    expect(html).toContain('Bầu cử đại biểu Quốc hội khóa XVI và HĐND tỉnh');
    expect(html).toContain(`/elections/${electionId}/p/national-assembly`);
    expect(html).not.toContain(`/elections/${electionId}/p/commune-council"`);
    expect(html).toContain('aria-current="step"');
    expect(html).toContain('Chuyển sang giai đoạn tiếp theo: Nộp hồ sơ ứng cử');
    const list = await necClient.text('/elections');
    expect(list).toContain(`/elections/${electionId}`);
    expect(list).toContain('Chuẩn bị');
  });

  it('rule 10: a Saturday is refused with ELECTION_DAY_NOT_SUNDAY and a Vietnamese message naming the field; nothing is created', async () => {
    const before = (await sql(em(), 'select count(*)::int as n from election'))[0].n;
    const json = await postPairs(necClient, '/elections/new', [['name', 'Thứ bảy'], ['electionDay', '2026-03-14'], ['contests', 'national-assembly']], { accept: 'application/json' });
    expect(json.status).toBe(400);
    const body = await json.json();
    expect(body.error.code).toBe('ELECTION_DAY_NOT_SUNDAY');
    expect(body.error.message).toContain('Ngày bầu cử');
    expect(body.error.message).toContain('14/03/2026 là Thứ Bảy');
    expect(body.error.details[0]).toMatchObject({ field: 'electionDay', code: 'ELECTION_DAY_NOT_SUNDAY' });

    // In a browser the form comes back with the message beside the field and what was typed.
    const page = await newElection('Thứ bảy', '2026-03-14', ['national-assembly']);
    expect(page.status).toBe(400);
    const html = await page.text();
    expect(html).toContain('data-code="ELECTION_DAY_NOT_SUNDAY"');
    expect(html).toContain('id="electionDay-err"');
    expect(html).toContain('Ngày bầu cử: ngày 14/03/2026 là Thứ Bảy, không phải Chủ nhật.');
    expect(html).toContain('value="2026-03-14"');
    expect((await sql(em(), 'select count(*)::int as n from election'))[0].n).toBe(before);
    const [refused] = await sql(em(), `select result, after from audit_event where action = 'core.elections.create' and result = 'rejected' order by seq desc limit 1`);
    expect(refused.after.code).toBe('ELECTION_DAY_NOT_SUNDAY');
  });

  it('rule 11: voting hours before 05:00 or after 21:00 are refused, each on its field', async () => {
    const res = await postPairs(necClient, '/elections/new', [['name', 'Giờ sai'], ['electionDay', '2026-03-15'], ['votingOpen', '04:59'], ['votingClose', '21:01'], ['contests', 'national-assembly']], { accept: 'application/json' });
    expect(res.status).toBe(400);
    const body = await res.json();
    expect(body.error.code).toBe('VOTING_OPEN_TOO_EARLY');
    expect(body.error.details.map((x: { field: string; code: string }) => [x.field, x.code])).toEqual([['votingOpen', 'VOTING_OPEN_TOO_EARLY'], ['votingClose', 'VOTING_CLOSE_TOO_LATE']]);
  });

  it('the edit form changes the name and hours (audited) and refuses a weekday', async () => {
    const ok = await necClient.post(`/elections/${electionId}/edit`, { name: 'Bầu cử 2026', electionDay: '2026-03-15', votingOpen: '06:00', votingClose: '20:00' });
    expect(ok.status).toBe(303);
    const [e] = await sql(em(), 'select name, voting_open, voting_close from election where id = ?', [electionId]);
    expect(e).toEqual({ name: 'Bầu cử 2026', voting_open: '06:00', voting_close: '20:00' });
    const [a] = await sql(em(), `select before, after from audit_event where action = 'core.elections.update' and target_id = ?`, [electionId]);
    expect(a.before).toMatchObject({ voting_open: '07:00' });
    expect(a.after).toMatchObject({ voting_open: '06:00', name: 'Bầu cử 2026' });
    const bad = await necClient.post(`/elections/${electionId}/edit`, { name: 'Bầu cử 2026', electionDay: '2026-03-16', votingOpen: '06:00', votingClose: '20:00' });
    expect(bad.status).toBe(400);
    expect(await bad.text()).toContain('16/03/2026 là Thứ Hai');
  });

  it('phases move forward one audited step at a time; stepping back needs a system administrator and a reason', async () => {
    const move = (c: TestClient, from: string, to: string, reason?: string) =>
      c.post(`/elections/${electionId}/phase`, { from, to, ...(reason ? { reason } : {}) }, { headers: { accept: 'application/json' } });
    expect((await necClient.post(`/elections/${electionId}/phase`, { from: 'preparation', to: 'nomination' })).status).toBe(303);
    expect((await move(necClient, 'nomination', 'consultation')).status).toBe(303);
    // No skipping, no stale page.
    const skip = await move(necClient, 'consultation', 'voting');
    expect(skip.status).toBe(400);
    expect((await skip.json()).error.code).toBe('PHASE_NOT_ADJACENT');
    const stale = await move(necClient, 'nomination', 'consultation');
    expect(stale.status).toBe(409);
    expect((await stale.json()).error.code).toBe('PHASE_STALE');
    // Back: an NEC official may not; an administrator must give a reason.
    expect((await move(necClient, 'consultation', 'nomination', 'Nhầm lẫn khi chuyển')).status).toBe(403);
    const adminClient = new TestClient(app.url);
    await adminClient.login(admin, em());
    const noReason = await move(adminClient, 'consultation', 'nomination');
    expect(noReason.status).toBe(400);
    expect((await noReason.json()).error.code).toBe('PHASE_BACK_REASON');
    expect((await move(adminClient, 'consultation', 'nomination', 'Chuyển nhầm, còn hồ sơ chưa nhận')).status).toBe(303);

    const [e] = await sql(em(), 'select status from election where id = ?', [electionId]);
    expect(e.status).toBe('nomination');
    const trail = await sql(em(), `select actor, result, before, after from audit_event where action = 'core.elections.phase' and target_id = ? order by seq`, [electionId]);
    expect(trail.filter((t) => t.result === 'success').map((t) => [t.before.phase, t.after.phase])).toEqual([
      ['preparation', 'nomination'], ['nomination', 'consultation'], ['consultation', 'nomination'],
    ]);
    expect(trail.filter((t) => t.result === 'success').at(-1)).toMatchObject({ actor: admin.id, after: { reason: 'Chuyển nhầm, còn hồ sơ chưa nhận' } });
    const denied = await sql(em(), `select actor from audit_event where action = 'core.elections.phase' and result = 'denied'`);
    expect(denied.map((x) => x.actor)).toContain(nec.id);
  });

  it('a commune official cannot create elections (403, audited)', async () => {
    const c = new TestClient(app.url);
    await c.login(communeOfficial, em());
    expect((await c.get('/elections/new')).status).toBe(403);
    const res = await c.post('/elections/new', { name: 'Không được', electionDay: '2026-03-15', contests: 'national-assembly' });
    expect(res.status).toBe(403);
    const denied = await sql(em(), `select actor from audit_event where action = 'core.elections.create' and result = 'denied'`);
    expect(denied.map((x) => x.actor)).toContain(communeOfficial.id);
    // Reading is allowed to everyone signed in.
    expect((await c.get('/elections')).status).toBe(200);
    expect(await c.text('/elections')).not.toContain('href="/elections/new"');
  });
});

describe('the legal calendar', () => {
  let electionId: string;
  let day: string;

  beforeAll(async () => {
    // About a month ahead: the teams (E−43) and voter lists (E−40) are already due, the minutes are not.
    day = sundayAfter(30);
    const res = await newElection('Bầu cử bổ sung (thử lịch)', day, ['national-assembly', 'provincial-council', 'commune-council']);
    expect(res.status, await res.clone().text()).toBe(303);
    electionId = idFrom(res)!;
  });

  it('rule 9: the NEC sees every level with Vietnamese dates; a passed deadline with communes missing is highlighted as overdue', async () => {
    const html = await necClient.text(`/elections/${electionId}/calendar`);
    expect(html).toContain('Lịch bầu cử');
    expect(html).toContain(showDay(addDays(day, -43), 'vi'));
    const row = /<tr class="([^"]*)" id="dl-teams-formed"[\s\S]*?<\/tr>/.exec(html);
    expect(row, 'teams-formed row').toBeTruthy();
    expect(row![1]).toContain('dl-overdue');
    expect(row![0]).toContain('Quá hạn:');
    expect(row![0]).toContain('166 xã chưa thành lập tổ bầu cử');
    expect(row![0]).toContain('(166/168)');
    // Untracked: passed but no check registered; NEC-level items are listed for the NEC.
    expect(/id="dl-voter-lists-posted"[\s\S]*?Đã qua hạn — chưa theo dõi được/.test(html)).toBe(true);
    expect(html).toContain('id="dl-na-units-fixed"');
    expect(html).toContain('[U] Chưa chắc chắn');
    expect(html).toContain('lúc 17:00');
    expect(html).toContain('Hôm nay, ');
    // The overview summarises the overdue count.
    const overview = await necClient.text(`/elections/${electionId}`);
    expect(overview).toMatch(/count-overdue has"><strong>1<\/strong>/);
  });

  it('a provincial official sees its province and its communes aggregated, not the NEC\'s items', async () => {
    const c = new TestClient(app.url);
    await c.login(provinceOfficial, em());
    const html = await c.text(`/elections/${electionId}/calendar`);
    expect(html).toContain('Thành phố Hồ Chí Minh');
    expect(html).not.toContain('id="dl-na-units-fixed"');
    expect(html).toContain('id="dl-provincial-council-units-fixed"');
    expect(/id="dl-teams-formed"[\s\S]*?166 xã chưa thành lập tổ bầu cử/.test(html)).toBe(true);
  });

  it('a commune official sees its own commune\'s items', async () => {
    const c = new TestClient(app.url);
    await c.login(communeOfficial, em());
    const html = await c.text(`/elections/${electionId}/calendar`);
    expect(html).toContain('Đặc khu Côn Đảo');
    expect(html).not.toContain('id="dl-province-committees-formed"');
    const row = /<tr class="([^"]*)" id="dl-teams-formed"[\s\S]*?<\/tr>/.exec(html)!;
    expect(row[0]).toContain(formed.has(CON_DAO) ? 'Đã hoàn thành' : 'Chưa hoàn thành');
  });

  it('the daily job is scheduled and fills deadline_status for the nation and each province, audited', async () => {
    expect((await app.jobs.listSchedules()).map((s) => s.id)).toContain(RECOMPUTE_SCHEDULE_ID);
    const runId = await app.jobs.enqueue(RECOMPUTE_JOB, {});
    const run = await waitFor(async () => {
      const j = await app.jobs.get(runId);
      return j && ['succeeded', 'failed'].includes(j.status) ? j : undefined;
    });
    expect(run.status, run.error ?? '').toBe('succeeded');
    const rows = await sql(em(), `select scope_type, scope_code, deadline_id, missing, total, overdue, examples from deadline_status where election_id = ? order by scope_type, deadline_id`, [electionId]);
    const teams = rows.filter((r) => r.deadline_id === 'teams-formed');
    expect(teams.map((r) => [r.scope_type, r.scope_code, r.missing, r.total, r.overdue])).toEqual([['nation', 'VN', 166, 168, true], ['province', HCMC, 166, 168, true]]);
    expect(teams[0].examples).toHaveLength(3);
    const untracked = rows.find((r) => r.scope_type === 'nation' && r.deadline_id === 'voter-lists-posted');
    expect(untracked).toMatchObject({ missing: null, total: null, overdue: false });
    // NEC-level deadlines are not stored per province.
    expect(rows.some((r) => r.scope_type === 'province' && r.deadline_id === 'na-units-fixed')).toBe(false);
    const audit = await sql(em(), `select actor, after from audit_event where action = ? and target_id = ?`, [RECOMPUTE_JOB, electionId]);
    expect(audit[0]).toMatchObject({ actor: 'system', after: { overdue: 2 } });
    // The page now reads the stored figures.
    expect(await necClient.text(`/elections/${electionId}/calendar`)).toContain('Số liệu tính lúc');
  });

  it('the recompute button refreshes the figures of the official\'s scope (audited)', async () => {
    formed.add([...(await sql<{ code: string }>(em(), `select code from admin_unit where parent_code = ? and not (code = any(?::text[])) order by code limit 1`, [HCMC, `{${[...formed].join(',')}}`]))][0].code);
    const c = new TestClient(app.url);
    await c.login(provinceOfficial, em());
    const res = await c.post(`/elections/${electionId}/calendar/recompute`, { scope: `province:${HCMC}` });
    expect(res.status).toBe(303);
    const [row] = await sql(em(), `select missing from deadline_status where election_id = ? and scope_type = 'province' and deadline_id = 'teams-formed'`, [electionId]);
    expect(row.missing).toBe(165);
    const [a] = await sql(em(), `select actor, result from audit_event where action = 'core.elections.calendar-recompute' order by seq desc limit 1`);
    expect(a).toEqual({ actor: provinceOfficial.id, result: 'success' });
    // Not for the whole country.
    expect((await c.post(`/elections/${electionId}/calendar/recompute`, { scope: 'nation:VN' })).status).toBe(403);
  });

  it('rule 9: every N is configurable per election by the NEC (audited); out-of-range values are refused on the form', async () => {
    const res = await necClient.post(`/elections/${electionId}/calendar/edit`, { 'teams-formed': '-45', 'commune-council-results-announced': '7', 'na-results-announced': '10' });
    expect(res.status).toBe(303);
    const [e] = await sql(em(), 'select deadline_overrides from election where id = ?', [electionId]);
    expect(e.deadline_overrides).toEqual({ 'teams-formed': -45, 'commune-council-results-announced': 7 });
    const [a] = await sql(em(), `select after from audit_event where action = 'core.elections.calendar-update' and target_id = ?`, [electionId]);
    expect(a.after).toEqual({ deadlineOverrides: { 'teams-formed': -45, 'commune-council-results-announced': 7 } });
    const [stored] = await sql(em(), `select due_at from deadline_status where election_id = ? and scope_type = 'nation' and deadline_id = 'teams-formed'`, [electionId]);
    expect(new Date(stored.due_at).toISOString()).toBe(new Date(`${addDays(day, -45)}T23:59:59.999+07:00`).toISOString());
    const html = await necClient.text(`/elections/${electionId}/calendar`);
    expect(html).toContain(showDay(addDays(day, -45), 'vi'));
    expect(html).toContain('Đã điều chỉnh (mặc định E−43)');

    const bad = await necClient.post(`/elections/${electionId}/calendar/edit`, { 'teams-formed': '3' });
    expect(bad.status).toBe(400);
    const page = await bad.text();
    expect(page).toContain('class="has-error"');
    expect(page).toContain('trước ngày bầu cử');
    const form = await necClient.get(`/elections/${electionId}/calendar/edit`);
    expect(form.status).toBe(200);
    expect(await form.text()).toContain('value="-45"');
    // Province officials do not set the calendar.
    const c = new TestClient(app.url);
    await c.login(provinceOfficial, em());
    expect((await c.post(`/elections/${electionId}/calendar/edit`, { 'teams-formed': '-44' })).status).toBe(403);
  });
});
