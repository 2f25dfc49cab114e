// Dossier documents through HTTP on the real app and the file store: uploads checked by their bytes (a PNG renamed
// .pdf refused, nothing written, the refusal audited), rule 19 (the checklist per contest — councils 1 set, NA 2 sets
// — and "complete" refused while a document is missing), the dossier status machine (returned needs a reason),
// attachments only to authorised users (asset declaration only with personal data), and rule 20 (a person standing
// for a third body is flagged on the dossier and in the list).
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { PNG } from 'pngjs';
import jpeg from 'jpeg-js';
import type { TestClient } from '../helpers/client.js';
import { sql } from '../../core/persistence/db.js';
import { candidateWorld, createCandidate, dossierForm, signedIn, uploadDocument, HCMC, JSON_ACCEPT, PDF_BYTES, type CandidateWorld } from '../helpers/candidates.js';

let w: CandidateWorld;
let nec: TestClient;
let communeA: TestClient;
let communeB: TestClient;
let observer: TestClient;
const em = () => w.app.orm.em.fork();

const png = (() => {
  const p = new PNG({ width: 40, height: 60 });
  p.data.fill(180);
  return PNG.sync.write(p);
})();
const jpg = Buffer.from(jpeg.encode({ data: Buffer.alloc(40 * 60 * 4, 120), width: 40, height: 60 }, 80).data);

beforeAll(async () => {
  w = await candidateWorld('cand_docs');
  nec = await signedIn(w.app, 'nec-official', 'nation', 'VN');
  communeA = await signedIn(w.app, 'commune-official', 'commune', w.communes.A);
  communeB = await signedIn(w.app, 'commune-official', 'commune', w.communes.B);
  observer = await signedIn(w.app, 'observer', 'province', HCMC);
}, 120_000);

afterAll(async () => {
  await w?.app.close();
});

const docCount = async (id: string) => (await sql<{ n: number }>(em(), `select count(*)::int as n from candidate_document where candidate_id = ?`, [id]))[0].n;
const dossierMove = (c: TestClient, cid: string, to: string, reason?: string) =>
  c.post(`/elections/${w.electionId}/candidates/${cid}/dossier`, { to, ...(reason !== undefined ? { reason } : {}) }, JSON_ACCEPT);

describe('uploads are checked by their bytes', () => {
  it('a PNG renamed .pdf is refused (415, FILE_TYPE_MISMATCH, Vietnamese message), nothing written, the refusal audited', async () => {
    const { id } = await createCandidate(communeA, w.electionId, dossierForm({ councilCode: w.communes.A, fullName: 'Ngô Văn Tệp Giả' }));
    const files = (await sql<{ n: number }>(em(), `select count(*)::int as n from stored_file`))[0].n;
    const res = await uploadDocument(communeA, w.electionId, id!, { kind: 'application', fileName: 'don-ung-cu.pdf', bytes: png, json: true });
    expect(res.status).toBe(415);
    const body = (await res.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('FILE_TYPE_MISMATCH');
    expect(body.error.message).toMatch(/PDF|PNG/);
    expect(await docCount(id!)).toBe(0);
    expect((await sql<{ n: number }>(em(), `select count(*)::int as n from stored_file`))[0].n).toBe(files);
    const [a] = await sql(em(), `select result from audit_event where action = 'core.candidates.document.upload' and target_id = ? order by seq desc limit 1`, [id]);
    expect(a.result).toBe('rejected');
  });

  it('a real PDF, PNG and JPEG are stored and listed on the dossier page; a download is an attachment', async () => {
    const { id } = await createCandidate(communeA, w.electionId, dossierForm({ councilCode: w.communes.A, fullName: 'Ngô Văn Tệp Thật' }));
    expect((await uploadDocument(communeA, w.electionId, id!, { kind: 'application', fileName: 'đơn ứng cử.pdf', bytes: PDF_BYTES })).status).toBe(303);
    expect((await uploadDocument(communeA, w.electionId, id!, { kind: 'photo', fileName: 'anh.png', bytes: png })).status).toBe(303);
    expect((await uploadDocument(communeA, w.electionId, id!, { kind: 'photo', fileName: 'anh.jpg', bytes: jpg })).status).toBe(303);
    expect(await docCount(id!)).toBe(3);
    const html = await communeA.text(`/elections/${w.electionId}/candidates/${id}`);
    expect(html).toContain('đơn ứng cử.pdf');
    const [doc] = await sql<{ id: string }>(em(), `select id from candidate_document where candidate_id = ? and kind = 'application'`, [id]);
    const res = await communeA.get(`/elections/${w.electionId}/candidates/${id}/documents/${doc.id}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-disposition')).toMatch(/^attachment/);
    expect(Buffer.from(await res.arrayBuffer()).subarray(0, 5).toString()).toBe('%PDF-');
  });
});

describe('rule 19: dossier checklist and status', () => {
  async function fileAll(c: TestClient, id: string, sets: number) {
    for (let s = 1; s <= sets; s++) {
      for (const kind of ['application', 'cv', 'biography', 'asset-declaration']) {
        expect((await uploadDocument(c, w.electionId, id, { kind, setNo: s, fileName: `${kind}-${s}.pdf`, bytes: PDF_BYTES })).status).toBe(303);
      }
      for (let k = 0; k < 2; k++) expect((await uploadDocument(c, w.electionId, id, { kind: 'photo', setNo: s, fileName: `anh-${s}-${k}.png`, bytes: png })).status).toBe(303);
    }
  }

  it('rule 19: a commune-council dossier (1 set) is complete with application, CV, biography, asset declaration and 2 photos; "complete" is refused before', async () => {
    const { id } = await createCandidate(communeA, w.electionId, dossierForm({ councilCode: w.communes.A, fullName: 'Đinh Thị Đủ Hồ Sơ' }));
    const early = await dossierMove(communeA, id!, 'complete');
    expect(early.status).toBe(409);
    const e = ((await early.json()) as { error: { code: string; details: { code: string; message: string }[] } }).error;
    expect(e.code).toBe('DOSSIER_INCOMPLETE');
    expect(e.details.map((x) => x.code)).toEqual(Array(5).fill('DOSSIER_DOCUMENT_MISSING'));
    expect(e.details[0].message).toBe('Hồ sơ ứng cử: thiếu Đơn ứng cử 05/HĐBC-HĐND — cần 1, mới nộp 0 (quy tắc 19).'.replace('05/HĐBC-HĐND', (await formOf('commune-council')).application));
    await fileAll(communeA, id!, 1);
    expect((await dossierMove(communeA, id!, 'complete')).status).toBe(303);
    expect((await dossierMove(communeA, id!, 'accepted')).status).toBe(303);
    const [c] = await sql(em(), `select dossier_status from candidate where id = ?`, [id]);
    expect(c.dossier_status).toBe('accepted');
  });

  it('rule 19: an NA dossier needs 2 sets — one full set is not enough (application 1 of 2, photos 2 of 4)', async () => {
    const { id } = await createCandidate(nec, w.electionId, dossierForm({ contest: 'national-assembly', nominatedBy: 'local', councilCode: HCMC, fullName: 'Đinh Văn Hai Bộ' }));
    await fileAll(nec, id!, 1);
    const res = await dossierMove(nec, id!, 'complete');
    expect(res.status).toBe(409);
    const e = ((await res.json()) as { error: { details: { field: string; message: string }[] } }).error;
    const byField = Object.fromEntries(e.details.map((x) => [x.field, x.message]));
    expect(byField['documents.application']).toContain('cần 2, mới nộp 1');
    expect(byField['documents.photo']).toContain('cần 4, mới nộp 2');
    // A third set does not exist for the NA.
    const third = await uploadDocument(nec, w.electionId, id!, { kind: 'cv', setNo: 3, fileName: 'cv.pdf', bytes: PDF_BYTES, json: true });
    expect(third.status).toBe(400);
    await fileAll(nec, id!, 2);
    expect((await dossierMove(nec, id!, 'complete')).status).toBe(303);
  });

  it('returning a dossier needs a reason (Vietnamese message, nothing changed); with one it is recorded in the history', async () => {
    const { id } = await createCandidate(communeA, w.electionId, dossierForm({ councilCode: w.communes.A, fullName: 'Đinh Văn Trả Lại' }));
    const bare = await dossierMove(communeA, id!, 'returned', '  ');
    expect(bare.status).toBe(400);
    expect(((await bare.json()) as { error: { details: { message: string }[] } }).error.details[0].message).toBe('Lý do: bắt buộc ghi lý do.');
    expect((await sql(em(), `select dossier_status from candidate where id = ?`, [id]))[0].dossier_status).toBe('received');
    expect((await dossierMove(communeA, id!, 'returned', 'Thiếu bản kê khai tài sản')).status).toBe(303);
    const ev = await sql(em(), `select kind, from_status, to_status, reason from candidate_event where candidate_id = ? and kind = 'dossier'`, [id]);
    expect(ev).toEqual([{ kind: 'dossier', from_status: 'received', to_status: 'returned', reason: 'Thiếu bản kê khai tài sản' }]);
    expect((await dossierMove(communeA, id!, 'accepted')).status).toBe(409);
  });
});

describe('attachments only to authorised users', () => {
  it('the asset declaration is refused to an observer (403, audited) and hidden from the page; another commune gets 403 for any document; anonymous is sent to sign in', async () => {
    const { id } = await createCandidate(communeA, w.electionId, dossierForm({ councilCode: w.communes.A, fullName: 'Lý Thị Tài Sản' }));
    await uploadDocument(communeA, w.electionId, id!, { kind: 'asset-declaration', fileName: 'ke-khai.pdf', bytes: PDF_BYTES });
    await uploadDocument(communeA, w.electionId, id!, { kind: 'cv', fileName: 'so-yeu-ly-lich.pdf', bytes: PDF_BYTES });
    const docs = Object.fromEntries((await sql<{ id: string; kind: string }>(em(), `select id, kind from candidate_document where candidate_id = ?`, [id])).map((d) => [d.kind, d.id]));
    const url = (k: string) => `/elections/${w.electionId}/candidates/${id}/documents/${docs[k]}`;
    expect((await communeA.get(url('asset-declaration'))).status).toBe(200);
    expect((await observer.get(url('asset-declaration'))).status).toBe(403);
    expect((await observer.get(url('cv'))).status).toBe(200);
    expect((await communeB.get(url('cv'))).status).toBe(403);
    expect((await communeB.get(url('asset-declaration'))).status).toBe(403);
    const anon = await (await import('../helpers/client.js')).TestClient.prototype.get.call(new (await import('../helpers/client.js')).TestClient(w.app.url), url('cv'));
    expect(anon.status).toBe(303);
    const page = await observer.text(`/elections/${w.electionId}/candidates/${id}`);
    expect(page).not.toContain('ke-khai.pdf');
    expect(page).toContain('so-yeu-ly-lich.pdf');
    const denied = await sql(em(), `select count(*)::int as n from audit_event where result = 'denied' and action = 'core.candidates.personal-data'`);
    expect(denied[0].n).toBeGreaterThan(0);
    // Uploading an asset declaration also needs the personal-data permission: a system administrator may manage but not that.
    const admin = await signedIn(w.app, 'system-admin', 'nation', 'VN');
    expect((await uploadDocument(admin, w.electionId, id!, { kind: 'asset-declaration', fileName: 'x.pdf', bytes: PDF_BYTES, json: true })).status).toBe(403);
    expect((await uploadDocument(admin, w.electionId, id!, { kind: 'other', fileName: 'x.pdf', bytes: PDF_BYTES })).status).toBe(303);
  });
});

describe('rule 20: at most two bodies', () => {
  it('rule 20: the same person (name + date of birth) standing for NA, province and commune council → warning on the dossier and in the list; two bodies → none', async () => {
    const person = { fullName: 'Quách Thị Ba Nơi', dateOfBirth: '02/09/1975', idNumber: '' };
    const na = await createCandidate(nec, w.electionId, dossierForm({ ...person, contest: 'national-assembly', nominatedBy: 'local', councilCode: HCMC }));
    const prov = await createCandidate(nec, w.electionId, dossierForm({ ...person, contest: 'provincial-council', councilCode: HCMC }));
    let page = await nec.text(`/elections/${w.electionId}/candidates/${na.id}`);
    expect(page).not.toContain('quy tắc 20');
    const commune = await createCandidate(communeA, w.electionId, dossierForm({ ...person, councilCode: w.communes.A }));
    page = await nec.text(`/elections/${w.electionId}/candidates/${prov.id}`);
    expect(page).toContain('Quách Thị Ba Nơi đang ứng cử 3 cơ quan dân cử cùng lúc');
    const list = await nec.text(`/elections/${w.electionId}/candidates?q=quach thi ba noi`);
    expect(list.match(/ứng cử quá 2 cơ quan/g)).toHaveLength(3);
    // The commune official sees its own candidate flagged too (the rule looks at the whole election).
    expect(await communeA.text(`/elections/${w.electionId}/candidates/${commune.id}`)).toContain('quy tắc 20');
  });
});

async function formOf(contest: string) {
  const { PluginRegistry } = await import('../../core/plugin-host/registry.js');
  const { INSTALLED_PLUGINS } = await import('../../core/kernel/plugins.js');
  return PluginRegistry.build(INSTALLED_PLUGINS).contestType(contest)!.dossierForms;
}
