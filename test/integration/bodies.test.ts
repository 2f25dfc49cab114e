// Election bodies through HTTP on the real app (PostgreSQL, Redis), named by rule: rule 7 — each size limit at both
// bounds and one outside (teams by kind, committees, boards per contest from the contest type), exactly one leader,
// a secretary for teams, a person listed twice; rule 8 — one team per polling area (the unique index and the action);
// the import (a bad row writes nothing and is reported by row and column; a good file, then the same file again:
// no changes); the export (real cells, imports back unchanged); rule 9 — the calendar's formation checks count the
// bodies; scope — a commune official cannot manage another commune's team. Units and polling areas are inserted with
// SQL into the structure tables.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import ExcelJS from 'exceljs';
import { startTestApp, waitFor, type TestApp } from '../helpers/test-app.js';
import { TestClient, createUser } from '../helpers/client.js';
import { insertUnits, referenceUnits } from '../helpers/admin-units-fixture.js';
import { sql } from '../../core/persistence/db.js';
import { newId } from '../../core/shared/ids.js';
import { collationKey, searchKey } from '../../core/shared/vn-text.js';
import { INSTALLED_PLUGINS } from '../../core/kernel/plugins.js';
import { PluginRegistry } from '../../core/plugin-host/registry.js';
import { insertMember } from '../../core/elections/bodies/store.js';
import { teamsFormed, communeCommitteesFormed } from '../../core/elections/bodies/completeness.js';
import type { MemberRole } from '../../core/elections/bodies/model.js';

let app: TestApp;
const em = () => app.orm.em.fork();
const registry = PluginRegistry.build(INSTALLED_PLUGINS);
const HCMC = '79';
const HANOI = '01';
const CONTESTS = ['national-assembly', 'provincial-council', 'commune-council'];

let electionId: string;
let communes: string[] = []; // HCMC communes A, B, C (by code)
let nec: TestClient;
let communeA: TestClient;
const units: Record<string, string> = {}; // contest → unit id
const areas: { id: string; commune: string; number: number }[] = [];
let armedArea = '';

const JSON_ACCEPT = { headers: { accept: 'application/json' } };

async function insertElection(name: string): Promise<string> {
  const id = newId();
  await sql(em(), `insert into election (id, name, election_day) values (?, ?, '2026-03-15')`, [id, name]);
  for (const c of CONTESTS) await sql(em(), `insert into plugin_state (election_id, plugin_id, enabled) values (?, ?, true)`, [id, c]);
  return id;
}

async function insertUnit(election: string, contest: string, level: 'province' | 'commune', parent: string, n: number): Promise<string> {
  const id = newId();
  await sql(em(), `insert into electoral_unit (id, election_id, contest, parent_level, parent_code, number, seats, name) values (?, ?, ?, ?, ?, ?, 3, ?)`,
    [id, election, contest, level, parent, n, `Đơn vị bầu cử số ${n}`]);
  return id;
}

async function insertArea(election: string, commune: string, n: number, kind = 'regular'): Promise<string> {
  const id = newId();
  const name = `Khu vực bỏ phiếu số ${n}`;
  await sql(em(), `insert into polling_area (id, election_id, commune_code, number, name, search_key, sort_key, voters, kind) values (?, ?, ?, ?, ?, ?, ?, 1200, ?)`,
    [id, election, commune, n, name, searchKey(name), collationKey(name), kind]);
  return id;
}

async function signedIn(role: string, scopeType: 'nation' | 'province' | 'commune', scopeCode: string): Promise<TestClient> {
  const u = await createUser(em(), { roles: [{ role, scopeType, scopeCode }], totp: role !== 'commune-official' });
  const c = new TestClient(app.url);
  await c.login(u, em());
  return c;
}

/** POSTs as JSON client; returns status and parsed body. */
async function post(c: TestClient, path: string, form: Record<string, string> = {}): Promise<{ status: number; body: any }> {
  const res = await c.post(path, form, JSON_ACCEPT);
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

async function createBody(c: TestClient, form: Record<string, string>, election = electionId): Promise<string> {
  const r = await post(c, `/elections/${election}/bodies`, { id: election, ...form });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return r.body.id;
}

/** Gives a body its decision (needed to complete it). */
async function decide(c: TestClient, bodyId: string, extra: Record<string, string> = {}, election = electionId): Promise<void> {
  const r = await post(c, `/elections/${election}/bodies/${bodyId}/decision`, { decisionNo: '12/QĐ-UBND', decisionDate: '2025-11-20', issuedBy: 'UBND', formedOn: '2025-11-20', ...extra });
  expect(r.status, JSON.stringify(r.body)).toBe(200);
}

let seq = 0;
/** Adds members straight to the database (one leader first, one secretary where the kind has one, then members). */
async function fill(bodyId: string, n: number, roles: { leader: MemberRole; secretary?: MemberRole }): Promise<void> {
  const count = (await sql<{ n: number }>(em(), `select count(*)::int as n from body_member where body_id = ?`, [bodyId]))[0].n;
  for (let i = count; i < n; i++) {
    const role: MemberRole = i === 0 ? roles.leader : i === 1 && roles.secretary ? roles.secretary : 'member';
    await insertMember(em(), bodyId, { fullName: `Người Thứ ${++seq}`, role, organisation: 'Tổ dân phố', phone: `09${String(10_000_000 + seq).slice(-8)}` });
  }
}

async function trimTo(bodyId: string, n: number): Promise<void> {
  await sql(em(), `delete from body_member where id in (select id from body_member where body_id = ? order by position desc limit (select greatest(count(*) - ?, 0) from body_member where body_id = ?))`, [bodyId, n, bodyId]);
}

const complete = (bodyId: string, c = nec, election = electionId) => post(c, `/elections/${election}/bodies/${bodyId}/complete`);
const reopen = (bodyId: string, c = nec, election = electionId) => post(c, `/elections/${election}/bodies/${bodyId}/reopen`);

/** Sets a body to n members, then completes it: the status code and the refusal codes (none when accepted). */
async function completeWith(bodyId: string, n: number, roles: { leader: MemberRole; secretary?: MemberRole }): Promise<{ status: number; codes: string[]; message?: string; fields: string[] }> {
  const [b] = await sql<{ status: string }>(em(), `select status from election_body where id = ?`, [bodyId]);
  if (b.status === 'complete') expect((await reopen(bodyId)).status).toBe(200);
  await trimTo(bodyId, n);
  await fill(bodyId, n, roles);
  const r = await complete(bodyId);
  const details = (r.body?.error?.details ?? []) as { code: string; field: string; message: string }[];
  return { status: r.status, codes: details.map((x) => x.code), message: details.find((x) => x.code === 'BODY_SIZE')?.message, fields: details.map((x) => x.field) };
}

beforeAll(async () => {
  app = await startTestApp('bodies');
  const tree = referenceUnits([HCMC, HANOI]);
  await insertUnits(em(), tree);
  communes = tree.filter((u) => u.level === 'commune' && u.parent === HCMC).map((u) => u.code).sort().slice(0, 3);
  electionId = await insertElection('Bầu cử thử: tổ chức phụ trách bầu cử');
  units['national-assembly'] = await insertUnit(electionId, 'national-assembly', 'province', HCMC, 1);
  units['provincial-council'] = await insertUnit(electionId, 'provincial-council', 'province', HCMC, 1);
  units['commune-council'] = await insertUnit(electionId, 'commune-council', 'commune', communes[0], 1);
  for (const [i, c] of communes.entries()) for (let n = 1; n <= (i === 0 ? 6 : 2); n++) areas.push({ id: await insertArea(electionId, c, n), commune: c, number: n });
  armedArea = await insertArea(electionId, communes[0], 7, 'armed-unit');
  nec = await signedIn('nec-official', 'nation', 'VN');
  communeA = await signedIn('commune-official', 'commune', communes[0]);
});

afterAll(async () => {
  await app?.close();
});

describe('rule 7: body sizes, checked when a body is marked complete', () => {
  it('an election team (civil) needs 11–21 members: 10 and 22 are refused with BODY_SIZE naming the field, 11 and 21 accepted', async () => {
    const team = await createBody(communeA, { kind: 'team', areaId: areas[0].id });
    await decide(communeA, team);
    const roles = { leader: 'leader' as const, secretary: 'secretary' as const };
    const ten = await completeWith(team, 10, roles);
    expect(ten.status).toBe(400);
    expect(ten.codes).toEqual(['BODY_SIZE']);
    expect(ten.fields).toEqual(['members']);
    expect(ten.message).toBe('Số thành viên: Tổ bầu cử — Khu vực bỏ phiếu số 1 có 10 thành viên; phải từ 11 đến 21 thành viên (quy tắc 7).');
    expect((await completeWith(team, 11, roles)).status).toBe(200);
    expect((await completeWith(team, 21, roles)).status).toBe(200);
    const over = await completeWith(team, 22, roles);
    expect(over.status).toBe(400);
    expect(over.codes).toEqual(['BODY_SIZE']);
    // Refusals are audited with their codes; the body stayed a draft.
    const [row] = await sql(em(), `select status from election_body where id = ?`, [team]);
    expect(row.status).toBe('draft');
    const refused = await sql(em(), `select after from audit_event where action = 'core.bodies.complete' and result = 'rejected' and target_type = 'commune' order by seq desc limit 1`);
    expect(refused[0].after.code).toBe('BODY_SIZE');
  });

  it('an armed unit\'s own team needs 5–9 members: 4 and 10 refused, 5 and 9 accepted', async () => {
    const team = await createBody(communeA, { kind: 'team', areaId: armedArea });
    // A team of an armed unit's own polling area is of that kind unless someone says otherwise.
    expect((await sql(em(), `select variant from election_body where id = ?`, [team]))[0].variant).toBe('armed-unit');
    await decide(communeA, team, { variant: 'armed-unit' });
    const roles = { leader: 'leader' as const, secretary: 'secretary' as const };
    const four = await completeWith(team, 4, roles);
    expect([four.status, four.codes]).toEqual([400, ['BODY_SIZE']]);
    expect(four.message).toContain('phải từ 5 đến 9 thành viên');
    expect((await completeWith(team, 5, roles)).status).toBe(200);
    expect((await completeWith(team, 9, roles)).status).toBe(200);
    expect((await completeWith(team, 10, roles)).codes).toEqual(['BODY_SIZE']);
  });

  it('a mixed armed-civil team needs 11–21 members', async () => {
    const team = await createBody(communeA, { kind: 'team', areaId: areas[1].id });
    await decide(communeA, team, { variant: 'mixed' });
    const roles = { leader: 'leader' as const, secretary: 'secretary' as const };
    expect((await completeWith(team, 10, roles)).codes).toEqual(['BODY_SIZE']);
    expect((await completeWith(team, 11, roles)).status).toBe(200);
    expect((await completeWith(team, 21, roles)).status).toBe(200);
    expect((await completeWith(team, 22, roles)).codes).toEqual(['BODY_SIZE']);
  });

  it('a provincial election committee needs 23–37 members: 22 and 38 refused, 23 and 37 accepted', async () => {
    const committee = await createBody(nec, { kind: 'province-committee', code: HCMC });
    await decide(nec, committee);
    const roles = { leader: 'chair' as const, secretary: 'vice-chair' as const };
    const small = await completeWith(committee, 22, roles);
    expect([small.status, small.codes]).toEqual([400, ['BODY_SIZE']]);
    expect(small.message).toBe('Số thành viên: Ủy ban bầu cử Thành phố Hồ Chí Minh có 22 thành viên; phải từ 23 đến 37 thành viên (quy tắc 7).');
    expect((await completeWith(committee, 23, roles)).status).toBe(200);
    expect((await completeWith(committee, 37, roles)).status).toBe(200);
    expect((await completeWith(committee, 38, roles)).codes).toEqual(['BODY_SIZE']);
  });

  it('a commune election committee needs 9–17 members: 8 and 18 refused, 9 and 17 accepted', async () => {
    const committee = await createBody(communeA, { kind: 'commune-committee', code: communes[0] });
    await decide(communeA, committee);
    const roles = { leader: 'chair' as const };
    expect((await completeWith(committee, 8, roles)).codes).toEqual(['BODY_SIZE']);
    expect((await completeWith(committee, 9, roles)).status).toBe(200);
    expect((await completeWith(committee, 17, roles)).status).toBe(200);
    expect((await completeWith(committee, 18, roles)).codes).toEqual(['BODY_SIZE']);
  });

  it('an election board takes its size from its unit\'s contest type (NA 9–17, provincial council 11–15, commune council 9–15)', async () => {
    const expected: Record<string, [number, number]> = { 'national-assembly': [9, 17], 'provincial-council': [11, 15], 'commune-council': [9, 15] };
    for (const contest of CONTESTS) {
      const { min, max } = registry.contestType(contest)!.boardSize;
      expect([min, max], contest).toEqual(expected[contest]);
      const manager = contest === 'commune-council' ? communeA : nec;
      const board = await createBody(manager, { kind: 'board', unitId: units[contest] });
      await decide(manager, board);
      const roles = { leader: 'head' as const, secretary: 'secretary' as const };
      const below = await completeWith(board, min - 1, roles);
      expect([below.status, below.codes], contest).toEqual([400, ['BODY_SIZE']]);
      expect(below.message).toContain(`phải từ ${min} đến ${max} thành viên`);
      expect((await completeWith(board, min, roles)).status, contest).toBe(200);
      expect((await completeWith(board, max, roles)).status, contest).toBe(200);
      expect((await completeWith(board, max + 1, roles)).codes, contest).toEqual(['BODY_SIZE']);
    }
  });

  it('exactly one leader: none → BODY_LEADER_MISSING, two → BODY_LEADER_MULTIPLE; a team needs a secretary; a board without one only gets a warning', async () => {
    const team = await createBody(communeA, { kind: 'team', areaId: areas[2].id });
    await decide(communeA, team);
    const none = await completeWith(team, 12, { leader: 'member', secretary: 'secretary' });
    expect(none.codes).toEqual(['BODY_LEADER_MISSING']);
    expect(none.fields).toEqual(['role']);
    await sql(em(), `update body_member set role = 'leader' where id in (select id from body_member where body_id = ? and role = 'member' order by position limit 2)`, [team]);
    const two = await complete(team);
    expect(two.status).toBe(400);
    expect(two.body.error.details.map((x: { code: string }) => x.code)).toEqual(['BODY_LEADER_MULTIPLE']);
    expect(two.body.error.details[0].message).toContain('phải có đúng một Tổ trưởng; hiện có 2');
    await sql(em(), `update body_member set role = 'member' where body_id = ? and role in ('leader', 'secretary')`, [team]);
    await sql(em(), `update body_member set role = 'leader' where id = (select id from body_member where body_id = ? order by position limit 1)`, [team]);
    expect((await complete(team)).body.error.details.map((x: { code: string }) => x.code)).toEqual(['BODY_TEAM_SECRETARY_MISSING']);

    // A board without a secretary [U]: completed, with the warning returned.
    const board = await createBody(communeA, { kind: 'board', unitId: await insertUnit(electionId, 'commune-council', 'commune', communes[0], 2) });
    await decide(communeA, board);
    await fill(board, 10, { leader: 'head' });
    const done = await complete(board, communeA);
    expect(done.status).toBe(200);
    expect(done.body.warnings.map((w: { code: string }) => w.code)).toEqual(['BODY_BOARD_SECRETARY_MISSING']);
  });

  it('a person listed twice in one body (same normalised name and phone) is refused, as the form or the database would have it', async () => {
    const team = await createBody(communeA, { kind: 'team', areaId: areas[3].id });
    const add = (form: Record<string, string>) => post(communeA, `/elections/${electionId}/bodies/${team}/members`, form);
    expect((await add({ fullName: 'Nguyễn Thị Hoa', role: 'leader', phone: '0912 345 678' })).status).toBe(201);
    // Same person typed again: other case, extra spaces, decomposed accents, the phone written differently.
    const again = await add({ fullName: '  nguyễn   thị HOA '.normalize('NFD'), role: 'member', phone: '+84 912.345.678' });
    expect(again.status).toBe(400);
    expect(again.body.error.code).toBe('BODY_MEMBER_DUPLICATE');
    expect(again.body.error.details[0]).toMatchObject({ field: 'fullName', code: 'BODY_MEMBER_DUPLICATE' });
    expect(again.body.error.details[0].message).toContain('Họ và tên: nguyễn thị HOA (điện thoại +84 912.345.678) đã có trong danh sách');
    // A namesake with another phone is someone else; a role the team does not have is refused.
    expect((await add({ fullName: 'Nguyễn Thị Hoa', role: 'member', phone: '0987 000 111' })).status).toBe(201);
    const wrongRole = await add({ fullName: 'Trần Văn Ba', role: 'chair' });
    expect(wrongRole.body.error.code).toBe('BODY_ROLE_NOT_ALLOWED');
    expect(wrongRole.body.error.details[0].field).toBe('role');
    // The unique index holds even without the form.
    await expect(insertMember(em(), team, { fullName: 'NGUYỄN THỊ HOA', role: 'member', organisation: null, phone: '0912345678' })).rejects.toThrow(/body_member_once_uq/);
    // Names are stored in NFC.
    const names = await sql<{ full_name: string }>(em(), `select full_name from body_member where body_id = ? order by position`, [team]);
    expect(names.every((n) => n.full_name === n.full_name.normalize('NFC'))).toBe(true);
  });

  it('a complete body stays lawful: a removal that would break rule 7 is refused until it is reopened', async () => {
    const [b] = await sql<{ id: string }>(em(), `select id from election_body where kind = 'province-committee' and province_code = ?`, [HCMC]);
    await trimTo(b.id, 23);
    expect((await complete(b.id)).status).toBe(200);
    const [m] = await sql<{ id: string }>(em(), `select id from body_member where body_id = ? and role = 'member' limit 1`, [b.id]);
    const r = await post(nec, `/elections/${electionId}/bodies/${b.id}/members/${m.id}/delete`);
    expect(r.status).toBe(400);
    expect(r.body.error.code).toBe('BODY_SIZE');
    expect(r.body.error.message).toContain('Hãy mở lại để sửa');
  });
});

describe('rule 8: one body per node', () => {
  it('a second team for the same polling area is refused (409, audited), and the unique index refuses it too', async () => {
    const r = await post(communeA, `/elections/${electionId}/bodies`, { id: electionId, kind: 'team', areaId: areas[0].id });
    expect(r.status).toBe(409);
    expect(r.body.error.code).toBe('BODY_EXISTS');
    expect(r.body.error.message).toContain('quy tắc 8');
    const [a] = await sql(em(), `select result, after from audit_event where action = 'core.bodies.create' order by seq desc limit 1`);
    expect(a).toMatchObject({ result: 'rejected', after: { code: 'BODY_EXISTS' } });
    await expect(sql(em(), `insert into election_body (id, election_id, kind, commune_code, polling_area_id, variant, created_by) values (?, ?, 'team', ?, ?, 'civil', 'test')`,
      [newId(), electionId, areas[0].commune, areas[0].id])).rejects.toThrow(/election_body_team_uq/);
    // And a second committee for a province.
    expect((await post(nec, `/elections/${electionId}/bodies`, { id: electionId, kind: 'province-committee', code: HCMC })).status).toBe(409);
  });
});

describe('scope', () => {
  it('a commune official cannot manage another commune\'s team (403, audited) but manages its own', async () => {
    const other = areas.find((a) => a.commune === communes[1])!;
    const teamB = await createBody(nec, { kind: 'team', areaId: other.id });
    const add = await post(communeA, `/elections/${electionId}/bodies/${teamB}/members`, { fullName: 'Lê Văn Tư', role: 'leader' });
    expect(add.status).toBe(403);
    expect((await post(communeA, `/elections/${electionId}/bodies/${teamB}/complete`)).status).toBe(403);
    const otherArea = areas.filter((a) => a.commune === communes[1])[1];
    expect((await post(communeA, `/elections/${electionId}/bodies`, { id: electionId, kind: 'team', areaId: otherArea.id })).status).toBe(403);
    const [denied] = await sql(em(), `select result, target_type, target_id from audit_event where action = 'core.bodies.member.add' order by seq desc limit 1`);
    expect(denied).toEqual({ result: 'denied', target_type: 'commune', target_id: communes[1] });
    // Nor the provincial committee; it may read both.
    const [pc] = await sql<{ id: string }>(em(), `select id from election_body where kind = 'province-committee'`);
    expect((await post(communeA, `/elections/${electionId}/bodies/${pc.id}/reopen`)).status).toBe(403);
    expect((await communeA.get(`/elections/${electionId}/bodies/${teamB}`)).status).toBe(403);
    expect((await communeA.get(`/elections/${electionId}/bodies/commune/${communes[0]}`)).status).toBe(200);
    // Its own team: allowed.
    const own = areas.find((a) => a.commune === communes[0] && a.number === 5)!;
    const mine = await createBody(communeA, { kind: 'team', areaId: own.id });
    expect((await post(communeA, `/elections/${electionId}/bodies/${mine}/members`, { fullName: 'Lê Văn Tư', role: 'leader' })).status).toBe(201);
  });

  it('the body page shows the members, the check and the forms to whoever manages it', async () => {
    const [t] = await sql<{ id: string }>(em(), `select id from election_body where polling_area_id = ?`, [areas[0].id]);
    const html = await communeA.text(`/elections/${electionId}/bodies/${t.id}`);
    expect(html).toContain('Tổ bầu cử — Khu vực bỏ phiếu số 1');
    expect(html).toContain('Đánh dấu hoàn thành');
    expect(html).toContain('name="fullName"');
    // A refused form comes back as the page, with the message by the field and what was typed.
    const res = await communeA.post(`/elections/${electionId}/bodies/${t.id}/members`, { fullName: 'Phạm Văn Năm', role: 'member', phone: 'abc' });
    expect(res.status).toBe(400);
    const page = await res.text();
    expect(page).toContain('id="a-phone-err"');
    expect(page).toContain('value="Phạm Văn Năm"');
  });
});

// ---- import ----------------------------------------------------------------------------------------------------

const HEADER = 'Loại tổ chức,Mã đơn vị hành chính,Số đơn vị bầu cử,Số khu vực bỏ phiếu,Số quyết định,Ngày quyết định,Họ và tên,Chức vụ trong tổ chức,"Cơ quan, tổ chức",Điện thoại';

function teamRows(commune: string, area: number, n: number, prefix: string): string[] {
  return Array.from({ length: n }, (_, i) => [
    'Tổ bầu cử', commune, '', String(area), '5/QĐ-UBND', '20/01/2026', `${prefix} ${i + 1}`, i === 0 ? 'Tổ trưởng' : i === 1 ? 'Thư ký' : 'Ủy viên', '"Tổ dân phố số 1, khu phố 2"', `0903${String(100000 + i).slice(-6)}`,
  ].join(','));
}

async function upload(c: TestClient, election: string, fileName: string, content: Buffer | string, scope = ''): Promise<string> {
  const page = await c.get(`/elections/${election}/bodies/import`);
  const token = /name="_csrf" value="([^"]*)"/.exec(await page.text())?.[1] ?? '';
  const fd = new FormData();
  fd.set('scope', scope);
  const bytes = typeof content === 'string' ? Buffer.from(content, 'utf8') : content;
  fd.set('file', new Blob([new Uint8Array(bytes)]), fileName);
  const res = await fetch(`${c.base}/elections/${election}/bodies/import?_csrf=${encodeURIComponent(token)}`, {
    method: 'POST', body: fd, redirect: 'manual', headers: { cookie: [...c.cookies].map(([k, v]) => `${k}=${v}`).join('; '), origin: c.base },
  });
  expect(res.status, await res.clone().text()).toBe(303);
  return /\/imports\/([0-9a-f-]{36})$/.exec(res.headers.get('location') ?? '')![1];
}

async function report(c: TestClient, election: string, runId: string) {
  return waitFor(async () => {
    const j = await (await c.get(`/elections/${election}/bodies/imports/${runId}`, { accept: 'application/json' })).json();
    return ['succeeded', 'rejected', 'failed'].includes(j.status) ? j : undefined;
  }, 60_000, 100);
}

describe('import and export', () => {
  let election2: string;
  let c2: string[];

  beforeAll(async () => {
    election2 = await insertElection('Bầu cử thử: nhập danh sách');
    c2 = communes.slice(0, 2);
    for (const c of c2) for (let n = 1; n <= 2; n++) await insertArea(election2, c, n);
  });

  it('a file with a bad row writes nothing: the run is rejected with a report by row, column and code', async () => {
    const rows = [HEADER, ...teamRows(c2[0], 1, 11, 'Người A'), ...teamRows(c2[0], 9, 11, 'Người B')];
    rows[5] = rows[5].replace('Ủy viên', 'Tổ phó'); // row 6 of the sheet: a role teams do not have
    const run = await report(nec, election2, await upload(nec, election2, 'to-bau-cu.csv', '\ufeff' + rows.join('\r\n')));
    expect(run.status).toBe('rejected');
    const issues = run.errors.map((x: { row: number; column: string; code: string }) => [x.row, x.column, x.code]);
    expect(issues).toContainEqual([6, 'Chức vụ trong tổ chức', 'ROLE_UNKNOWN']);
    expect(issues).toContainEqual([13, 'Số khu vực bỏ phiếu', 'AREA_NOT_FOUND']);
    expect(run.errors.find((x: { code: string }) => x.code === 'AREA_NOT_FOUND').message).toContain('Không có khu vực bỏ phiếu số 9');
    expect((await sql(em(), `select count(*)::int as n from election_body where election_id = ?`, [election2]))[0].n).toBe(0);
    const [a] = await sql(em(), `select result, after from audit_event where action = 'core.bodies.import' order by seq desc limit 1`);
    expect(a.result).toBe('rejected');
  });

  it('a good file forms the teams (complete when rule 7 holds, otherwise drafts), and the same file again changes nothing', async () => {
    const csv = '\ufeff' + [HEADER, ...teamRows(c2[0], 1, 11, 'Người A'), ...teamRows(c2[0], 2, 11, 'Người C'), ...teamRows(c2[1], 1, 10, 'Người D')].join('\r\n');
    const first = await report(nec, election2, await upload(nec, election2, 'to-bau-cu.csv', csv));
    expect(first.status, JSON.stringify(first.errors)).toBe('succeeded');
    expect(first.summary).toMatchObject({ bodies: 3, added: 3, complete: 2, drafts: 1, members: 32, noChanges: false });
    expect(first.warnings.map((w: { code: string }) => w.code)).toEqual(['IMPORTED_DRAFT', 'BODY_SIZE']);
    const teams = await sql(em(), `select b.status, b.decision_no, b.decision_date::text as d, (select count(*)::int from body_member m where m.body_id = b.id) as n
      from election_body b where b.election_id = ? order by b.commune_code, (select number from polling_area a where a.id = b.polling_area_id)`, [election2]);
    expect(teams).toEqual([
      { status: 'complete', decision_no: '5/QĐ-UBND', d: '2026-01-20', n: 11 }, { status: 'complete', decision_no: '5/QĐ-UBND', d: '2026-01-20', n: 11 },
      { status: 'draft', decision_no: '5/QĐ-UBND', d: '2026-01-20', n: 10 },
    ]);
    const [org] = await sql(em(), `select organisation from body_member m join election_body b on b.id = m.body_id where b.election_id = ? limit 1`, [election2]);
    expect(org.organisation).toBe('Tổ dân phố số 1, khu phố 2');
    const again = await report(nec, election2, await upload(nec, election2, 'to-bau-cu.csv', csv));
    expect(again.status).toBe('succeeded');
    expect(again.summary).toMatchObject({ added: 0, changed: 0, unchanged: 3, noChanges: true });
  });

  it('a commune official imports only within its commune: other communes\' rows are OUT_OF_SCOPE', async () => {
    const c = await signedIn('commune-official', 'commune', c2[0]);
    const csv = [HEADER, ...teamRows(c2[1], 2, 11, 'Người E')].join('\n');
    const run = await report(c, election2, await upload(c, election2, 'ngoai.csv', csv, c2[0]));
    expect(run.status).toBe('rejected');
    expect(run.errors[0]).toMatchObject({ row: 2, column: 'Mã đơn vị hành chính', code: 'OUT_OF_SCOPE' });
  });

  it('the export writes real cells in the template\'s columns and imports back unchanged', async () => {
    const res = await nec.get(`/elections/${election2}/bodies/export.xlsx?commune=${c2[0]}`);
    expect(res.status).toBe(200);
    const buf = Buffer.from(await res.arrayBuffer());
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(buf as unknown as ArrayBuffer);
    const ws = wb.worksheets[0];
    expect(ws.getRow(1).values).toEqual([undefined, 'Loại tổ chức', 'Mã đơn vị hành chính', 'Tên đơn vị hành chính', 'Số đơn vị bầu cử', 'Số khu vực bỏ phiếu', 'Loại tổ bầu cử',
      'Số quyết định', 'Ngày quyết định', 'Cơ quan ban hành', 'Ngày thành lập', 'Họ và tên', 'Chức vụ trong tổ chức', 'Cơ quan, tổ chức', 'Điện thoại', 'Trạng thái']);
    expect(ws.rowCount).toBe(1 + 22);
    const r2 = ws.getRow(2);
    expect(r2.getCell(2).value).toBe(c2[0]);
    expect(r2.getCell(5).value).toBe(1);
    expect(r2.getCell(8).value).toBeInstanceOf(Date);
    expect((r2.getCell(8).value as Date).toISOString().slice(0, 10)).toBe('2026-01-20');
    expect(r2.getCell(12).value).toBe('Tổ trưởng');
    const back = await report(nec, election2, await upload(nec, election2, 'xuat.xlsx', buf));
    expect(back.status, JSON.stringify(back.errors)).toBe('succeeded');
    expect(back.summary.noChanges).toBe(true);
  });

  it('the template has the Vietnamese headers, as CSV and XLSX', async () => {
    const bytes = Buffer.from(await (await nec.get(`/elections/${election2}/bodies/import/template.csv`)).arrayBuffer());
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]); // the BOM, so Excel reads UTF-8
    const csv = bytes.subarray(3).toString('utf8');
    expect(csv.split('\r\n')[0]).toBe('Loại tổ chức,Mã đơn vị hành chính,Tên đơn vị hành chính,Số đơn vị bầu cử,Số khu vực bỏ phiếu,Loại tổ bầu cử,Số quyết định,Ngày quyết định,Cơ quan ban hành,Ngày thành lập,Họ và tên,Chức vụ trong tổ chức,"Cơ quan, tổ chức",Điện thoại');
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(Buffer.from(await (await nec.get(`/elections/${election2}/bodies/import/template.xlsx`)).arrayBuffer()) as unknown as ArrayBuffer);
    expect(wb.worksheets.map((w) => w.name)).toEqual(['Danh sách', 'Hướng dẫn']);
    expect(wb.worksheets[0].getRow(1).getCell(1).value).toBe('Loại tổ chức');
  });
});

describe('rule 9: the calendar counts the bodies formed', () => {
  it('with 3 polling areas in 3 communes and 1 team formed, "2 xã chưa thành lập tổ bầu cử"', async () => {
    const e3 = await insertElection('Bầu cử thử: lịch');
    const hanoi = referenceUnits([HANOI]).filter((u) => u.level === 'commune').map((u) => u.code).sort().slice(0, 3);
    const ids = [];
    for (const c of hanoi) ids.push(await insertArea(e3, c, 1));
    const team = await createBody(nec, { kind: 'team', areaId: ids[0] }, e3);
    // A draft does not count; a complete team does.
    expect(await teamsFormed(em(), e3, { type: 'province', code: HANOI })).toMatchObject({ missing: 3, total: 3 });
    await decide(nec, team, {}, e3);
    await fill(team, 11, { leader: 'leader', secretary: 'secretary' });
    expect((await complete(team, nec, e3)).status).toBe(200);
    expect(await teamsFormed(em(), e3, { type: 'province', code: HANOI })).toMatchObject({ missing: 2, total: 3 });
    expect(await teamsFormed(em(), e3, { type: 'commune', code: hanoi[0] })).toMatchObject({ missing: 0, total: 1 });
    const html = await nec.text(`/elections/${e3}/calendar`);
    const row = /<tr class="([^"]*)" id="dl-teams-formed"[\s\S]*?<\/tr>/.exec(html);
    expect(row, 'teams-formed row').toBeTruthy();
    expect(row![0]).toContain('2 xã chưa thành lập tổ bầu cử');
    // Communes recorded as having no committee are not expected to form one.
    const before = (await communeCommitteesFormed(em(), e3, { type: 'province', code: HANOI }))!;
    const none = await post(nec, `/elections/${e3}/bodies`, { id: e3, kind: 'commune-committee', code: hanoi[1], none: '1', reason: 'Chưa tổ chức chính quyền địa phương' });
    expect(none.status).toBe(201);
    const after = (await communeCommitteesFormed(em(), e3, { type: 'province', code: HANOI }))!;
    expect([after.missing, after.total]).toEqual([before.missing - 1, before.total - 1]);
  });

  it('the nation page counts formed / expected per province', async () => {
    const j = await (await nec.get(`/elections/${electionId}/bodies`, { accept: 'application/json' })).json();
    const hcmc = j.provinces.find((p: { code: string }) => p.code === HCMC);
    expect(hcmc.teams.expected).toBe(areas.length + 1);
    expect(hcmc.boards.expected).toBe(4);
    expect(hcmc.committee.status).toBe('complete');
    const html = await nec.text(`/elections/${electionId}/bodies`);
    expect(html).toContain('Thành phố Hồ Chí Minh');
    const province = await nec.text(`/elections/${electionId}/bodies/province/${HCMC}`);
    expect(province).toContain('Ủy ban bầu cử Thành phố Hồ Chí Minh');
    expect(province).toContain('Ban bầu cử đại biểu Quốc hội');
    expect(province).toContain(`/bodies/commune/${communes[0]}`);
    const commune = await nec.text(`/elections/${electionId}/bodies/commune/${communes[0]}`);
    expect(commune).toContain('Ban bầu cử đại biểu HĐND xã');
    expect(commune).toContain('đơn vị vũ trang');
  });
});
