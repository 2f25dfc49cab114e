// Fixtures for the count-minutes tests: an election in the counting phase with an NA unit (3 seats) in a real
// province, polling areas in one of its communes, an official candidate list inserted with SQL (the candidate pages
// are built elsewhere), signed-in typists and coordinators, and a JSON client for /api/v1 with the session's CSRF token.
import { expect } from 'vitest';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { TestApp } from './test-app.js';
import { TestClient, createUser, type TestUser } from './client.js';
import { insertUnits, referenceUnits } from './admin-units-fixture.js';
import { sql } from '../../core/persistence/db.js';
import { newId } from '../../core/shared/ids.js';
import { collationKey, searchKey } from '../../core/shared/vn-text.js';

export const CONTEST = 'national-assembly';
export const PROVINCE = '79';

export interface World {
  electionId: string;
  commune: string;
  otherCommune: string;
  unitId: string;
  otherUnitId: string;
  candidates: string[];
  foreignCandidate: string;
}

const CANDIDATE_NAMES = ['Nguyễn Văn An', 'Trần Thị Bình', 'Lê Văn Cường', 'Phạm Thị Dung', 'Hoàng Văn Em'];

export async function insertCandidate(em: EntityManager, electionId: string, unitId: string, order: number, name: string): Promise<string> {
  const id = newId();
  await sql(em, `insert into candidate (id, election_id, contest, council_code, full_name, name_key, sort_key, gender, ethnicity, nominated_by, filing_body_code, status, unit_id, ballot_order)
    values (?, ?, ?, 'VN', ?, ?, ?, ?, 'Kinh', 'local', ?, 'official', ?, ?)`,
  [id, electionId, CONTEST, name, searchKey(name), collationKey(name), order % 2 ? 'male' : 'female', PROVINCE, unitId, order]);
  return id;
}

export async function insertArea(em: EntityManager, w: Pick<World, 'electionId'>, commune: string, n: number, unitId: string, voters = 1000): Promise<string> {
  const id = newId();
  const name = `Khu vực bỏ phiếu số ${n}`;
  await sql(em, `insert into polling_area (id, election_id, commune_code, number, name, search_key, sort_key, voters, kind) values (?, ?, ?, ?, ?, ?, ?, ?, 'regular')`,
    [id, w.electionId, commune, n, name, searchKey(name), collationKey(name), voters]);
  await sql(em, `insert into polling_area_unit (polling_area_id, contest, unit_id) values (?, ?, ?)`, [id, CONTEST, unitId]);
  return id;
}

/** The reference tree of one province, an election in 'counting', two NA units with their official lists. */
export async function buildWorld(app: TestApp, o: { mode?: 'double-entry' | 'single-plus-verification'; phase?: string } = {}): Promise<World> {
  const em = app.orm.em.fork();
  const [{ n }] = await sql<{ n: number }>(em, `select count(*)::int as n from admin_unit where code = ?`, [PROVINCE]);
  if (!n) await insertUnits(em, referenceUnits([PROVINCE]));
  const communes = (await sql<{ code: string }>(em, `select code from admin_unit where level = 'commune' and parent_code = ? and valid_to is null order by code limit 2`, [PROVINCE])).map((r) => r.code);
  const electionId = newId();
  await sql(em, `insert into election (id, name, election_day, status, minutes_entry_mode) values (?, ?, '2026-03-15', ?, ?)`,
    [electionId, `Bầu cử thử ${electionId.slice(0, 8)}`, o.phase ?? 'counting', o.mode ?? 'double-entry']);
  await sql(em, `insert into plugin_state (election_id, plugin_id, enabled) values (?, ?, true)`, [electionId, CONTEST]);
  const unit = async (num: number) => {
    const id = newId();
    await sql(em, `insert into electoral_unit (id, election_id, contest, parent_level, parent_code, number, seats, name) values (?, ?, ?, 'province', ?, ?, 3, ?)`,
      [id, electionId, CONTEST, PROVINCE, num, `Đơn vị bầu cử số ${num}`]);
    return id;
  };
  const unitId = await unit(1);
  const otherUnitId = await unit(2);
  const candidates: string[] = [];
  for (const [i, name] of CANDIDATE_NAMES.entries()) candidates.push(await insertCandidate(em, electionId, unitId, i + 1, name));
  const foreignCandidate = await insertCandidate(em, electionId, otherUnitId, 1, 'Đỗ Văn Khác');
  return { electionId, commune: communes[0], otherCommune: communes[1], unitId, otherUnitId, candidates, foreignCandidate };
}

export interface Signed {
  user: TestUser;
  client: TestClient;
  csrf: string;
}

export async function signed(app: TestApp, role: string, scopeType: 'nation' | 'province' | 'commune' | 'polling-area', scopeCode: string): Promise<Signed> {
  const em = app.orm.em.fork();
  const user = await createUser(em, { roles: [{ role, scopeType, scopeCode }], totp: ['system-admin', 'nec-official', 'province-official'].includes(role) });
  const client = new TestClient(app.url);
  await client.login(user, em);
  return { user, client, csrf: await client.csrf() };
}

/** A valid minutes body for the world's list (3 seats, 5 candidates), with overrides. */
export function goodMinutes(w: World, o: Record<string, unknown> = {}): Record<string, unknown> {
  const votes = [500, 450, 400, 380, 370];
  return {
    votersTotal: 1000, votersVoted: 900, ballotsIssued: 900, ballotsReceived: 900, ballotsValid: 880, ballotsInvalid: 20,
    votes: w.candidates.map((candidateId, i) => ({ candidateId, votes: votes[i] })),
    complaints: { received: 0, resolved: 0, forwarded: 0 },
    teamMembersPresent: 11,
    ...o,
  };
}

export interface ApiResult {
  status: number;
  body: any;
  headers: Headers;
}

/** POST JSON with the session cookie and CSRF header (and optional Idempotency-Key / raw body / content type). */
export async function postJson(s: Signed, path: string, body: unknown, o: { key?: string; raw?: string; contentType?: string } = {}): Promise<ApiResult> {
  const headers: Record<string, string> = {
    cookie: [...s.client.cookies].map(([k, v]) => `${k}=${v}`).join('; '),
    'content-type': o.contentType ?? 'application/json',
    accept: 'application/json',
    'x-csrf-token': s.csrf,
  };
  if (o.key) headers['idempotency-key'] = o.key;
  const res = await fetch(s.client.base + path, { method: 'POST', headers, body: o.raw ?? JSON.stringify(body), redirect: 'manual' });
  const text = await res.text();
  let parsed: unknown;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = text;
  }
  return { status: res.status, body: parsed, headers: res.headers };
}

export const entriesPath = (w: World) => `/api/v1/elections/${w.electionId}/count-minutes/entries`;

/** Submits an entry through the API as `s`; returns the result. */
export function submit(s: Signed, w: World, areaId: string, minutes: Record<string, unknown>, extra: Record<string, unknown> = {}): Promise<ApiResult> {
  return postJson(s, entriesPath(w), { pollingAreaId: areaId, contest: CONTEST, ...minutes, ...extra });
}

/** Row counts of the count-minutes tables (to prove that a refusal wrote nothing). */
export async function tableCounts(app: TestApp): Promise<Record<string, number>> {
  const em = app.orm.em.fork();
  const out: Record<string, number> = {};
  for (const t of ['count_minutes', 'count_minutes_entry', 'count_minutes_version', 'count_minutes_vote', 'count_minutes_scan']) {
    out[t] = (await sql<{ n: number }>(em, `select count(*)::int as n from ${t}`))[0].n;
  }
  return out;
}

export function expectVietnamese(message: unknown): void {
  expect(typeof message).toBe('string');
  expect(String(message)).toMatch(/[ăâđêôơưàáảãạèéẻẽẹìíỉĩịòóỏõọùúủũụỳýỷỹỵ]/i);
}
