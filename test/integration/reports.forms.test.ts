// Official forms (issue 8 point 2): each form rendered from FIXED data — long names carrying every Vietnamese stacked
// diacritic — to PDF through the real renderer and Chromium, page 1 → PNG (pdftoppm), compared with the committed
// image in test/__pdf_snapshots__/ within a small tolerance (pngjs). UPDATE_SNAPSHOTS=1 rewrites the images.
// The data builders (SQL) run in reports.batch.test.ts; here only layout, fonts and words are checked.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { standaloneRenderer, type StandaloneRenderer } from '../helpers/renderer.js';
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { PNG } from 'pngjs';
import { I18n } from '../../core/shared/i18n.js';
import { BrowserPool } from '../../core/reports/browser-pool.js';
import { ReportRenderer } from '../../core/reports/render.service.js';
import { verifyMark } from '../../core/reports/verify.js';
import { FORM_TEMPLATE } from '../../core/reports/forms/forms.reports.js';
import { FORM_IDS, formNumber, type FormId } from '../../core/reports/forms/form-numbers.js';
import * as views from '../../core/reports/forms/forms.views.js';
import type { OfficialFormView } from '../../core/reports/forms/form-model.js';
import type { CandidateVotes, UnitResult } from '../../core/reports/forms/forms.data.js';
// Not from helpers/test-app.js: this file needs no app (and so no module of the kernel).
const REPO_ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');

const SNAP_DIR = path.join(REPO_ROOT, 'test/__pdf_snapshots__');
const SCREENS = path.join(REPO_ROOT, 'tmp/screens');
const UPDATE = process.env.UPDATE_SNAPSHOTS === '1';
/** Share of pixels allowed to differ (anti-aliasing across Chromium builds), and the per-channel difference that counts. */
const TOLERANCE = 0.004;
const CHANNEL = 48;

// Every stacked mark in one long name, and its upper-case twin: the font must draw them all, separately.
const LONG = 'Nguyễn Thị Huyền Trang Ưởng Ỗ Ặ Ẫ Ợ Ữ Ỹ';
const MARKS = 'Đặng Ắ Ằ Ẳ Ẵ Ấ Ầ Ẩ Ậ Ế Ề Ể Ễ Ệ Ố Ồ Ổ Ộ Ớ Ờ Ở Ỡ Ừ Ử Ự Ỳ Ỷ Ỵ';
const ELECTION = { id: '00000000-0000-4000-8000-000000000001', name: 'Bầu cử đại biểu Quốc hội khóa XVI và đại biểu Hội đồng nhân dân các cấp nhiệm kỳ 2026 - 2031', day: '2026-03-15' };
const ISSUED = '2026-03-16';
const DOC_ID = '11111111-2222-4333-8444-555555555555';
const names = [LONG, 'Trần Văn Ất', 'Lê Thị Ánh Tuyết', 'Phạm Quốc Khánh', MARKS];

const cv = (votes: number[], seats: number, valid: number): CandidateVotes[] => {
  const list = votes.map((v, i) => ({ name: names[i % names.length], votes: v, elected: false, female: i % 2 === 0 }));
  const ranked = [...list].filter((c) => c.votes * 2 > valid).sort((a, b) => b.votes - a.votes);
  ranked.slice(0, seats).forEach((c) => (c.elected = true));
  return list;
};
const unit = (n: number, seats: number, voters: number): UnitResult => {
  const voted = voters - 1_005 * n, valid = voted - 21 * n;
  return { id: `u${n}`, number: n, name: `Gồm các phường Bến Thành, Sài Gòn, Tân Định (đơn vị ${n})`, seats, parentCode: '79', areasTotal: 101 + n, areasReported: 101 + n,
    voters, voted, received: voted, valid, invalid: voted - valid, candidates: cv([Math.round(valid * 0.81), Math.round(valid * 0.74), Math.round(valid * 0.52), Math.round(valid * 0.33), Math.round(valid * 0.15)].slice(0, seats + 2), seats, valid) };
};
const units = [unit(1, 3, 1_000_000), unit(2, 2, 78_928), unit(3, 3, 456_789)];

const t = (i18n: I18n) => (k: string, p?: Record<string, unknown>) => i18n.t('vi', k, p);
const FIXED: Record<FormId, (tt: ReturnType<typeof t>) => OfficialFormView> = {
  'team-count-minutes': (tt) => views.teamMinutesView(tt, {
    election: ELECTION, contest: 'national-assembly', province: 'Thành phố Hồ Chí Minh', commune: 'Phường Bến Thành', councilName: 'Thành phố Hồ Chí Minh',
    area: { number: 15, name: 'Trường Tiểu học Lê Ngọc Hân, số 21 đường Ngô Đức Kế' }, unit: { number: 1, name: 'Gồm phường Bến Thành, Sài Gòn', seats: 3 },
    figures: { votersTotal: 1_005, votersVoted: 1_000, issued: 1_000, received: 1_000, valid: 985, invalid: 15 },
    votes: [{ name: LONG, votes: 801 }, { name: 'Trần Văn Ất', votes: 710 }, { name: 'Lê Thị Ánh Tuyết', votes: 521 }, { name: 'Phạm Quốc Khánh', votes: 101 }, { name: MARKS, votes: 10 }],
    leader: 'Võ Thị Ngọc Hường', secretary: 'Đỗ Quang Vỹ',
  }, ISSUED, DOC_ID),
  'board-results-minutes': (tt) => views.boardResultsView(tt, { election: ELECTION, contest: 'provincial-council', place: 'Thành phố Hồ Chí Minh', councilName: 'Thành phố Hồ Chí Minh', unit: units[0], head: LONG, secretary: 'Bùi Thị Mỹ Lệ' }, ISSUED, DOC_ID),
  'province-na-results-minutes': (tt) => views.councilResultsView(tt, { election: ELECTION, contest: 'national-assembly', scope: { code: '79', name: 'Thành phố Hồ Chí Minh' }, place: 'Thành phố Hồ Chí Minh', size: null, units, chair: 'Nguyễn Văn Được' }, ISSUED, DOC_ID),
  'council-summary-minutes': (tt) => views.councilResultsView(tt, { election: ELECTION, contest: 'commune-council', scope: { code: '26734', name: 'Phường Bến Thành' }, place: 'Thành phố Hồ Chí Minh', size: 30, units, chair: MARKS }, ISSUED, DOC_ID),
  'nec-na-summary': (tt) => views.necSummaryView(tt, { election: ELECTION, provinces: [
    { code: '01', name: 'Thành phố Hà Nội', units: 11, seats: 32, voters: 5_612_345, voted: 5_601_234, valid: 5_590_000, invalid: 11_234, elected: 32, women: 11 },
    { code: '79', name: 'Thành phố Hồ Chí Minh', units: 13, seats: 38, voters: 9_510_001, voted: 9_415_101, valid: 9_400_000, invalid: 15_101, elected: 38, women: 14 },
    { code: '96', name: 'Tỉnh Cà Mau', units: 4, seats: 10, voters: 1_500_021, voted: 1_499_999, valid: 1_495_000, invalid: 4_999, elected: 10, women: 4 },
  ] }, ISSUED, DOC_ID),
  'candidate-list': (tt) => views.candidateListView(tt, { election: ELECTION, contest: 'national-assembly', place: 'Hà Nội', councilName: '', unit: { number: 1, name: 'Gồm phường Bến Thành, Sài Gòn', seats: 3 },
    candidates: names.map((n, i) => ({ name: n, dob: `0${i + 1}/05/19${70 + i}`, gender: i % 2 ? 'Nam' : 'Nữ', ethnicity: i === 4 ? 'Ê Đê' : 'Kinh', religion: 'Không', hometown: 'Xã Quỳnh Đôi, tỉnh Nghệ An',
      education: 'Tiến sĩ Luật', occupation: 'Phó Chủ tịch Ủy ban nhân dân', workplace: 'Ủy ban nhân dân Thành phố Hồ Chí Minh', party: '19/05/1998' })) }, ISSUED, DOC_ID),
  'elected-list': (tt) => views.electedListView(tt, { election: ELECTION, contest: 'national-assembly', scope: { code: '79', name: 'Thành phố Hồ Chí Minh' }, place: 'Thành phố Hồ Chí Minh',
    rows: units.flatMap((u) => u.candidates.filter((c) => c.elected).map((c) => ({ name: c.name, unit: `Số ${u.number} — ${u.name}`, votes: c.votes, valid: u.valid }))) }, ISSUED, DOC_ID),
  'candidate-structure': (tt) => views.structureView(tt, { election: ELECTION, contest: 'national-assembly', scope: { code: 'VN', name: 'Việt Nam' }, place: 'Hà Nội', seats: 500, total: 864,
    indicators: [['women', 'Phụ nữ', 392, 35], ['ethnicMinority', 'Người dân tộc thiểu số', 188, 18], ['nonParty', 'Người ngoài Đảng', 65], ['under40', 'Người dưới 40 tuổi', 187], ['religious', 'Người có tôn giáo', 21], ['incumbent', 'Đại biểu tái cử', 235], ['selfNominated', 'Người tự ứng cử', 0]]
      .map(([key, label, count, target]) => ({ key: key as string, label: label as string, count: count as number, targetPct: target as number | undefined })) }, ISSUED, DOC_ID),
  'turnout-slot': (tt) => views.turnoutSlotView(tt, { election: ELECTION, contest: 'national-assembly', slot: '11:00', scope: { code: '79', name: 'Thành phố Hồ Chí Minh' }, place: 'Thành phố Hồ Chí Minh',
    rows: [['26734', 'Phường Bến Thành', 12, 12, 45_678, 32_001], ['26737', 'Phường Sài Gòn', 10, 9, 38_001, 20_500], ['27004', 'Phường Ưởng Ỗ Ặ Ẫ Ợ Ữ Ỹ', 7, 7, 21_005, 21_005]]
      .map(([code, name, areas, reported, voters, voted]) => ({ code: code as string, name: name as string, areas: areas as number, reported: reported as number, voters: voters as number, voted: voted as number })) }, ISSUED, DOC_ID),
};

let pool: BrowserPool;
let renderer: ReportRenderer;
let i18n: I18n;
let work: string;

let standalone: StandaloneRenderer | undefined;
beforeAll(() => {
  standalone = standaloneRenderer('forms-');
  ({ pool, renderer, i18n, work } = standalone);
  fs.mkdirSync(SCREENS, { recursive: true });
});
afterAll(async () => {
  await standalone?.close();
});

function diffRatio(a: PNG, b: PNG): number {
  if (a.width !== b.width || a.height !== b.height) return 1;
  let bad = 0;
  for (let i = 0; i < a.data.length; i += 4) {
    if (Math.abs(a.data[i] - b.data[i]) > CHANNEL || Math.abs(a.data[i + 1] - b.data[i + 1]) > CHANNEL || Math.abs(a.data[i + 2] - b.data[i + 2]) > CHANNEL) bad++;
  }
  return bad / (a.width * a.height);
}

describe('official forms: snapshot of page 1 from fixed data', () => {
  for (const form of FORM_IDS) {
    it(`${form}: official header, title, words, signatures; Liberation Serif only; page 1 matches the committed PNG`, async () => {
      const view = FIXED[form](t(i18n));
      const pdf = await renderer.pdf(FORM_TEMPLATE, view, { title: view.title, lang: 'vi', verify: await verifyMark('https://baucu.example.vn', 'ABCDEFGHJK') });
      const file = path.join(work, `${form}.pdf`);
      fs.writeFileSync(file, pdf);
      const text = execFileSync('pdftotext', ['-enc', 'UTF-8', file, '-'], { encoding: 'utf8' }).replace(/\s+/g, ' ');
      expect(text).toContain('CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM');
      expect(text).toContain('Độc lập - Tự do - Hạnh phúc');
      expect(text).toContain(formNumber(form, form === 'board-results-minutes' || form === 'council-summary-minutes' ? 'provincial-council' : 'national-assembly').title);
      expect(text).toContain('ngày 16 tháng 3 năm 2026');
      if (view.facts.some((f) => f.words)) expect(text).toMatch(/bằng chữ: [A-ZĐ]/u);
      if (form !== 'turnout-slot' && form !== 'nec-na-summary') expect(text).toMatch(/Ưởng|ỗ|Ặ|Ỵ/u);
      const fonts = execFileSync('pdffonts', [file], { encoding: 'utf8' }).split('\n').slice(2).filter(Boolean);
      for (const f of fonts) expect(f).toMatch(/LiberationSerif/);
      // Page 1 → PNG at 60 dpi (small committed files; enough to see a layout change).
      const base = path.join(work, form);
      execFileSync('pdftoppm', ['-r', '60', '-png', '-f', '1', '-l', '1', '-singlefile', file, base]);
      const png = fs.readFileSync(`${base}.png`);
      execFileSync('pdftoppm', ['-r', '110', '-png', '-f', '1', '-l', '1', '-singlefile', file, path.join(SCREENS, `form-${form}-p1`)]);
      const snap = path.join(SNAP_DIR, `${form}.png`);
      if (UPDATE || !fs.existsSync(snap)) {
        fs.mkdirSync(SNAP_DIR, { recursive: true });
        fs.writeFileSync(snap, png);
      }
      const ratio = diffRatio(PNG.sync.read(png), PNG.sync.read(fs.readFileSync(snap)));
      expect(ratio).toBeLessThanOrEqual(TOLERANCE);
    }, 60_000);
  }

  it('a changed figure is caught by the comparison (the tolerance is not blind)', async () => {
    const view = FIXED['team-count-minutes'](t(i18n));
    view.facts[0] = { ...view.facts[0], value: '9.999', words: 'Chín nghìn chín trăm chín mươi chín' };
    const pdf = await renderer.pdf(FORM_TEMPLATE, view, { title: view.title, lang: 'vi', verify: await verifyMark('https://baucu.example.vn', 'ABCDEFGHJK') });
    const file = path.join(work, 'changed.pdf');
    fs.writeFileSync(file, pdf);
    execFileSync('pdftoppm', ['-r', '60', '-png', '-f', '1', '-l', '1', '-singlefile', file, path.join(work, 'changed')]);
    const ratio = diffRatio(PNG.sync.read(fs.readFileSync(path.join(work, 'changed.png'))), PNG.sync.read(fs.readFileSync(path.join(SNAP_DIR, 'team-count-minutes.png'))));
    expect(ratio).toBeGreaterThan(0);
  }, 60_000);
});
