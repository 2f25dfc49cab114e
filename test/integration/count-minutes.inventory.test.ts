// Rule 23, the ballot-paper inventory of a polling area (received from the board = issued + unused + spoiled), through
// HTTP on the real app: the identity holding → saved and stored on the version; off by one either way → refused (F211)
// naming the fields and the difference, nothing written; the contest setting `<plugin>.ballot-inventory` per election
// (optional by default, required → F104 per missing field, off → not checked; set through the plugins page's settings form); bad input refused like any count; the
// double entry (a differing inventory field is a difference, returned and re-entered alone); corrections; the form
// path, the live check, the comparison page and the API's GET and OpenAPI description.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/test-app.js';
import { CONTEST, buildWorld, expectVietnamese, goodMinutes, insertArea, signed, submit, tableCounts, type Signed, type World } from '../helpers/count-minutes.js';
import { sql } from '../../core/persistence/db.js';

let app: TestApp;
let optional: World;
let required: World;
let off: World;
let typist1: Signed;
let typist2: Signed;
let coordinator: Signed;
let approver: Signed;
let areaN = 0;
const em = () => app.orm.em.fork();
const newArea = (w: World = optional) => insertArea(em(), w, w.commune, ++areaN, w.unitId);
const base = (w: World = optional) => `/elections/${w.electionId}/count-minutes`;

/** goodMinutes (900 issued) with an inventory: 1,000 from the board = 900 issued + 96 unused + 4 spoiled. */
const inventory = (o: Record<string, unknown> = {}) => ({ ballotsFromBoard: 1000, ballotsUnused: 96, ballotsSpoiled: 4, ...o });
const withInventory = (w: World, o: Record<string, unknown> = {}) => goodMinutes(w, inventory(o));

/** Sets the election's rule 23 setting as an administrator does: the contest's settings form on the plugins page. */
async function setMode(w: World, mode: string): Promise<void> {
  const admin = await signed(app, 'system-admin', 'nation', 'VN');
  const res = await admin.client.post(`/elections/${w.electionId}/plugins/${CONTEST}/settings`, { [`${CONTEST}.ballot-inventory`]: mode });
  expect(res.status).toBe(303);
}

async function form(s: Signed, path: string, body: Record<string, string>) {
  const res = await s.client.post(path, body, { headers: { accept: 'application/json' } });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

type Detail = { code: string; field: string; message: string; params?: Record<string, unknown> };
const details = (r: { body: any }): Detail[] => r.body?.error?.details ?? [];

async function acceptedVersion(minutesId: string) {
  const [v] = await sql<{ ballots_from_board: number | null; ballots_unused: number | null; ballots_spoiled: number | null; voters_total: number }>(em(),
    `select v.ballots_from_board, v.ballots_unused, v.ballots_spoiled, v.voters_total from count_minutes m join count_minutes_version v on v.id = m.accepted_version_id where m.id = ?`, [minutesId]);
  return v;
}

beforeAll(async () => {
  app = await startTestApp('cm_inventory');
  optional = await buildWorld(app);
  required = await buildWorld(app);
  off = await buildWorld(app);
  await setMode(required, 'required');
  await setMode(off, 'off');
  typist1 = await signed(app, 'commune-official', 'commune', optional.commune);
  typist2 = await signed(app, 'commune-official', 'commune', optional.commune);
  coordinator = await signed(app, 'commune-official', 'commune', optional.commune);
  approver = await signed(app, 'commune-official', 'commune', optional.commune);
});

afterAll(async () => {
  await app?.close();
});

describe('rule 23 — the identity, default setting (optional)', () => {
  it('rule 23: identity holds → saved; both entries agree → accepted with the inventory on the version', async () => {
    const area = await newArea();
    const a = await submit(typist1, optional, area, withInventory(optional));
    expect(a.status, JSON.stringify(a.body)).toBe(201);
    const [entry] = await sql<{ data: Record<string, unknown> }>(em(), `select data from count_minutes_entry where minutes_id = ?`, [a.body.minutesId]);
    expect(entry.data).toMatchObject(inventory());
    const b = await submit(typist2, optional, area, withInventory(optional));
    expect(b.body.status, JSON.stringify(b.body)).toBe('accepted');
    expect(await acceptedVersion(b.body.minutesId)).toMatchObject({ ballots_from_board: 1000, ballots_unused: 96, ballots_spoiled: 4 });
  });

  for (const [label, delta] of [['one more from the board than accounted for', 1], ['one fewer from the board than accounted for', -1]] as const) {
    it(`rule 23: ${label} → refused (F211) with the fields and the difference named, nothing written`, async () => {
      const before = await tableCounts(app);
      const r = await submit(typist1, optional, await newArea(), withInventory(optional, { ballotsFromBoard: 1000 + delta }));
      expect(r.status, JSON.stringify(r.body)).toBe(400);
      expect(r.body.error.code).toBe('RULE_ERRORS');
      const f = details(r).find((d) => d.code === 'F211')!;
      expect(f.field).toBe('ballotsFromBoard');
      expectVietnamese(f.message);
      expect(f.message).toContain(`số phiếu nhận từ Ban bầu cử (${delta > 0 ? '1.001' : '999'})`); // grouped as in Vietnamese
      expect(f.message).toContain('số phiếu phát ra (900)');
      expect(f.message).toContain('số phiếu không sử dụng (96)');
      expect(f.message).toContain('số phiếu hỏng đã đổi (4)');
      expect(f.message).toContain(`chênh lệch ${delta}`);
      expect(f.params).toMatchObject({ fromBoard: 1000 + delta, issued: 900, unused: 96, spoiled: 4, sum: 1000, difference: delta, fields: 'ballotsFromBoard,ballotsIssued,ballotsUnused,ballotsSpoiled' });
      expect(await tableCounts(app)).toEqual(before);
    });
  }

  for (const [field, value] of [['ballotsUnused', 97], ['ballotsUnused', 95], ['ballotsSpoiled', 5], ['ballotsSpoiled', 3]] as const) {
    it(`rule 23: ${field} off by ${value > (field === 'ballotsUnused' ? 96 : 4) ? 'one up' : 'one down'} → refused (F211), nothing written`, async () => {
      const before = await tableCounts(app);
      const r = await submit(typist1, optional, await newArea(), withInventory(optional, { [field]: value }));
      expect(r.status).toBe(400);
      const f = details(r).find((d) => d.code === 'F211')!;
      expect(String(f.params?.fields)).toContain(field);
      expect(f.params?.difference).toBe(field === 'ballotsUnused' ? 96 - value : 4 - value);
      expect(await tableCounts(app)).toEqual(before);
    });
  }

  it('rule 23: issued is part of the identity — issued off by one with the inventory unchanged → F211', async () => {
    // 901 issued (and received, voted) while the inventory still sums to 1,000 with 900 issued.
    const r = await submit(typist1, optional, await newArea(), withInventory(optional, {
      votersVoted: 901, ballotsIssued: 901, ballotsReceived: 901, ballotsInvalid: 21,
    }));
    expect(r.status).toBe(400);
    expect(details(r).map((d) => d.code)).toEqual(['F211']);
    expect(details(r)[0].params).toMatchObject({ sum: 1001, difference: -1 });
  });

  it('rule 23 optional: no inventory, or only part of it → saved without the check', async () => {
    expect((await submit(typist1, optional, await newArea(), goodMinutes(optional))).status).toBe(201);
    const part = await submit(typist1, optional, await newArea(), goodMinutes(optional, { ballotsFromBoard: 7 }));
    expect(part.status, JSON.stringify(part.body)).toBe(201);
  });

  it('rule 23: inventory counts are parsed like every count — the same bad-input messages naming the field, nothing written', async () => {
    const before = await tableCounts(app);
    for (const [value, code] of [[-1, 'NEGATIVE'], [1.5, 'NOT_INTEGER'], ['mười', 'NOT_A_NUMBER'], [10_000_001, 'TOO_LARGE']] as const) {
      const r = await submit(typist1, optional, await newArea(), withInventory(optional, { ballotsSpoiled: value }));
      expect(r.status).toBe(400);
      expect(r.body.error.code).toBe('INPUT_INVALID');
      const [d] = details(r);
      expect(d).toMatchObject({ field: 'ballotsSpoiled', code });
      expect(d.message).toContain('Số phiếu hỏng đã đổi (đã niêm phong)');
    }
    expect(await tableCounts(app)).toEqual(before);
  });
});

describe('rule 23 — the per-election setting', () => {
  it('rule 23 required: a missing inventory field → refused (F104) naming each missing field, nothing written', async () => {
    const before = await tableCounts(app);
    const none = await submit(typist1, required, await newArea(required), goodMinutes(required));
    expect(none.status).toBe(400);
    expect(details(none).filter((d) => d.code === 'F104').map((d) => d.field)).toEqual(['ballotsFromBoard', 'ballotsUnused', 'ballotsSpoiled']);
    const one = await submit(typist1, required, await newArea(required), withInventory(required, { ballotsUnused: null }));
    expect(one.status).toBe(400);
    const [d] = details(one);
    expect(d).toMatchObject({ code: 'F104', field: 'ballotsUnused' });
    expectVietnamese(d.message);
    expect(d.message).toContain('Số phiếu không sử dụng (đã niêm phong)');
    expect(await tableCounts(app)).toEqual(before);
  });

  it('rule 23 required: all three given and the identity holding → saved; off by one → F211', async () => {
    expect((await submit(typist1, required, await newArea(required), withInventory(required))).status).toBe(201);
    const r = await submit(typist1, required, await newArea(required), withInventory(required, { ballotsSpoiled: 5 }));
    expect(details(r).map((d) => d.code)).toEqual(['F211']);
  });

  it('rule 23 off: the inventory is not checked (an unbalanced one is saved as typed)', async () => {
    const area = await newArea(off);
    const r = await submit(typist1, off, area, withInventory(off, { ballotsFromBoard: 1234 }));
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    const [entry] = await sql<{ data: Record<string, unknown> }>(em(), `select data from count_minutes_entry where minutes_id = ?`, [r.body.minutesId]);
    expect(entry.data.ballotsFromBoard).toBe(1234);
    expect((await submit(typist1, off, await newArea(off), goodMinutes(off))).status).toBe(201);
  });

  it('rule 23: the GET API tells machine clients the setting; the OpenAPI description lists the fields', async () => {
    for (const [w, mode] of [[optional, 'optional'], [required, 'required'], [off, 'off']] as const) {
      const res = await typist1.client.get(`/api/v1/elections/${w.electionId}/count-minutes/${await newArea(w)}/${CONTEST}`, { accept: 'application/json' });
      expect((await res.json()).ballotInventory).toBe(mode);
    }
    const spec = await (await typist1.client.get('/api/v1/openapi.json', { accept: 'application/json' })).json();
    const text = JSON.stringify(spec);
    for (const f of ['ballotsFromBoard', 'ballotsUnused', 'ballotsSpoiled', 'ballotInventory']) expect(text).toContain(f);
  });
});

describe('rule 23 — double entry, re-entry, corrections, pages', () => {
  async function differing(): Promise<{ area: string; minutesId: string }> {
    const area = await newArea();
    expect((await submit(typist1, optional, area, withInventory(optional))).status).toBe(201);
    // Entry 2 typed the unused and spoiled counts the other way round: 1,000 = 900 + 4 + 96 balances too.
    const b = await submit(typist2, optional, area, withInventory(optional, { ballotsUnused: 4, ballotsSpoiled: 96 }));
    expect(b.body.status, JSON.stringify(b.body)).toBe('differences');
    return { area, minutesId: b.body.minutesId };
  }

  it('rule 23: double entry with a differing inventory field → differences listing that field; the comparison shows it', async () => {
    const { minutesId } = await differing();
    const html = await coordinator.client.text(`${base()}/m/${minutesId}`);
    expect(html).toContain('2 ô khác nhau');
    const rows = html.match(/<tr class="cm-differs">.*?<\/tr>/gs) ?? [];
    expect(rows.length).toBe(2);
    expect(rows.join()).toContain('Số phiếu không sử dụng (đã niêm phong)');
    expect(rows.join()).toContain('Số phiếu hỏng đã đổi (đã niêm phong)');
    // The agreeing inventory field is a row too, not marked.
    expect(html).toContain('Số phiếu nhận từ Ban bầu cử');
    const r = await form(coordinator, `${base()}/m/${minutesId}/resolve`, { decision: 'return-2' });
    expect(r.status).toBe(200);
    expect(r.body.fields).toEqual(['ballotsUnused', 'ballotsSpoiled']);
  });

  it('rule 23: a returned inventory field is re-entered alone; the match is accepted with the inventory', async () => {
    const { area, minutesId } = await differing();
    await form(coordinator, `${base()}/m/${minutesId}/resolve`, { decision: 'return-2' });
    const page = await typist2.client.text(`${base()}/areas/${area}/${CONTEST}`);
    expect(page).toMatch(/cm-returned"? data-path="ballotsUnused"|cm-field cm-inline cm-returned" data-path="ballotsUnused"/);
    const [e] = await sql<{ rev: number }>(em(), `select rev from count_minutes_entry where minutes_id = ? and slot = 2`, [minutesId]);
    // Everything is sent again, but only the returned fields are taken (votersTotal 9999 and fromBoard 5 are ignored).
    const again = await submit(typist2, optional, area, withInventory(optional, { votersTotal: 9999, ballotsFromBoard: 5 }), { rev: e.rev });
    expect(again.status, JSON.stringify(again.body)).toBe(200);
    expect(again.body.status).toBe('accepted');
    expect(await acceptedVersion(minutesId)).toMatchObject({ voters_total: 1000, ballots_from_board: 1000, ballots_unused: 96, ballots_spoiled: 4 });
  });

  it('rule 23: a missing inventory on one side only is a difference too', async () => {
    const area = await newArea();
    await submit(typist1, optional, area, withInventory(optional));
    const b = await submit(typist2, optional, area, goodMinutes(optional));
    expect(b.body).toMatchObject({ status: 'differences' });
    const r = await form(coordinator, `${base()}/m/${b.body.minutesId}/resolve`, { decision: 'return-1' });
    expect(r.body.fields).toEqual(['ballotsFromBoard', 'ballotsUnused', 'ballotsSpoiled']);
  });

  it('rule 23: corrections carry the inventory, are checked by F211, and show it on the correction form', async () => {
    const area = await newArea();
    await submit(typist1, optional, area, withInventory(optional));
    const b = await submit(typist2, optional, area, withInventory(optional));
    const { minutesId, acceptedVersionId: versionId } = b.body;
    const correctPage = await coordinator.client.text(`${base()}/m/${minutesId}/correct`);
    expect(correctPage).toContain('Kiểm kê phiếu bầu');
    expect(correctPage).toMatch(/name="ballotsUnused" value="96"/);
    const f: Record<string, string> = {
      basedOn: versionId, reason: 'Kiểm phiếu lại theo yêu cầu của Ban bầu cử', reference: 'Biên bản kiểm kê số 4/BB ngày 16/3/2026',
      votersTotal: '1000', votersVoted: '900', ballotsIssued: '900', ballotsReceived: '900', ballotsValid: '880', ballotsInvalid: '20',
      'complaints.received': '0', 'complaints.resolved': '0', 'complaints.forwarded': '0', teamMembersPresent: '11',
      ballotsFromBoard: '1000', ballotsUnused: '95', ballotsSpoiled: '4',
    };
    [500, 450, 400, 380, 370].forEach((v, i) => (f[`votes.${optional.candidates[i]}`] = String(v)));
    const before = await tableCounts(app);
    const bad = await form(coordinator, `${base()}/m/${minutesId}/corrections`, f);
    expect(bad.status).toBe(400);
    expect(bad.body.error.details.map((d: Detail) => d.code)).toEqual(['F211']);
    expect(await tableCounts(app)).toEqual(before);
    const p = await form(coordinator, `${base()}/m/${minutesId}/corrections`, { ...f, ballotsSpoiled: '5' });
    expect(p.status, JSON.stringify(p.body)).toBe(201);
    const pending = await approver.client.text(`${base()}/m/${minutesId}`);
    expect((pending.match(/<tr class="cm-differs">.*?<\/tr>/gs) ?? []).join()).toContain('Số phiếu hỏng đã đổi');
    expect((await form(approver, `${base()}/m/${minutesId}/corrections/${p.body.versionId}/decide`, { decision: 'approve' })).status).toBe(200);
    expect(await acceptedVersion(minutesId)).toMatchObject({ ballots_from_board: 1000, ballots_unused: 95, ballots_spoiled: 5 });
  });

  it('rule 23: the entry form has the inventory fieldset (its mode explained) and the form path checks it', async () => {
    const area = await newArea();
    const page = await typist1.client.text(`${base()}/areas/${area}/${CONTEST}`);
    expect(page).toContain('<legend><h2>Kiểm kê phiếu bầu</h2></legend>');
    expect(page).toContain('Không bắt buộc.');
    // Keyboard order: the inventory comes after the team members present, before the note.
    const order = ['name="teamMembersPresent"', 'name="ballotsFromBoard"', 'name="ballotsUnused"', 'name="ballotsSpoiled"', 'name="note"'].map((s) => page.indexOf(s));
    expect(order.every((x, i) => x > 0 && (i === 0 || x > order[i - 1]))).toBe(true);
    expect(await typist1.client.text(`${base(required)}/areas/${await newArea(required)}/${CONTEST}`)).toContain('Bắt buộc với cuộc bầu cử này');
    expect(await typist1.client.text(`${base(off)}/areas/${await newArea(off)}/${CONTEST}`)).not.toContain('Kiểm kê phiếu bầu');
    // The HTML form: refused with the message beside the field, values kept as typed.
    const body: Record<string, string> = {
      votersTotal: '1000', votersVoted: '900', ballotsIssued: '900', ballotsReceived: '900', ballotsValid: '880', ballotsInvalid: '20',
      'complaints.received': '0', 'complaints.resolved': '0', 'complaints.forwarded': '0', teamMembersPresent: '11',
      ballotsFromBoard: '1001', ballotsUnused: '96', ballotsSpoiled: '4', submit: '1', rev: '0',
    };
    [500, 450, 400, 380, 370].forEach((v, i) => (body[`votes.${optional.candidates[i]}`] = String(v)));
    const res = await typist1.client.post(`${base()}/areas/${area}/${CONTEST}/entry`, body);
    expect(res.status).toBe(400);
    const html = await res.text();
    expect(html).toContain('cm-field cm-inline cm-invalid" data-path="ballotsFromBoard"');
    expect(html).toContain('value="1001"');
    expect(html).toContain('chênh lệch 1');
    const ok = await typist1.client.post(`${base()}/areas/${area}/${CONTEST}/entry`, { ...body, ballotsFromBoard: '1000' });
    expect(ok.status).toBe(303);
  });

  it('rule 23: the live check shows F211 while typing, and leaves F104 for the submission', async () => {
    const check = async (w: World, area: string, o: Record<string, string>) =>
      (await (await typist1.client.get(`${base(w)}/areas/${area}/${CONTEST}/check?${new URLSearchParams(o)}`, { accept: 'application/json' })).json()) as { messages: { code: string; fields: string[]; message: string }[] };
    const typed = { ballotsIssued: '900', ballotsFromBoard: '1000', ballotsUnused: '96', ballotsSpoiled: '5' };
    const live = await check(optional, await newArea(), typed);
    const f = live.messages.find((m) => m.code === 'F211')!;
    expect(f.fields[0]).toBe('ballotsFromBoard');
    expect(f.message).toContain('chênh lệch -1');
    expect((await check(optional, await newArea(), { ...typed, ballotsSpoiled: '4' })).messages.map((m) => m.code)).not.toContain('F211');
    expect((await check(required, await newArea(required), { ballotsIssued: '900' })).messages.map((m) => m.code)).not.toContain('F104');
    expect((await check(off, await newArea(off), typed)).messages.map((m) => m.code)).not.toContain('F211');
  });
});
