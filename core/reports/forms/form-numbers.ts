// Form numbers and titles of the official documents, in ONE place (a changed number is one edit). Numbers from
// /work/shared/domain/election-rules.md §8.2: "Mẫu số 20/HĐBC-QH" is confirmed for 2026; the council minutes carry
// the 2021 numbers (NEC Res. 41/NQ-HĐBCQG: 25, 26, 27 /HĐBC-HĐND) until the 2026 list is found; the rest have no
// known number and print none (`no: null`) rather than a guessed one.
export type FormId =
  | 'team-count-minutes'
  | 'board-results-minutes'
  | 'province-na-results-minutes'
  | 'council-summary-minutes'
  | 'nec-na-summary'
  | 'candidate-list'
  | 'elected-list'
  | 'candidate-structure'
  | 'turnout-slot';

export interface FormNumber {
  /** Printed top right ("Mẫu số 20/HĐBC-QH"), or null when the 2026 number is unknown. */
  no: string | null;
  /** Where the number comes from (docs/reports.md repeats this). */
  source: string;
  /** The document title, upper case as printed. */
  title: string;
}

/** Per contest family: the NA ('na') or a People's Council ('council'). */
export type ContestFamily = 'na' | 'council';

export const contestFamily = (contest: string): ContestFamily => (contest === 'national-assembly' ? 'na' : 'council');

const FORMS: Record<FormId, Record<ContestFamily, FormNumber>> = {
  'team-count-minutes': {
    na: { no: null, source: 'NA team counting minutes: 2026 number not published (§8.2 open question)', title: 'BIÊN BẢN KẾT QUẢ KIỂM PHIẾU BẦU CỬ ĐẠI BIỂU QUỐC HỘI' },
    council: { no: 'Mẫu số 25/HĐBC-HĐND', source: '2021 numbering, NEC Res. 41/NQ-HĐBCQG (§8.2)', title: 'BIÊN BẢN KẾT QUẢ KIỂM PHIẾU BẦU CỬ ĐẠI BIỂU HỘI ĐỒNG NHÂN DÂN' },
  },
  'board-results-minutes': {
    na: { no: null, source: 'NA board minutes: 2026 number not published (§8.2)', title: 'BIÊN BẢN XÁC ĐỊNH KẾT QUẢ BẦU CỬ ĐẠI BIỂU QUỐC HỘI Ở ĐƠN VỊ BẦU CỬ' },
    council: { no: 'Mẫu số 26/HĐBC-HĐND', source: '2021 numbering, NEC Res. 41/NQ-HĐBCQG (§8.2)', title: 'BIÊN BẢN XÁC ĐỊNH KẾT QUẢ BẦU CỬ ĐẠI BIỂU HỘI ĐỒNG NHÂN DÂN Ở ĐƠN VỊ BẦU CỬ' },
  },
  'province-na-results-minutes': {
    na: { no: 'Mẫu số 20/HĐBC-QH', source: '2026, NEC Res. 40/NQ-HĐBCQG (§8.2)', title: 'BIÊN BẢN XÁC ĐỊNH KẾT QUẢ BẦU CỬ ĐẠI BIỂU QUỐC HỘI Ở TỈNH, THÀNH PHỐ' },
    council: { no: 'Mẫu số 20/HĐBC-QH', source: '2026, NEC Res. 40/NQ-HĐBCQG (§8.2)', title: 'BIÊN BẢN XÁC ĐỊNH KẾT QUẢ BẦU CỬ ĐẠI BIỂU QUỐC HỘI Ở TỈNH, THÀNH PHỐ' },
  },
  'council-summary-minutes': {
    na: { no: null, source: 'councils only', title: 'BIÊN BẢN TỔNG KẾT CUỘC BẦU CỬ ĐẠI BIỂU HỘI ĐỒNG NHÂN DÂN' },
    council: { no: 'Mẫu số 27/HĐBC-HĐND', source: '2021 numbering, NEC Res. 41/NQ-HĐBCQG (§8.2)', title: 'BIÊN BẢN TỔNG KẾT CUỘC BẦU CỬ ĐẠI BIỂU HỘI ĐỒNG NHÂN DÂN' },
  },
  'nec-na-summary': {
    na: { no: null, source: 'NEC national summary: number not published (§8.2)', title: 'BIÊN BẢN TỔNG KẾT CUỘC BẦU CỬ ĐẠI BIỂU QUỐC HỘI' },
    council: { no: null, source: 'NA only', title: 'BIÊN BẢN TỔNG KẾT CUỘC BẦU CỬ ĐẠI BIỂU QUỐC HỘI' },
  },
  'candidate-list': {
    na: { no: null, source: 'no number known (§8.2)', title: 'DANH SÁCH CHÍNH THỨC NHỮNG NGƯỜI ỨNG CỬ ĐẠI BIỂU QUỐC HỘI' },
    council: { no: null, source: 'no number known (§8.2)', title: 'DANH SÁCH CHÍNH THỨC NHỮNG NGƯỜI ỨNG CỬ ĐẠI BIỂU HỘI ĐỒNG NHÂN DÂN' },
  },
  'elected-list': {
    na: { no: null, source: 'no number known (§8.2)', title: 'DANH SÁCH NHỮNG NGƯỜI TRÚNG CỬ ĐẠI BIỂU QUỐC HỘI' },
    council: { no: null, source: 'no number known (§8.2)', title: 'DANH SÁCH NHỮNG NGƯỜI TRÚNG CỬ ĐẠI BIỂU HỘI ĐỒNG NHÂN DÂN' },
  },
  'candidate-structure': {
    na: { no: null, source: 'statistics, no form number', title: 'THỐNG KÊ CƠ CẤU, THÀNH PHẦN NHỮNG NGƯỜI ỨNG CỬ ĐẠI BIỂU QUỐC HỘI' },
    council: { no: null, source: 'statistics, no form number', title: 'THỐNG KÊ CƠ CẤU, THÀNH PHẦN NHỮNG NGƯỜI ỨNG CỬ ĐẠI BIỂU HỘI ĐỒNG NHÂN DÂN' },
  },
  'turnout-slot': {
    na: { no: null, source: 'progress report, no form number', title: 'BÁO CÁO TIẾN ĐỘ BỎ PHIẾU' },
    council: { no: null, source: 'progress report, no form number', title: 'BÁO CÁO TIẾN ĐỘ BỎ PHIẾU' },
  },
};

export function formNumber(id: FormId, contest: string): FormNumber {
  return FORMS[id][contestFamily(contest)];
}

export const FORM_IDS = Object.keys(FORMS) as FormId[];
