// Consultation (hiệp thương) through HTTP on the real app: round 1 records per nominating body, the round 2
// preliminary list, voter conferences with the rule 24 percentage, round 3, and withdrawals / removals / drops that
// require a reason — each move audited once, refused moves change nothing, the history and the board show them.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import type { TestClient } from '../helpers/client.js';
import { sql } from '../../core/persistence/db.js';
import { candidateWorld, createCandidate, dossierForm, signedIn, HANOI, JSON_ACCEPT, type CandidateWorld } from '../helpers/candidates.js';

let w: CandidateWorld;
let communeA: TestClient;
let communeB: TestClient;
let hanoi: TestClient;
const ids: Record<string, string> = {};
const em = () => w.app.orm.em.fork();
const board = () => `/elections/${w.electionId}/consultation/commune-council/${w.communes.A}`;
const move = (c: TestClient, who: string, m: string, reason?: string) =>
  c.post(`/elections/${w.electionId}/candidates/${ids[who]}/status`, { move: m, ...(reason !== undefined ? { reason } : {}) }, JSON_ACCEPT);
const statusOf = async (who: string) => (await sql(em(), `select status, status_reason from candidate where id = ?`, [ids[who]]))[0];
const errorOf = async (r: Response) => ((await r.json()) as { error: { code: string; message: string; details?: { field: string; message: string }[] } }).error;

beforeAll(async () => {
  w = await candidateWorld('cand_cons');
  communeA = await signedIn(w.app, 'commune-official', 'commune', w.communes.A);
  communeB = await signedIn(w.app, 'commune-official', 'commune', w.communes.B);
  hanoi = await signedIn(w.app, 'province-official', 'province', HANOI);
  for (const [k, name] of [['an', 'Bùi Văn An'], ['binh', 'Bùi Thị Bình'], ['cuong', 'Bùi Văn Cường'], ['dung', 'Bùi Thị Dung']]) {
    ids[k] = (await createCandidate(communeA, w.electionId, dossierForm({ councilCode: w.communes.A, fullName: name })))!.id!;
  }
}, 120_000);

afterAll(async () => {
  await w?.app.close();
});

describe('round 1: structure, composition and number of nominees per nominating body', () => {
  it('a round 1 record needs the nominating body and the number (Vietnamese messages, nothing written); a complete one is listed on the board', async () => {
    const url = `${board()}/rounds`;
    const bad = await communeA.post(url, { round: '1', heldOn: '05/12/2025', nominees: 'ba' }, JSON_ACCEPT);
    expect(bad.status).toBe(400);
    const msgs = (await errorOf(bad)).details!.map((x) => x.message);
    expect(msgs).toEqual(expect.arrayContaining(['Số người được giới thiệu: phải là số nguyên không âm.', 'Cơ quan, tổ chức giới thiệu: bắt buộc nhập.']));
    const late = await communeA.post(url, { round: '1', heldOn: '2026-03-15', nominatingBody: 'Ủy ban nhân dân xã', nominees: '3' }, JSON_ACCEPT);
    expect((await errorOf(late)).details![0].message).toBe('Ngày tổ chức: hội nghị phải diễn ra trước ngày bầu cử.');
    expect((await sql(em(), `select count(*)::int as n from consultation_round`))[0].n).toBe(0);
    expect((await communeA.post(url, { round: '1', heldOn: '05/12/2025', nominatingBody: 'Ủy ban nhân dân xã', composition: '1 nữ, 1 trẻ', nominees: '3' })).status).toBe(303);
    expect((await communeA.post(url, { round: '1', heldOn: '05/12/2025', nominatingBody: 'Hội Liên hiệp Phụ nữ xã', nominees: '2' })).status).toBe(303);
    const html = await communeA.text(board());
    expect(html).toContain('2 cơ quan, tổ chức được phân bổ 5 người; đã nhận 4 hồ sơ.');
    expect(html).toContain('Hội Liên hiệp Phụ nữ xã');
  });

  it('another commune cannot record a round for this council (403, audited), nor a province elsewhere', async () => {
    expect((await communeB.post(`${board()}/rounds`, { round: '2', heldOn: '02/02/2026' }, JSON_ACCEPT)).status).toBe(403);
    expect((await hanoi.post(`${board()}/rounds`, { round: '2', heldOn: '02/02/2026' }, JSON_ACCEPT)).status).toBe(403);
    expect((await hanoi.get(board())).status).toBe(403);
    const [a] = await sql(em(), `select count(*)::int as n from audit_event where action = 'core.candidates.round' and result = 'denied'`);
    expect(a.n).toBe(2);
  });
});

describe('rounds 2 and 3, voter conferences, withdrawals', () => {
  it('round 2: nominated → preliminary; round 3 refused before round 2 (409, nothing changed)', async () => {
    const early = await move(communeA, 'an', 'qualified');
    expect(early.status).toBe(409);
    expect((await errorOf(early)).message).toBe('Trạng thái: Bùi Văn An đang «Được giới thiệu / tự ứng cử», không chuyển sang «Đủ tiêu chuẩn» được.');
    for (const k of ['an', 'binh', 'cuong']) expect((await move(communeA, k, 'preliminary')).status).toBe(303);
    expect(await statusOf('an')).toEqual({ status: 'preliminary', status_reason: null });
  });

  it('dropping, withdrawing or removing needs a reason (Vietnamese message naming the field, nothing changed)', async () => {
    for (const m of ['not-qualified', 'withdrawn', 'removed']) {
      const r = await move(communeA, 'dung', m, ' ');
      expect(r.status).toBe(400);
      expect((await errorOf(r)).details![0]).toMatchObject({ field: 'reason', message: 'Lý do: bắt buộc ghi lý do.' });
    }
    expect(await statusOf('dung')).toEqual({ status: 'nominated', status_reason: null });
  });

  it('voter conferences: figures checked (attending ≤ invited, confidence ≤ attending), the confidence percentage per rule 24 (2 decimals, half-up)', async () => {
    const url = `/elections/${w.electionId}/candidates/${ids.an}/conferences`;
    const bad = await communeA.post(url, { kind: 'residence', heldOn: '05/02/2026', invited: '80', attending: '90', confidence: '95' }, JSON_ACCEPT);
    expect(bad.status).toBe(400);
    expect((await errorOf(bad)).details!.map((x) => x.message)).toEqual([
      'Số cử tri có mặt: số cử tri có mặt (90) lớn hơn số được mời (80).',
      'Số cử tri tín nhiệm: số cử tri tín nhiệm (95) lớn hơn số có mặt (90).',
    ]);
    expect((await sql(em(), `select count(*)::int as n from voter_conference`))[0].n).toBe(0);
    // 60 of 90 attending = 66.666… % → 66.67 (half-up); 45 of 91 = 49.45 % (no majority, shown, not blocking).
    expect((await communeA.post(url, { kind: 'workplace', heldOn: '10/01/2026', invited: '100', attending: '90', confidence: '60' })).status).toBe(303);
    expect((await communeA.post(`/elections/${w.electionId}/candidates/${ids.binh}/conferences`, { kind: 'residence', heldOn: '2026-02-05', invited: '120', attending: '91', confidence: '45' })).status).toBe(303);
    const page = await communeA.text(`/elections/${w.electionId}/candidates/${ids.an}`);
    expect(page).toContain('66,67%');
    const b = await communeA.text(board());
    expect(b).toContain('60/90 (66,67%)');
    expect(b).toContain('45/91 (49,45%)');
    expect(b).toContain('2 hội nghị cử tri đã tổ chức');
  });

  it('round 3: preliminary → qualified or not qualified (with its reason); a withdrawal with its reason; the board counts and the history show them', async () => {
    expect((await move(communeA, 'an', 'qualified')).status).toBe(303);
    expect((await move(communeA, 'binh', 'not-qualified', 'Tỷ lệ tín nhiệm nơi cư trú dưới 50%')).status).toBe(303);
    expect((await move(communeA, 'cuong', 'withdrawn', 'Xin rút vì lý do sức khỏe')).status).toBe(303);
    expect(await statusOf('binh')).toEqual({ status: 'not-qualified', status_reason: 'Tỷ lệ tín nhiệm nơi cư trú dưới 50%' });
    // A finished candidacy does not move on.
    expect((await move(communeA, 'cuong', 'qualified')).status).toBe(409);
    const hist = await sql(em(), `select kind, from_status, to_status, reason, data from candidate_event where candidate_id = ? order by id`, [ids.binh]);
    expect(hist.map((h) => [h.kind, h.from_status, h.to_status, h.reason])).toEqual([
      ['created', null, 'nominated', null],
      ['preliminary', 'nominated', 'preliminary', null],
      ['conference', null, null, null],
      ['not-qualified', 'preliminary', 'not-qualified', 'Tỷ lệ tín nhiệm nơi cư trú dưới 50%'],
    ]);
    expect(hist[1].data).toEqual({ round: 2 });
    const page = await communeA.text(`/elections/${w.electionId}/candidates/${ids.binh}`);
    expect(page).toContain('Tỷ lệ tín nhiệm nơi cư trú dưới 50%');
    expect(page).toContain('Hiệp thương vòng 2');
    const b = await communeA.text(board());
    expect(b).toContain('1 người đủ tiêu chuẩn; 0 người chờ vòng 3');
    expect(b).toContain('1 người vào danh sách sơ bộ; 1 người chờ hiệp thương vòng 2.');
  });

  it('every successful move was audited once by the acting official, refused ones as rejected', async () => {
    const rows = await sql<{ result: string; n: number }>(em(), `select result, count(*)::int as n from audit_event where action = 'core.candidates.status' group by result order by result`);
    const by = Object.fromEntries(rows.map((r) => [r.result, r.n]));
    expect(by.success).toBe(6);
    expect(by.rejected).toBe(5);
    const events = (await sql<{ n: number }>(em(), `select count(*)::int as n from candidate_event where kind in ('preliminary', 'qualified', 'not-qualified', 'withdrawn', 'removed')`))[0].n;
    expect(events).toBe(6);
  });

  it('another commune official cannot move this council\'s candidates (403, nothing changed)', async () => {
    expect((await move(communeB, 'dung', 'preliminary')).status).toBe(403);
    expect(await statusOf('dung')).toEqual({ status: 'nominated', status_reason: null });
  });
});
