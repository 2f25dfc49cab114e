// Message catalogue of the results module: explanations of determination outcomes (determination.ts) and the
// input / usage errors of the results tool (results-tool.ts). Vietnamese first; English for foreign observers.
import { formatNumber, type Catalogue, type Lang } from '../../shared/i18n.js';
import { formatPercent } from '../../shared/percent.js';

/** Catalogue of every `results.` key. Parameters in braces; see {@link renderResultsMessage}. */
export const resultsMessages: Catalogue = {
  vi: {
    // Unit outcome (one per status).
    'results.unit.complete': 'Đơn vị bầu cử {unit}: đã bầu đủ {seats} đại biểu; số cử tri đi bầu đạt {turnout}%.',
    'results.unit.seats-unfilled':
      'Đơn vị bầu cử {unit}: trúng cử {filled}/{seats} đại biểu, không ít hơn {numerator}/{denominator} số đại biểu được bầu nên không bầu cử thêm; {unfilled} ghế để trống.',
    'results.unit.seats-unfilled-after-additional':
      'Đơn vị bầu cử {unit}: sau bầu cử thêm trúng cử {filled}/{seats} đại biểu; không tổ chức bầu cử thêm lần nữa, {unfilled} ghế để trống.',
    'results.unit.additional-election-required':
      'Đơn vị bầu cử {unit}: chỉ trúng cử {filled}/{seats} đại biểu, ít hơn {numerator}/{denominator} số đại biểu được bầu; phải bầu cử thêm, Ủy ban bầu cử cùng cấp ấn định ngày.',
    'results.unit.additional-election-for-nec-decision':
      'Đơn vị bầu cử {unit}: chỉ trúng cử {filled}/{seats} đại biểu; Ban bầu cử ghi vào biên bản và báo cáo để Hội đồng bầu cử quốc gia xem xét, quyết định việc bầu cử thêm.',
    'results.unit.revote-required':
      'Đơn vị bầu cử {unit}: số cử tri đi bầu {turnout}% không quá một nửa tổng số cử tri trong danh sách; kết quả không được công nhận, phải bầu cử lại.',
    'results.unit.tie-needs-decision':
      'Đơn vị bầu cử {unit}: có người ứng cử bằng số phiếu và cùng ngày sinh tranh ghế cuối; chưa xác định được người trúng cử, cần cơ quan có thẩm quyền quyết định.',
    'results.note.revote-accepted-low-turnout':
      'Bầu cử lại: số cử tri đi bầu {turnout}% vẫn không quá một nửa nhưng kết quả được công nhận; không bầu cử lại lần thứ hai.',
    // Candidate outcome.
    'results.reason.elected': 'Trúng cử: {votes} phiếu, {percent}% số phiếu hợp lệ, xếp thứ {rank}',
    'results.reason.elected-tie-older':
      'Trúng cử: {votes} phiếu, {percent}% số phiếu hợp lệ, bằng phiếu với {others}; người nhiều tuổi hơn trúng cử; người này sinh ngày {born}, nhiều tuổi hơn',
    'results.reason.below-majority':
      'Không trúng cử: {votes} phiếu, {percent}% số phiếu hợp lệ, không quá một nửa tổng số phiếu hợp lệ',
    'results.reason.outranked':
      'Không trúng cử: {votes} phiếu, {percent}% số phiếu hợp lệ, quá một nửa nhưng xếp thứ {rank}, sau những người nhiều phiếu hơn cho {seats} ghế',
    'results.reason.tie-lost-younger':
      'Không trúng cử: bằng phiếu ({votes}) với {others} ở ghế cuối; người nhiều tuổi hơn trúng cử, người này sinh ngày {born} nên ít tuổi hơn',
    'results.reason.tie-undecided':
      'Chưa xác định: bằng phiếu ({votes}) và cùng ngày sinh {born} với người khác trong số {tied}; cần cơ quan có thẩm quyền quyết định',
    'results.reason.turnout-not-met':
      'Chưa xác định: kết quả đơn vị không được công nhận vì số cử tri đi bầu ({turnout}%) không quá một nửa; {votes} phiếu, {percent}% số phiếu hợp lệ',
    // Additional-election candidate pool.
    'results.pool.no-additional-election': 'Đơn vị bầu cử {unit} không thuộc trường hợp bầu cử thêm (trạng thái {status})',
    'results.pool.second-additional-election': 'Đơn vị bầu cử {unit} đã bầu cử thêm; không bầu cử thêm lần thứ hai',
    'results.pool.empty-pool': 'Danh sách người ứng cử bầu cử thêm của đơn vị {unit} đang trống',
    'results.pool.duplicate-candidate': 'Người ứng cử {candidate} có hai lần trong danh sách bầu cử thêm',
    'results.pool.not-a-candidate': 'Người ứng cử {candidate} không ứng cử ở đơn vị {unit} trong lần bầu trước',
    'results.pool.already-elected': 'Người ứng cử {candidate} đã trúng cử; chỉ người chưa trúng cử được bầu cử thêm',
    // Where an input problem is.
    'results.input.location.row-column': 'Dòng {row}, cột "{column}"',
    'results.input.location.row': 'Dòng {row}',
    'results.input.location.file': 'Tệp {path}',
    'results.input.location.unit': 'Đơn vị bầu cử {unit}, trường {field}',
    // What the input problem is.
    'results.input.required': 'thiếu giá trị',
    'results.input.not-integer': 'giá trị "{value}" không phải số nguyên (chỉ gồm các chữ số 0–9)',
    'results.input.negative': 'giá trị "{value}" là số âm; số lượng không được âm',
    'results.input.too-large': 'giá trị "{value}" quá lớn',
    'results.input.not-count': 'giá trị "{value}" không phải số nguyên không âm',
    'results.input.bad-date': 'ngày sinh "{value}" không hợp lệ; cần một ngày có thật dạng YYYY-MM-DD (ví dụ 1970-05-19)',
    'results.input.votes-exceed-valid': 'số phiếu bầu {votes} lớn hơn số phiếu hợp lệ {valid} của đơn vị bầu cử',
    'results.input.voted-exceeds-total': 'số cử tri đã bỏ phiếu {voted} lớn hơn tổng số cử tri {total}',
    'results.input.unknown-round': 'lần bầu "{value}" không hợp lệ; chỉ nhận first, revote hoặc additional',
    'results.input.seats-positive': 'số đại biểu được bầu "{value}" phải là số nguyên dương',
    'results.input.seats-range': 'số đại biểu được bầu {value} nằm ngoài khoảng {min}–{max} của loại cuộc bầu cử này',
    'results.input.duplicate-candidate': 'mã người ứng cử "{candidate}" bị lặp trong đơn vị bầu cử {unit}',
    'results.input.unit-disagrees':
      'đơn vị bầu cử "{unit}" có giá trị "{value}" khác với "{first}" ở dòng {firstRow}; các cột của đơn vị phải giống nhau trên mọi dòng',
    'results.input.field-count': 'dòng có {actual} cột nhưng dòng tiêu đề có {expected} cột',
    'results.input.missing-column': 'thiếu cột bắt buộc "{column}" ở dòng tiêu đề',
    'results.input.unknown-column': 'cột "{column}" không thuộc định dạng đầu vào',
    'results.input.duplicate-column': 'cột "{column}" xuất hiện hơn một lần ở dòng tiêu đề',
    'results.input.empty-file': 'tệp rỗng; cần dòng tiêu đề và ít nhất một dòng dữ liệu',
    'results.input.no-data': 'tệp chỉ có dòng tiêu đề, không có dòng dữ liệu nào',
    'results.input.unclosed-quote': 'lỗi cú pháp CSV: dấu ngoặc kép mở ở dòng này không được đóng',
    'results.input.text-after-quote': 'lỗi cú pháp CSV: có ký tự ngay sau dấu ngoặc kép đóng (cần dấu phẩy hoặc xuống dòng)',
    'results.input.not-utf8': 'tệp không được mã hóa UTF-8',
    'results.input.more-errors': 'và {count} lỗi khác',
    // Command line.
    'results.cli.usage':
      'Cách dùng: npm run results -- --type <national-assembly|provincial-council|commune-council> --input <tệp.csv> [--format json|csv]',
    'results.cli.input-errors': 'Dữ liệu đầu vào không hợp lệ ({count} lỗi):',
    'results.cli.unknown-type': 'loại cuộc bầu cử "{value}" không có; chọn một trong: {allowed}',
    'results.cli.bad-format': 'định dạng "{value}" không được hỗ trợ; chọn json hoặc csv',
    'results.cli.missing-option': 'thiếu tham số {option}',
    'results.cli.missing-value': 'tham số {option} cần một giá trị',
    'results.cli.unknown-option': 'tham số "{value}" không hợp lệ',
    'results.cli.file-unreadable': 'không đọc được tệp "{path}" ({detail})',
  },
  en: {
    'results.unit.complete': 'Electoral unit {unit}: all {seats} seats filled; turnout {turnout}%.',
    'results.unit.seats-unfilled':
      'Electoral unit {unit}: {filled}/{seats} seats filled, not fewer than {numerator}/{denominator} of the seats, so no additional election; {unfilled} seat(s) stay vacant.',
    'results.unit.seats-unfilled-after-additional':
      'Electoral unit {unit}: {filled}/{seats} seats filled after the additional election; no second additional election, {unfilled} seat(s) stay vacant.',
    'results.unit.additional-election-required':
      'Electoral unit {unit}: only {filled}/{seats} seats filled, fewer than {numerator}/{denominator} of the seats; an additional election is required, dated by the committee of the same level.',
    'results.unit.additional-election-for-nec-decision':
      'Electoral unit {unit}: only {filled}/{seats} seats filled; the board records it in its minutes and it is referred to the National Election Council, which decides on an additional election.',
    'results.unit.revote-required':
      'Electoral unit {unit}: turnout {turnout}% is not more than half of the listed voters; the result is not recognised and a re-vote is required.',
    'results.unit.tie-needs-decision':
      'Electoral unit {unit}: candidates with equal votes and the same date of birth compete for the last seat(s); the winners cannot be determined without a decision by the competent body.',
    'results.note.revote-accepted-low-turnout':
      'Re-vote: turnout {turnout}% is again not more than half, but the result is recognised; there is no second re-vote.',
    'results.reason.elected': 'Elected: {votes} votes, {percent}% of valid ballots, rank {rank}',
    'results.reason.elected-tie-older':
      'Elected: {votes} votes, {percent}% of valid ballots, tied with {others}; the older candidate wins; this candidate, born {born}, is the older',
    'results.reason.below-majority':
      'Not elected: {votes} votes, {percent}% of valid ballots, not more than half of the valid ballots',
    'results.reason.outranked':
      'Not elected: {votes} votes, {percent}% of valid ballots, more than half but rank {rank}, behind candidates with more votes for {seats} seat(s)',
    'results.reason.tie-lost-younger':
      'Not elected: tied on votes ({votes}) with {others} for the last seat(s); the older candidate wins; this candidate, born {born}, is younger',
    'results.reason.tie-undecided':
      'Undecided: tied on votes ({votes}) and born on the same day {born} as another of {tied}; needs a decision by the competent body',
    'results.reason.turnout-not-met':
      'Undecided: the unit result is not recognised because turnout ({turnout}%) is not more than half; {votes} votes, {percent}% of valid ballots',
    'results.pool.no-additional-election': 'Electoral unit {unit} does not call for an additional election (status {status})',
    'results.pool.second-additional-election': 'Electoral unit {unit} has already held an additional election; there is no second one',
    'results.pool.empty-pool': 'The additional-election candidate list of unit {unit} is empty',
    'results.pool.duplicate-candidate': 'Candidate {candidate} appears twice in the additional-election list',
    'results.pool.not-a-candidate': 'Candidate {candidate} did not stand in unit {unit} in the previous round',
    'results.pool.already-elected': 'Candidate {candidate} is already elected; only non-winners may stand in an additional election',
    'results.input.location.row-column': 'Row {row}, column "{column}"',
    'results.input.location.row': 'Row {row}',
    'results.input.location.file': 'File {path}',
    'results.input.location.unit': 'Electoral unit {unit}, field {field}',
    'results.input.required': 'value missing',
    'results.input.not-integer': 'value "{value}" is not an integer (digits 0–9 only)',
    'results.input.negative': 'value "{value}" is negative; counts cannot be negative',
    'results.input.too-large': 'value "{value}" is too large',
    'results.input.not-count': 'value "{value}" is not a non-negative integer',
    'results.input.bad-date': 'date of birth "{value}" is not valid; a real date written YYYY-MM-DD is needed (e.g. 1970-05-19)',
    'results.input.votes-exceed-valid': 'votes {votes} exceed the unit\'s valid ballots {valid}',
    'results.input.voted-exceeds-total': 'voters who voted {voted} exceed total voters {total}',
    'results.input.unknown-round': 'round "{value}" is not valid; only first, revote or additional',
    'results.input.seats-positive': 'seats "{value}" must be a positive integer',
    'results.input.seats-range': 'seats {value} is outside the range {min}–{max} of this contest type',
    'results.input.duplicate-candidate': 'candidate id "{candidate}" is repeated in electoral unit {unit}',
    'results.input.unit-disagrees':
      'electoral unit "{unit}" has value "{value}" but "{first}" on row {firstRow}; a unit\'s columns must agree on every row',
    'results.input.field-count': 'the row has {actual} columns but the header has {expected}',
    'results.input.missing-column': 'required column "{column}" is missing from the header',
    'results.input.unknown-column': 'column "{column}" is not part of the input format',
    'results.input.duplicate-column': 'column "{column}" appears more than once in the header',
    'results.input.empty-file': 'the file is empty; a header row and at least one data row are needed',
    'results.input.no-data': 'the file has a header row but no data rows',
    'results.input.unclosed-quote': 'CSV syntax error: a double quote opened on this row is never closed',
    'results.input.text-after-quote': 'CSV syntax error: characters right after a closing double quote (a comma or line end is needed)',
    'results.input.not-utf8': 'the file is not UTF-8 encoded',
    'results.input.more-errors': 'and {count} more error(s)',
    'results.cli.usage':
      'Usage: npm run results -- --type <national-assembly|provincial-council|commune-council> --input <file.csv> [--format json|csv]',
    'results.cli.input-errors': 'Invalid input ({count} error(s)):',
    'results.cli.unknown-type': 'contest type "{value}" does not exist; choose one of: {allowed}',
    'results.cli.bad-format': 'format "{value}" is not supported; choose json or csv',
    'results.cli.missing-option': 'option {option} is missing',
    'results.cli.missing-value': 'option {option} needs a value',
    'results.cli.unknown-option': 'option "{value}" is not valid',
    'results.cli.file-unreadable': 'cannot read file "{path}" ({detail})',
  },
};

// Parameters that hold percentages: printed with exactly two decimals in the reader's convention.
const PERCENT_PARAMS = new Set(['percent', 'turnout']);

/**
 * Renders a results message without an I18n instance (the CLI has none): number parameters in the language's
 * convention ("335.484" in Vietnamese), percentage parameters (`percent`, `turnout`) with two decimals ("98,74").
 * A missing English text falls back to Vietnamese; an unknown key renders as itself.
 */
export function renderResultsMessage(lang: Lang, key: string, params: Record<string, unknown> = {}): string {
  const template = resultsMessages[lang][key] ?? resultsMessages.vi[key] ?? key;
  return template.replace(/\{(\w+)\}/g, (m, p: string) => {
    const v = params[p];
    if (v === undefined) return m;
    if (typeof v === 'number') return PERCENT_PARAMS.has(p) ? formatPercent(v, lang) : formatNumber(v, lang);
    return String(v);
  });
}
