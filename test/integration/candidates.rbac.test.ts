// Who sees and changes which candidates: a commune official only its commune's council (outside: 403, audited; the
// list never shows them), a province official its province (councils, communes, NA candidates filed with it, not the
// NEC's), an observer reads without personal data and writes nothing, board and team members see no dossier, an
// unknown id is 404, anonymous callers are sent to sign in / refused; personal data never reaches the audit trail.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { TestClient } from '../helpers/client.js';
import { sql } from '../../core/persistence/db.js';
import { newId } from '../../core/shared/ids.js';
import { candidateWorld, createCandidate, dossierForm, signedIn, HCMC, HANOI, JSON_ACCEPT, type CandidateWorld } from '../helpers/candidates.js';

let w: CandidateWorld;
let nec: TestClient;
const c: Record<string, TestClient> = {};
const ids: Record<string, string> = {};
const em = () => w.app.orm.em.fork();
const url = (k: string, rest = '') => `/elections/${w.electionId}/candidates/${ids[k]}${rest}`;
let unitId = '';
let areaId = '';

beforeAll(async () => {
  w = await candidateWorld('cand_rbac');
  nec = await signedIn(w.app, 'nec-official', 'nation', 'VN');
  const mk = async (k: string, o: Record<string, string | undefined>) => {
    const r = await createCandidate(nec, w.electionId, dossierForm({ fullName: `Kiểm Tra ${k}`, idNumber: `0790000000${String(Object.keys(ids).length).padStart(2, '0')}`, permanentResidence: `Nhà riêng số ${k}`, ...o }));
    if (!r.id) throw new Error(`${k}: ${r.status} ${JSON.stringify(r.error)}`);
    ids[k] = r.id;
  };
  await mk('communeA', { councilCode: w.communes.A });
  await mk('communeB', { councilCode: w.communes.B });
  await mk('communeH', { councilCode: w.communes.H });
  await mk('provHCMC', { contest: 'provincial-council', councilCode: HCMC });
  await mk('provHanoi', { contest: 'provincial-council', councilCode: HANOI });
  await mk('naHCMC', { contest: 'national-assembly', nominatedBy: 'self', councilCode: HCMC, nominatingBody: undefined, position: undefined });
  await mk('naCentral', { contest: 'national-assembly', nominatedBy: 'central', councilCode: '' });
  unitId = newId();
  await sql(em(), `insert into electoral_unit (id, election_id, contest, parent_level, parent_code, number, seats, name) values (?, ?, 'commune-council', 'commune', ?, 1, 3, 'Đơn vị bầu cử số 1')`, [unitId, w.electionId, w.communes.A]);
  areaId = newId();
  await sql(em(), `insert into polling_area (id, election_id, commune_code, number, name, search_key, sort_key, voters, kind) values (?, ?, ?, 1, 'Khu vực bỏ phiếu số 1', 'kv', 'kv', 900, 'regular')`, [areaId, w.electionId, w.communes.A]);
  c.communeA = await signedIn(w.app, 'commune-official', 'commune', w.communes.A);
  c.province = await signedIn(w.app, 'province-official', 'province', HCMC);
  c.observer = await signedIn(w.app, 'observer', 'province', HCMC);
  c.board = await signedIn(w.app, 'board-member', 'electoral-unit', unitId);
  c.team = await signedIn(w.app, 'team-member', 'polling-area', areaId);
  c.admin = await signedIn(w.app, 'system-admin', 'nation', 'VN');
}, 120_000);

afterAll(async () => {
  await w?.app.close();
});

const listed = async (client: TestClient) => {
  const html = await client.text(`/elections/${w.electionId}/candidates?q=kiem tra&size=200`);
  return Object.keys(ids).filter((k) => html.includes(`Kiểm Tra ${k}<`)).sort();
};

describe('reads are scoped', () => {
  it('each role lists exactly the candidates its scope reaches', async () => {
    expect(await listed(nec)).toEqual(Object.keys(ids).sort());
    expect(await listed(c.communeA)).toEqual(['communeA']);
    expect(await listed(c.province)).toEqual(['communeA', 'communeB', 'naHCMC', 'provHCMC']);
    expect(await listed(c.observer)).toEqual(['communeA', 'communeB', 'naHCMC', 'provHCMC']);
    expect(await listed(c.board)).toEqual([]);
    expect(await listed(c.team)).toEqual([]);
  });

  it('a commune official opening a candidate outside its commune is refused (403) and the refusal audited; an unknown id is 404', async () => {
    expect((await c.communeA.get(url('communeA'))).status).toBe(200);
    for (const k of ['communeB', 'communeH', 'provHCMC', 'naHCMC', 'naCentral']) expect((await c.communeA.get(url(k))).status, k).toBe(403);
    expect((await c.communeA.get(`/elections/${w.electionId}/candidates/${newId()}`)).status).toBe(404);
    const [a] = await sql(em(), `select count(*)::int as n from audit_event where action = 'core.candidates.view' and result = 'denied' and target_type = 'candidate'`);
    expect(a.n).toBeGreaterThanOrEqual(5);
  });

  it('the province reaches its NA candidates but not those filed with the NEC; board and team members see no dossier', async () => {
    expect((await c.province.get(url('naHCMC'))).status).toBe(200);
    expect((await c.province.get(url('naCentral'))).status).toBe(403);
    expect((await c.province.get(url('provHanoi'))).status).toBe(403);
    expect((await c.board.get(url('communeA'))).status).toBe(403);
    expect((await c.team.get(url('communeA'))).status).toBe(403);
  });

  it('anonymous: reads go to the sign-in page, writes are refused (401)', async () => {
    const anon = new TestClient(w.app.url);
    expect((await anon.get(url('communeA'))).status).toBe(303);
    expect((await anon.get(`/elections/${w.electionId}/candidates`)).status).toBe(303);
    expect((await anon.post(url('communeA', '/status'), { move: 'preliminary' }, { headers: JSON_ACCEPT.headers })).status).toBe(401);
  });
});

describe('personal data', () => {
  it('the observer sees the dossier without ID number or addresses; the NEC, province and commune officials see them', async () => {
    const obs = await c.observer.text(url('communeA'));
    expect(obs).toContain('Kiểm Tra communeA');
    expect(obs).not.toContain('079000000000');
    expect(obs).not.toContain('Nhà riêng số communeA');
    expect(obs).toContain('chỉ hiển thị cho cán bộ được giao xử lý hồ sơ');
    for (const who of [nec, c.province, c.communeA]) {
      const html = await who.text(url('communeA'));
      expect(html).toContain('079000000000');
      expect(html).toContain('Nhà riêng số communeA');
    }
    // A system administrator manages but handles no personal data.
    expect(await c.admin.text(url('communeA'))).not.toContain('079000000000');
  });

  it('no audit event of this election carries an ID number or an address', async () => {
    const rows = await sql<{ t: string }>(em(), `select coalesce(before::text, '') || coalesce(after::text, '') as t from audit_event where action like 'core.candidates.%'`);
    expect(rows.length).toBeGreaterThan(7);
    for (const r of rows) {
      expect(r.t).not.toMatch(/0790000000\d\d/);
      expect(r.t).not.toContain('Nhà riêng số');
    }
  });

  it('an edit by someone without personal-data permission keeps the stored ID number and addresses', async () => {
    const [{ version }] = await sql<{ version: number }>(em(), `select version from candidate where id = ?`, [ids.communeA]);
    const f = dossierForm({ fullName: 'Kiểm Tra communeA', occupation: 'Kỹ sư', idNumber: undefined, permanentResidence: undefined, currentResidence: undefined });
    delete f.contest;
    expect((await c.admin.post(url('communeA'), { ...f, version: String(version) })).status).toBe(303);
    const [row] = await sql(em(), `select id_number, permanent_residence, occupation from candidate where id = ?`, [ids.communeA]);
    expect(row).toEqual({ id_number: '079000000000', permanent_residence: 'Nhà riêng số communeA', occupation: 'Kỹ sư' });
  });
});

describe('writes are scoped', () => {
  it('a commune official cannot change, move, upload to or create candidates outside its commune (403, nothing written)', async () => {
    const [{ version }] = await sql<{ version: number }>(em(), `select version from candidate where id = ?`, [ids.communeB]);
    const f = dossierForm({ fullName: 'Đổi Tên Trái Phép' });
    delete f.contest;
    expect((await c.communeA.post(url('communeB'), { ...f, version: String(version) }, JSON_ACCEPT)).status).toBe(403);
    expect((await c.communeA.post(url('communeB', '/status'), { move: 'preliminary' }, JSON_ACCEPT)).status).toBe(403);
    expect((await c.communeA.post(url('communeB', '/dossier'), { to: 'returned', reason: 'x' }, JSON_ACCEPT)).status).toBe(403);
    expect((await c.communeA.post(url('communeB', '/conferences'), { kind: 'residence', heldOn: '01/02/2026', invited: '10', attending: '9', confidence: '8' }, JSON_ACCEPT)).status).toBe(403);
    const created = await createCandidate(c.communeA, w.electionId, dossierForm({ councilCode: w.communes.B, fullName: 'Sai Xã' }), true);
    expect(created.status).toBe(403);
    const created2 = await createCandidate(c.communeA, w.electionId, dossierForm({ contest: 'provincial-council', councilCode: HCMC, fullName: 'Sai Cấp' }), true);
    expect(created2.status).toBe(403);
    const [row] = await sql(em(), `select full_name, status, dossier_status, version from candidate where id = ?`, [ids.communeB]);
    expect(row).toEqual({ full_name: 'Kiểm Tra communeB', status: 'nominated', dossier_status: 'received', version });
    expect((await sql(em(), `select count(*)::int as n from candidate where full_name in ('Sai Xã', 'Sai Cấp')`))[0].n).toBe(0);
  });

  it('an observer writes nothing, even in its scope (403)', async () => {
    expect((await c.observer.post(url('communeA', '/status'), { move: 'preliminary' }, JSON_ACCEPT)).status).toBe(403);
    expect((await createCandidate(c.observer, w.electionId, dossierForm({ councilCode: w.communes.A, fullName: 'Quan Sát' }), true)).status).toBe(403);
  });

  it('candidate forms are closed outside the nomination–official-lists phases (409, audited)', async () => {
    await sql(em(), `update election set status = 'voting' where id = ?`, [w.electionId]);
    try {
      const r = await c.communeA.post(url('communeA', '/status'), { move: 'preliminary' }, JSON_ACCEPT);
      expect(r.status).toBe(409);
    } finally {
      await sql(em(), `update election set status = 'nomination' where id = ?`, [w.electionId]);
    }
  });
});
