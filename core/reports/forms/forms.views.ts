// Pure view functions of the official forms: loader data (forms.data.ts) → OfficialFormView. Dates, numbers,
// readings in words and sentences are made here; the template only places them. Snapshot tests call these with
// fixed data (test/integration/reports.forms.test.ts).
import { placeDateText, placeName } from '../render.service.js';
import { formNumber, contestFamily } from './form-numbers.js';
import { cell, countFact, dateCell, longDate, num, partsCell, pct, pctCell, SEAL_HINT, sttCell, SIGN_HINT, type FormTable, type OfficialFormView } from './form-model.js';
import type { BoardResultsData, CandidateListData, CouncilResultsData, ElectedListData, NecSummaryData, StructureData, TeamMinutesData, TurnoutSlotData, UnitResult } from './forms.data.js';

type T = (key: string, params?: Record<string, unknown>) => string;
const upper = (s: string) => s.toLocaleUpperCase('vi');

/** "đại biểu Quốc hội" / "đại biểu Hội đồng nhân dân Thành phố Hồ Chí Minh". */
export function contestPhrase(contest: string, councilName: string): string {
  return contestFamily(contest) === 'na' ? 'đại biểu Quốc hội' : `đại biểu Hội đồng nhân dân ${councilName}`.trim();
}

function base(t: T, form: Parameters<typeof formNumber>[0], contest: string, issuer: string[], place: string | undefined, issuedOn: string, documentId: string): OfficialFormView {
  const f = formNumber(form, contest);
  return {
    header: { issuerLines: issuer.map(upper), placeDate: placeDateText(t, place ? placeName(place) : undefined, issuedOn) },
    formNo: f.no, title: f.title, subtitles: [], intro: [], facts: [], tables: [], closing: [], signatures: [], documentId,
  };
}

const voteTable = (rows: { name: string; votes: number; elected?: boolean }[], valid: number, withElected = false): FormTable => ({
  columns: [
    { label: 'STT' }, { label: 'Họ và tên người ứng cử' }, { label: 'Số phiếu bầu', numeric: true }, { label: 'Tỷ lệ so với phiếu hợp lệ', numeric: true },
    ...(withElected ? [{ label: 'Kết quả' }] : []),
  ],
  rows: rows.map((r, i) => ({
    cells: [sttCell(i + 1), cell(r.name, { bold: r.elected }), cell(r.votes), pctCell(r.votes, valid), ...(withElected ? [cell(r.elected ? 'Trúng cử' : '')] : [])],
  })),
});

export function teamMinutesView(t: T, d: TeamMinutesData, issuedOn: string, documentId: string): OfficialFormView {
  const v = base(t, 'team-count-minutes', d.contest, [`Tổ bầu cử số ${d.area.number}`, d.commune], d.province, issuedOn, documentId);
  const f = d.figures;
  v.subtitles = [`Khu vực bỏ phiếu số ${d.area.number}: ${d.area.name}`, `Đơn vị bầu cử số ${d.unit.number} — ${d.unit.name}`];
  v.intro = [
    `Hôm nay, ${longDate(d.election.day)}, Tổ bầu cử khu vực bỏ phiếu số ${d.area.number}, ${d.commune}, ${d.province} đã tiến hành kiểm phiếu cuộc bầu cử ${contestPhrase(d.contest, d.councilName)} (${d.election.name}). Đơn vị bầu cử số ${d.unit.number} được bầu ${num(d.unit.seats)} đại biểu.`,
    'Kết quả kiểm phiếu như sau:',
  ];
  v.facts = [
    countFact('1.', 'Tổng số cử tri của khu vực bỏ phiếu', f.votersTotal),
    countFact('2.', 'Số cử tri đã tham gia bỏ phiếu', f.votersVoted, `(đạt ${pct(f.votersVoted, f.votersTotal)} so với tổng số cử tri)`),
    countFact('3.', 'Số phiếu phát ra', f.issued),
    countFact('4.', 'Số phiếu thu vào', f.received),
    countFact('5.', 'Số phiếu hợp lệ', f.valid),
    countFact('6.', 'Số phiếu không hợp lệ', f.invalid),
  ];
  v.tables = [{ caption: '7. Số phiếu bầu cho mỗi người ứng cử:', ...voteTable(d.votes, f.valid) }];
  v.closing = [
    // Rule 23 (optional fields, [U] exact form): the inventory as a sentence, only when the minutes give it.
    ...(d.inventory ? [inventorySentence(d.inventory, f.issued)] : []),
    'Biên bản này được lập thành 03 bản: 01 bản gửi Ban bầu cử, 01 bản gửi Ủy ban nhân dân và Ban Thường trực Ủy ban Mặt trận Tổ quốc Việt Nam cấp xã.',
  ];
  v.signatures = [
    { title: 'THƯ KÝ', hint: SIGN_HINT, name: d.secretary },
    { title: 'TỔ TRƯỞNG TỔ BẦU CỬ', hint: SIGN_HINT, name: d.leader },
  ];
  return v;
}

/** "Kiểm kê phiếu bầu: nhận từ Ban bầu cử 1.000 phiếu; đã phát ra 900; không sử dụng 95 (đã niêm phong); …" */
export function inventorySentence(i: NonNullable<TeamMinutesData['inventory']>, issued: number): string {
  const given = (n: number | null) => (n == null ? 'không ghi' : num(n));
  return `Kiểm kê phiếu bầu: số phiếu nhận từ Ban bầu cử ${given(i.fromBoard)}; số phiếu đã phát ra ${num(issued)}; số phiếu không sử dụng (đã niêm phong) ${given(i.unused)}; số phiếu hỏng đã đổi (đã niêm phong) ${given(i.spoiled)}.`;
}

function unitFacts(u: UnitResult, from = 1) {
  return [
    countFact(`${from}.`, 'Tổng số cử tri của đơn vị bầu cử', u.voters),
    countFact(`${from + 1}.`, 'Số cử tri đã tham gia bỏ phiếu', u.voted, `(đạt ${pct(u.voted, u.voters)} so với tổng số cử tri)`),
    countFact(`${from + 2}.`, 'Số phiếu thu vào', u.received),
    countFact(`${from + 3}.`, 'Số phiếu hợp lệ', u.valid),
    countFact(`${from + 4}.`, 'Số phiếu không hợp lệ', u.invalid),
  ];
}

export function boardResultsView(t: T, d: BoardResultsData, issuedOn: string, documentId: string): OfficialFormView {
  const u = d.unit;
  const v = base(t, 'board-results-minutes', d.contest, ['Ban bầu cử', `Đơn vị bầu cử số ${u.number}`], d.place, issuedOn, documentId);
  v.subtitles = [`Đơn vị bầu cử số ${u.number} — ${u.name}`];
  v.intro = [
    `Ban bầu cử ${contestPhrase(d.contest, d.councilName)} ở Đơn vị bầu cử số ${u.number} (${d.election.name}) căn cứ vào biên bản kết quả kiểm phiếu của ${num(u.areasReported)}/${num(u.areasTotal)} Tổ bầu cử, xác định kết quả bầu cử ở đơn vị bầu cử như sau. Số đại biểu được bầu: ${num(u.seats)} (${countFact('', '', u.seats).words!.toLowerCase()}).`,
  ];
  v.facts = unitFacts(u);
  const elected = u.candidates.filter((c) => c.elected);
  v.tables = [{ caption: '6. Số phiếu bầu cho mỗi người ứng cử:', ...voteTable(u.candidates, u.valid, true) }];
  v.closing = [
    elected.length
      ? `7. Những người trúng cử đại biểu (${num(elected.length)} người, theo thứ tự số phiếu bầu từ cao xuống thấp): ${[...elected].sort((a, b) => b.votes - a.votes).map((c) => c.name).join('; ')}.`
      : '7. Chưa có người trúng cử.',
    'Biên bản này được lập thành 04 bản gửi Ủy ban bầu cử, Ủy ban nhân dân, Thường trực Hội đồng nhân dân và Ban Thường trực Ủy ban Mặt trận Tổ quốc Việt Nam cùng cấp.',
  ];
  v.signatures = [
    { title: 'THƯ KÝ', hint: SIGN_HINT, name: d.secretary },
    { title: 'TRƯỞNG BAN BẦU CỬ', hint: SEAL_HINT, name: d.head },
  ];
  return v;
}

const unitsTable = (units: UnitResult[]): FormTable => {
  const tot = units.reduce((a, u) => ({ seats: a.seats + u.seats, voters: a.voters + u.voters, voted: a.voted + u.voted, valid: a.valid + u.valid, invalid: a.invalid + u.invalid, elected: a.elected + u.candidates.filter((c) => c.elected).length }), { seats: 0, voters: 0, voted: 0, valid: 0, invalid: 0, elected: 0 });
  return {
    dense: true,
    columns: [{ label: 'Đơn vị bầu cử' }, { label: 'Số đại biểu được bầu', numeric: true }, { label: 'Tổng số cử tri', numeric: true }, { label: 'Số cử tri đã bỏ phiếu', numeric: true }, { label: 'Tỷ lệ', numeric: true }, { label: 'Phiếu hợp lệ', numeric: true }, { label: 'Phiếu không hợp lệ', numeric: true }, { label: 'Số người trúng cử', numeric: true }],
    rows: [
      ...units.map((u) => ({ cells: [cell(`Số ${u.number}`), cell(u.seats), cell(u.voters), cell(u.voted), pctCell(u.voted, u.voters), cell(u.valid), cell(u.invalid), cell(u.candidates.filter((c) => c.elected).length)] })),
      { total: true, cells: [cell('Tổng cộng'), cell(tot.seats), cell(tot.voters), cell(tot.voted), pctCell(tot.voted, tot.voters), cell(tot.valid), cell(tot.invalid), cell(tot.elected)] },
    ],
  };
};

const sum = (units: UnitResult[], k: 'voters' | 'voted' | 'valid' | 'invalid' | 'seats' | 'received') => units.reduce((a, u) => a + u[k], 0);

const electedTable = (units: UnitResult[]): FormTable => ({
  columns: [{ label: 'STT' }, { label: 'Họ và tên người trúng cử' }, { label: 'Đơn vị bầu cử' }, { label: 'Số phiếu bầu', numeric: true }, { label: 'Tỷ lệ', numeric: true }],
  rows: units.flatMap((u) => u.candidates.filter((c) => c.elected).sort((a, b) => b.votes - a.votes).map((c) => ({ u, c }))).map(({ u, c }, i) => ({
    cells: [sttCell(i + 1), cell(c.name), cell(`Số ${u.number}`), cell(c.votes), pctCell(c.votes, u.valid)],
  })),
});

/** Mẫu 20/HĐBC-QH (NA, a province) and the committee's council summary (Mẫu 27/HĐBC-HĐND): one view, two titles. */
export function councilResultsView(t: T, d: CouncilResultsData, issuedOn: string, documentId: string): OfficialFormView {
  const na = contestFamily(d.contest) === 'na';
  const v = base(t, na ? 'province-na-results-minutes' : 'council-summary-minutes', d.contest, ['Ủy ban bầu cử', d.scope.name], d.place, issuedOn, documentId);
  v.subtitles = [na ? d.scope.name : `Hội đồng nhân dân ${d.scope.name}`];
  const seats = sum(d.units, 'seats');
  v.intro = [
    `Ủy ban bầu cử ${d.scope.name}, căn cứ vào biên bản xác định kết quả bầu cử của ${num(d.units.length)} Ban bầu cử, xác định kết quả cuộc bầu cử ${contestPhrase(d.contest, d.scope.name)} (${d.election.name}) như sau:`,
  ];
  const elected = d.units.reduce((a, u) => a + u.candidates.filter((c) => c.elected).length, 0);
  v.facts = [
    countFact('1.', 'Số đơn vị bầu cử', d.units.length),
    countFact('2.', 'Tổng số đại biểu được bầu', seats),
    countFact('3.', 'Tổng số cử tri', sum(d.units, 'voters')),
    countFact('4.', 'Số cử tri đã tham gia bỏ phiếu', sum(d.units, 'voted'), `(đạt ${pct(sum(d.units, 'voted'), sum(d.units, 'voters'))})`),
    countFact('5.', 'Số phiếu hợp lệ', sum(d.units, 'valid')),
    countFact('6.', 'Số phiếu không hợp lệ', sum(d.units, 'invalid')),
    countFact('7.', 'Số người trúng cử', elected, seats > elected ? `(còn thiếu ${num(seats - elected)} đại biểu)` : undefined),
  ];
  v.tables = [{ caption: 'Kết quả ở từng đơn vị bầu cử:', ...unitsTable(d.units) }, { caption: 'Danh sách những người trúng cử:', ...electedTable(d.units) }];
  v.closing = ['Biên bản này được lập thành 06 bản gửi Hội đồng bầu cử quốc gia, Ủy ban Thường vụ Quốc hội, Ban Thường trực Ủy ban Trung ương Mặt trận Tổ quốc Việt Nam và các cơ quan có liên quan.'];
  v.signatures = [{ title: 'TM. ỦY BAN BẦU CỬ', role: 'CHỦ TỊCH', hint: SEAL_HINT, name: d.chair }];
  return v;
}

export function necSummaryView(t: T, d: NecSummaryData, issuedOn: string, documentId: string): OfficialFormView {
  const v = base(t, 'nec-na-summary', 'national-assembly', ['Hội đồng bầu cử quốc gia'], 'Hà Nội', issuedOn, documentId);
  const tot = d.provinces.reduce((a, p) => ({ units: a.units + p.units, seats: a.seats + p.seats, voters: a.voters + p.voters, voted: a.voted + p.voted, valid: a.valid + p.valid, invalid: a.invalid + p.invalid, elected: a.elected + p.elected, women: a.women + p.women }),
    { units: 0, seats: 0, voters: 0, voted: 0, valid: 0, invalid: 0, elected: 0, women: 0 });
  v.subtitles = [d.election.name];
  v.intro = [`Hội đồng bầu cử quốc gia, căn cứ vào biên bản xác định kết quả bầu cử của ${num(d.provinces.length)} Ủy ban bầu cử ở tỉnh, thành phố, tổng kết cuộc bầu cử đại biểu Quốc hội như sau:`];
  v.facts = [
    countFact('1.', 'Tổng số đơn vị bầu cử', tot.units),
    countFact('2.', 'Tổng số đại biểu được bầu', tot.seats),
    countFact('3.', 'Tổng số cử tri', tot.voters),
    countFact('4.', 'Số cử tri đã tham gia bỏ phiếu', tot.voted, `(đạt ${pct(tot.voted, tot.voters)})`),
    countFact('5.', 'Số phiếu hợp lệ', tot.valid),
    countFact('6.', 'Số phiếu không hợp lệ', tot.invalid),
    countFact('7.', 'Số người trúng cử đại biểu Quốc hội', tot.elected, `(trong đó ${num(tot.women)} nữ)`),
  ];
  v.tables = [{
    caption: 'Kết quả theo tỉnh, thành phố:', dense: true,
    columns: [{ label: 'STT' }, { label: 'Tỉnh, thành phố' }, { label: 'Số đơn vị', numeric: true }, { label: 'Số đại biểu được bầu', numeric: true }, { label: 'Tổng số cử tri', numeric: true }, { label: 'Đã bỏ phiếu', numeric: true }, { label: 'Tỷ lệ', numeric: true }, { label: 'Trúng cử', numeric: true }],
    rows: [
      ...d.provinces.map((p, i) => ({ cells: [sttCell(i + 1), cell(p.name), cell(p.units), cell(p.seats), cell(p.voters), cell(p.voted), pctCell(p.voted, p.voters), cell(p.elected)] })),
      { total: true, cells: [cell(''), cell('Tổng cộng'), cell(tot.units), cell(tot.seats), cell(tot.voters), cell(tot.voted), pctCell(tot.voted, tot.voters), cell(tot.elected)] },
    ],
  }];
  v.signatures = [{ title: 'TM. HỘI ĐỒNG BẦU CỬ QUỐC GIA', role: 'CHỦ TỊCH', hint: SEAL_HINT }];
  return v;
}

export function candidateListView(t: T, d: CandidateListData, issuedOn: string, documentId: string): OfficialFormView {
  const na = contestFamily(d.contest) === 'na';
  const v = base(t, 'candidate-list', d.contest, [na ? 'Hội đồng bầu cử quốc gia' : 'Ủy ban bầu cử', ...(na ? [] : [d.councilName])], na ? 'Hà Nội' : d.place, issuedOn, documentId);
  v.subtitles = [`Đơn vị bầu cử số ${d.unit.number} — ${d.unit.name}`, `Số đại biểu được bầu: ${num(d.unit.seats)}. Số người ứng cử: ${num(d.candidates.length)}.`];
  v.tables = [{
    dense: true,
    columns: [{ label: 'STT' }, { label: 'Họ và tên' }, { label: 'Ngày sinh' }, { label: 'Giới tính' }, { label: 'Quê quán' }, { label: 'Dân tộc' }, { label: 'Tôn giáo' }, { label: 'Trình độ' }, { label: 'Nghề nghiệp, chức vụ' }, { label: 'Nơi công tác' }, { label: 'Ngày vào Đảng' }],
    rows: d.candidates.map((c, i) => ({ cells: [sttCell(i + 1), cell(c.name, { bold: true }), dateCell(c.dob), cell(c.gender), cell(c.hometown), cell(c.ethnicity), cell(c.religion), cell(c.education), cell(c.occupation), cell(c.workplace), dateCell(c.party)] })),
  }];
  v.closing = ['Danh sách xếp theo vần chữ cái A, B, C… của tên người ứng cử.'];
  v.signatures = [{ title: na ? 'TM. HỘI ĐỒNG BẦU CỬ QUỐC GIA' : 'TM. ỦY BAN BẦU CỬ', role: 'CHỦ TỊCH', hint: SEAL_HINT }];
  return v;
}

export function electedListView(t: T, d: ElectedListData, issuedOn: string, documentId: string): OfficialFormView {
  const na = contestFamily(d.contest) === 'na';
  const v = base(t, 'elected-list', d.contest, [na && d.scope.code === 'VN' ? 'Hội đồng bầu cử quốc gia' : 'Ủy ban bầu cử', ...(na && d.scope.code === 'VN' ? [] : [d.scope.name])], d.place, issuedOn, documentId);
  v.subtitles = [na ? (d.scope.code === 'VN' ? d.election.name : d.scope.name) : `Hội đồng nhân dân ${d.scope.name}`];
  v.facts = [countFact('', 'Tổng số người trúng cử', d.rows.length)];
  v.tables = [{
    columns: [{ label: 'STT' }, { label: 'Họ và tên' }, { label: 'Đơn vị bầu cử' }, { label: 'Số phiếu bầu', numeric: true }, { label: 'Tỷ lệ', numeric: true }],
    rows: d.rows.map((r, i) => ({ cells: [sttCell(i + 1), cell(r.name, { bold: true }), cell(r.unit), cell(r.votes), pctCell(r.votes, r.valid)] })),
  }];
  v.signatures = [{ title: na && d.scope.code === 'VN' ? 'TM. HỘI ĐỒNG BẦU CỬ QUỐC GIA' : 'TM. ỦY BAN BẦU CỬ', role: 'CHỦ TỊCH', hint: SEAL_HINT }];
  return v;
}

export function structureView(t: T, d: StructureData, issuedOn: string, documentId: string): OfficialFormView {
  const na = contestFamily(d.contest) === 'na';
  const v = base(t, 'candidate-structure', d.contest, [na && d.scope.code === 'VN' ? 'Hội đồng bầu cử quốc gia' : 'Ủy ban bầu cử', ...(na && d.scope.code === 'VN' ? [] : [d.scope.name])], d.place, issuedOn, documentId);
  v.subtitles = [na ? d.scope.name : `Hội đồng nhân dân ${d.scope.name}`];
  v.facts = [countFact('1.', 'Tổng số người ứng cử trong danh sách chính thức', d.total), countFact('2.', 'Tổng số đại biểu được bầu', d.seats, d.seats ? `(tỷ lệ ${(d.total / d.seats).toFixed(2).replace('.', ',')} người ứng cử cho mỗi ghế)` : undefined)];
  v.tables = [{
    caption: '3. Cơ cấu, thành phần:',
    columns: [{ label: 'Thành phần' }, { label: 'Số người', numeric: true }, { label: 'Tỷ lệ', numeric: true }, { label: 'Chỉ tiêu', numeric: true }, { label: 'Đánh giá' }],
    rows: d.indicators.map((i) => ({
      cells: [cell(i.label), cell(i.count), pctCell(i.count, d.total), i.targetPct !== undefined ? { text: `≥ ${i.targetPct}%`, numeric: true, value: i.targetPct / 100, type: 'percent', numFmt: '"≥ "0%' } : cell('', { numeric: true }),
        cell(i.targetPct === undefined ? '' : i.count * 100 >= i.targetPct * d.total ? 'Đạt' : 'Chưa đạt', { bold: i.targetPct !== undefined })],
    })),
  }];
  v.signatures = [{ title: 'NGƯỜI LẬP BIỂU', hint: SIGN_HINT }, { title: na && d.scope.code === 'VN' ? 'TM. HỘI ĐỒNG BẦU CỬ QUỐC GIA' : 'TM. ỦY BAN BẦU CỬ', role: 'CHỦ TỊCH', hint: SEAL_HINT }];
  return v;
}

export function turnoutSlotView(t: T, d: TurnoutSlotData, issuedOn: string, documentId: string): OfficialFormView {
  const v = base(t, 'turnout-slot', d.contest, [d.scope.code === 'VN' ? 'Hội đồng bầu cử quốc gia' : 'Ủy ban bầu cử', ...(d.scope.code === 'VN' ? [] : [d.scope.name])], d.place, issuedOn, documentId);
  const slot = d.slot === 'close' ? 'khi kết thúc bỏ phiếu' : `lúc ${d.slot}`;
  v.subtitles = [`${d.scope.name} — ${slot} ${longDate(d.election.day)}`];
  const tot = d.rows.reduce((a, r) => ({ areas: a.areas + r.areas, reported: a.reported + r.reported, voters: a.voters + r.voters, voted: a.voted + r.voted }), { areas: 0, reported: 0, voters: 0, voted: 0 });
  v.facts = [
    countFact('1.', 'Tổng số cử tri', tot.voters),
    countFact('2.', 'Số cử tri đã bỏ phiếu', tot.voted, `(đạt ${pct(tot.voted, tot.voters)})`),
    countFact('3.', 'Số khu vực bỏ phiếu đã báo cáo', tot.reported, `/ ${num(tot.areas)} khu vực`),
  ];
  v.tables = [{
    dense: true,
    columns: [{ label: 'STT' }, { label: d.scope.code === 'VN' ? 'Tỉnh, thành phố' : 'Xã, phường, đặc khu' }, { label: 'Khu vực đã báo cáo', numeric: true, parts: ['Số khu vực đã báo cáo', 'Tổng số khu vực bỏ phiếu'] }, { label: 'Tổng số cử tri', numeric: true }, { label: 'Đã bỏ phiếu', numeric: true }, { label: 'Tỷ lệ', numeric: true }],
    rows: [
      ...d.rows.map((r, i) => ({ cells: [sttCell(i + 1), cell(r.name), partsCell(r.reported, r.areas), cell(r.voters), cell(r.voted), pctCell(r.voted, r.voters)] })),
      { total: true, cells: [cell(''), cell('Tổng cộng'), partsCell(tot.reported, tot.areas), cell(tot.voters), cell(tot.voted), pctCell(tot.voted, tot.voters)] },
    ],
  }];
  v.signatures = [{ title: 'NGƯỜI LẬP BÁO CÁO', hint: SIGN_HINT }];
  return v;
}
