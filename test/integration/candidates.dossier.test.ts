// Candidate dossiers through HTTP on the real app: rule 12 (the 21st birthday on election day accepted, one day short
// refused, naming the field, nothing written), dates dd/mm/yyyy and ISO, names to NFC with the shared keys, the
// council and filing-body conventions, required fields per contest (Vietnamese messages), the optimistic version
// (a stale edit refused), the history in candidate_event and one audit event per write without personal data.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import type { TestClient } from '../helpers/client.js';
import { sql } from '../../core/persistence/db.js';
import { searchKey } from '../../core/shared/vn-text.js';
import { ballotSortKey } from '../../core/elections/candidates/ballot-order.js';
import { candidateWorld, createCandidate, dossierForm, signedIn, HCMC, JSON_ACCEPT, type CandidateWorld } from '../helpers/candidates.js';

let w: CandidateWorld;
let nec: TestClient;
let communeA: TestClient;
const em = () => w.app.orm.em.fork();
const count = async () => (await sql<{ n: number }>(em(), `select count(*)::int as n from candidate where election_id = ?`, [w.electionId]))[0].n;

beforeAll(async () => {
  w = await candidateWorld('cand_dossier');
  nec = await signedIn(w.app, 'nec-official', 'nation', 'VN');
  communeA = await signedIn(w.app, 'commune-official', 'commune', w.communes.A);
}, 120_000);

afterAll(async () => {
  await w?.app.close();
});

describe('rule 12: age ≥ 21 on election day (15/03/2026)', () => {
  it('rule 12: born 15/03/2005 — the 21st birthday is election day — is accepted', async () => {
    const r = await createCandidate(communeA, w.electionId, dossierForm({ councilCode: w.communes.A, fullName: 'Trần Văn Đủ Tuổi', dateOfBirth: '15/03/2005' }));
    expect(r.status).toBe(303);
    expect(r.id).toBeTruthy();
    const [c] = await sql(em(), `select date_of_birth::text as dob, date_of_birth_text from candidate where id = ?`, [r.id]);
    expect(c).toEqual({ dob: '2005-03-15', date_of_birth_text: '15/03/2005' });
  });

  it('rule 12: born 16/03/2005 — one day short of 21 — is refused naming the date of birth, nothing written', async () => {
    const before = await count();
    const r = await createCandidate(communeA, w.electionId, dossierForm({ councilCode: w.communes.A, fullName: 'Trần Văn Thiếu Tuổi', dateOfBirth: '16/03/2005' }), true);
    expect(r.status).toBe(400);
    const d = r.error!.details!.find((x) => x.field === 'dateOfBirth')!;
    expect(d.code).toBe('CANDIDATE_TOO_YOUNG');
    expect(d.message).toMatch(/^Ngày sinh: .*20 tuổi.*2026-03-15.*21 tuổi/);
    expect(await count()).toBe(before);
  });

  it('rule 12: ISO dates are accepted as well; a date that does not exist is refused with the value quoted', async () => {
    const ok = await createCandidate(communeA, w.electionId, dossierForm({ councilCode: w.communes.A, fullName: 'Lê Thị Iso', dateOfBirth: '1990-02-28' }));
    expect(ok.status).toBe(303);
    const bad = await createCandidate(communeA, w.electionId, dossierForm({ councilCode: w.communes.A, fullName: 'Lê Thị Sai Ngày', dateOfBirth: '31/02/1990' }), true);
    expect(bad.status).toBe(400);
    expect(bad.error!.details!.find((x) => x.field === 'dateOfBirth')!.message).toBe('Ngày sinh: «31/02/1990» không phải ngày hợp lệ (ngày/tháng/năm, ví dụ 05/03/1980).');
  });
});

describe('dossier fields and conventions', () => {
  it('names are stored NFC with name_key = searchKey and sort_key = ballotSortKey; the history starts with "created"', async () => {
    const nfd = 'Phạm Thị Ánh Tuyết'.normalize('NFD');
    const r = await createCandidate(communeA, w.electionId, dossierForm({ councilCode: w.communes.A, fullName: `  ${nfd}  `, otherName: 'Sư cô Diệu Hạnh' }));
    expect(r.status).toBe(303);
    const [c] = await sql(em(), `select full_name, name_key, sort_key, council_code, filing_body_code, contest from candidate where id = ?`, [r.id]);
    expect(c.full_name).toBe('Phạm Thị Ánh Tuyết'.normalize('NFC'));
    expect(c.name_key).toBe(searchKey('Phạm Thị Ánh Tuyết Sư cô Diệu Hạnh'));
    expect(c.sort_key).toBe(ballotSortKey('Phạm Thị Ánh Tuyết'));
    expect([c.contest, c.council_code, c.filing_body_code]).toEqual(['commune-council', w.communes.A, w.communes.A]);
    const events = await sql(em(), `select kind, to_status from candidate_event where candidate_id = ?`, [r.id]);
    expect(events).toEqual([{ kind: 'created', to_status: 'nominated' }]);
  });

  it('NA: centrally nominated → council VN, filed with the NEC; locally nominated → filed with the province', async () => {
    const central = await createCandidate(nec, w.electionId, dossierForm({ contest: 'national-assembly', nominatedBy: 'central', fullName: 'Đỗ Văn Trung Ương', councilCode: '' }));
    const local = await createCandidate(nec, w.electionId, dossierForm({ contest: 'national-assembly', nominatedBy: 'local', fullName: 'Đỗ Văn Địa Phương', councilCode: HCMC }));
    const self = await createCandidate(nec, w.electionId, dossierForm({ contest: 'national-assembly', nominatedBy: 'self', fullName: 'Đỗ Văn Tự Ứng Cử', councilCode: HCMC, nominatingBody: undefined, position: undefined }));
    const prov = await createCandidate(nec, w.electionId, dossierForm({ contest: 'provincial-council', nominatedBy: 'local', fullName: 'Đỗ Văn Tỉnh', councilCode: HCMC }));
    const rows = await sql(em(), `select full_name, council_code, filing_body_code from candidate where id in (?, ?, ?, ?) `, [central.id, local.id, self.id, prov.id]);
    expect(rows).toHaveLength(4);
    expect(rows).toEqual(expect.arrayContaining([
      { full_name: 'Đỗ Văn Địa Phương', council_code: 'VN', filing_body_code: HCMC },
      { full_name: 'Đỗ Văn Tỉnh', council_code: HCMC, filing_body_code: HCMC },
      { full_name: 'Đỗ Văn Trung Ương', council_code: 'VN', filing_body_code: 'NEC' },
      { full_name: 'Đỗ Văn Tự Ứng Cử', council_code: 'VN', filing_body_code: HCMC },
    ]));
  });

  it('bad input: each missing required field named in Vietnamese, unknown council refused, central route only for the NA; nothing written', async () => {
    const before = await count();
    const r = await createCandidate(communeA, w.electionId, dossierForm({ councilCode: w.communes.A, ethnicity: '', workplace: '  ', gender: 'x' }), true);
    expect(r.status).toBe(400);
    expect(r.error!.message).toBe('Hồ sơ chưa lưu: có 3 ô cần sửa.');
    const msgs = Object.fromEntries(r.error!.details!.map((x) => [x.field, x.message]));
    expect(msgs).toMatchObject({ ethnicity: 'Dân tộc: bắt buộc nhập.', workplace: 'Nơi công tác: bắt buộc nhập.', gender: 'Giới tính: giá trị không hợp lệ.' });
    const central = await createCandidate(nec, w.electionId, dossierForm({ councilCode: w.communes.A, nominatedBy: 'central' }), true);
    expect(central.error!.details!.map((x) => x.code)).toContain('central_na_only');
    const unknown = await createCandidate(nec, w.electionId, dossierForm({ councilCode: '99999' }), true);
    expect(unknown.status).toBe(400);
    expect(unknown.error!.details![0].message).toBe('Mã đơn vị hành chính: không có đơn vị hành chính mã «99999» ở cấp này.');
    // A commune official naming a council that does not exist is simply refused (403), like any node outside its scope.
    expect((await createCandidate(communeA, w.electionId, dossierForm({ councilCode: '99999' }), true)).status).toBe(403);
    const unknownField = await communeA.post(`/elections/${w.electionId}/candidates`, { ...dossierForm({ councilCode: w.communes.A }), salary: '1' }, JSON_ACCEPT);
    expect(unknownField.status).toBe(400);
    expect(await count()).toBe(before);
  });

  it('a browser whose form is refused gets the form back with what was typed and each message linked to its field', async () => {
    const res = await communeA.post(`/elections/${w.electionId}/candidates`, dossierForm({ councilCode: w.communes.A, fullName: 'Tô Thị Gõ Lại', dateOfBirth: '16/03/2005', ethnicity: '' }));
    expect(res.status).toBe(400);
    const html = await res.text();
    expect(html).toContain('Hồ sơ chưa lưu: có 2 ô cần sửa.');
    expect(html).toContain('value="Tô Thị Gõ Lại"');
    expect(html).toContain('<a href="#f-eth">Dân tộc: bắt buộc nhập.</a>');
    expect(html).toMatch(/<a href="#f-dob">Ngày sinh: người ứng cử mới 20 tuổi/);
  });

  it('the form page and the dossier page render in Vietnamese', async () => {
    const form = await communeA.get(`/elections/${w.electionId}/candidates/new?contest=commune-council`);
    expect(form.status).toBe(200);
    const html = await form.text();
    expect(html).toContain('Tiếp nhận hồ sơ ứng cử');
    expect(html).toContain(`value="${w.communes.A}"`);
    const r = await createCandidate(communeA, w.electionId, dossierForm({ councilCode: w.communes.A, fullName: 'Vũ Thị Trang Hiển Thị' }));
    const page = await communeA.text(`/elections/${w.electionId}/candidates/${r.id}`);
    expect(page).toContain('Vũ Thị Trang Hiển Thị');
    expect(page).toContain('Danh mục hồ sơ (quy tắc 19)');
  });
});

describe('edit with an optimistic version', () => {
  it('an edit with the current version saves (version + 1, history names the fields); a second edit with the old version is refused (409), nothing changed', async () => {
    const r = await createCandidate(communeA, w.electionId, dossierForm({ councilCode: w.communes.A, fullName: 'Hoàng Văn Sửa' }));
    const [{ version }] = await sql<{ version: number }>(em(), `select version from candidate where id = ?`, [r.id]);
    const edit = (v: number, o: Record<string, string>) => {
      const f = dossierForm(o);
      delete f.contest;
      return communeA.post(`/elections/${w.electionId}/candidates/${r.id}`, { ...f, version: String(v) }, JSON_ACCEPT);
    };
    const first = await edit(version, { fullName: 'Hoàng Văn Sửa', occupation: 'Giáo viên', idNumber: '079185000099' });
    expect(first.status).toBe(303);
    const stale = await edit(version, { fullName: 'Hoàng Văn Sửa', occupation: 'Kỹ sư' });
    expect(stale.status).toBe(409);
    expect(((await stale.json()) as { error: { message: string } }).error.message).toContain('vừa được người khác sửa');
    const [c] = await sql(em(), `select occupation, version, id_number from candidate where id = ?`, [r.id]);
    expect(c).toEqual({ occupation: 'Giáo viên', version: version + 1, id_number: '079185000099' });
    const [ev] = await sql(em(), `select data from candidate_event where candidate_id = ? and kind = 'edited'`, [r.id]);
    expect(ev.data.fields).toEqual(expect.arrayContaining(['occupation', 'idNumber']));
    // The audit records which personal fields changed, never their values.
    const audits = await sql(em(), `select after from audit_event where action = 'core.candidates.edit' and target_id = ? and result = 'success'`, [r.id]);
    expect(audits).toHaveLength(1);
    expect(JSON.stringify(audits[0].after)).not.toContain('079185000099');
    expect(audits[0].after.personalChanged).toEqual(['id_number']);
  });

  it('each create writes exactly one audit event', async () => {
    const before = (await sql<{ n: number }>(em(), `select count(*)::int as n from audit_event where action = 'core.candidates.create'`))[0].n;
    await createCandidate(communeA, w.electionId, dossierForm({ councilCode: w.communes.A, fullName: 'Mai Văn Một Lần' }));
    const after = (await sql<{ n: number }>(em(), `select count(*)::int as n from audit_event where action = 'core.candidates.create'`))[0].n;
    expect(after - before).toBe(1);
  });
});
