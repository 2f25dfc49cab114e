// Texts of the count-minute rule catalogue (rules.ts): for each code one text for the clerk entering the minutes
// and one for the supervisor reviewing them; plus the field labels the texts name. Vietnamese first.
import { formatNumber, type Catalogue, type Lang } from '../../shared/i18n.js';
import { formatPercent } from '../../shared/percent.js';

/** Catalogue of every `count-minutes.` key. Parameters in braces; see {@link renderMinutesMessage}. */
export const countMinutesMessages: Catalogue = {
  vi: {
    'count-minutes.field.votersTotal': 'Tổng số cử tri của khu vực bỏ phiếu',
    'count-minutes.field.votersVoted': 'Số lượng cử tri đã tham gia bỏ phiếu',
    'count-minutes.field.ballotsIssued': 'Số phiếu phát ra',
    'count-minutes.field.ballotsReceived': 'Số phiếu thu vào',
    'count-minutes.field.ballotsValid': 'Số phiếu hợp lệ',
    'count-minutes.field.ballotsInvalid': 'Số phiếu không hợp lệ',
    'count-minutes.field.votes': 'Số phiếu bầu cho người ứng cử {candidate}',
    'count-minutes.field.piles': 'Số phiếu để lại {k} tên',
    'count-minutes.field.complaints.received': 'Số khiếu nại, tố cáo nhận được',
    'count-minutes.field.complaints.resolved': 'Số khiếu nại, tố cáo Tổ bầu cử đã giải quyết',
    'count-minutes.field.complaints.forwarded': 'Số khiếu nại, tố cáo chuyển Ban bầu cử',
    'count-minutes.field.teamMembersPresent': 'Số thành viên Tổ bầu cử có mặt',
    'count-minutes.field.ballotsFromBoard': 'Số phiếu nhận từ Ban bầu cử',
    'count-minutes.field.ballotsUnused': 'Số phiếu không sử dụng (đã niêm phong)',
    'count-minutes.field.ballotsSpoiled': 'Số phiếu hỏng đã đổi (đã niêm phong)',

    'count-minutes.rule.F101.clerk': 'Ô "{field}" phải là số nguyên không âm (đã nhập: {value}).',
    'count-minutes.rule.F101.supervisor': 'Biên bản có ô "{field}" không phải số nguyên không âm ({value}); chưa thể lưu.',
    'count-minutes.rule.F102.clerk': 'Chỉ ghi số phiếu để lại từ 1 đến {seats} tên; nhóm phiếu để lại {k} tên không hợp lệ (phiếu để lại nhiều tên hơn số đại biểu được bầu là phiếu không hợp lệ).',
    'count-minutes.rule.F102.supervisor': 'Biên bản ghi nhóm phiếu để lại {k} tên trong khi đơn vị chỉ bầu {seats} đại biểu.',
    'count-minutes.rule.F103.clerk': 'Số khiếu nại đã giải quyết ({resolved}) cộng số chuyển Ban bầu cử ({forwarded}) không được lớn hơn số khiếu nại nhận được ({received}).',
    'count-minutes.rule.F103.supervisor': 'Số khiếu nại đã giải quyết và đã chuyển ({resolved} + {forwarded}) vượt số nhận được ({received}).',
    'count-minutes.rule.F104.clerk': 'Cuộc bầu cử này yêu cầu kiểm kê phiếu bầu: chưa nhập ô "{field}". Nếu không có, ghi 0.',
    'count-minutes.rule.F104.supervisor': 'Biên bản thiếu ô "{field}" của phần kiểm kê phiếu bầu, bắt buộc theo thiết lập của cuộc bầu cử.',
    'count-minutes.rule.W101.clerk': 'Còn {open} khiếu nại, tố cáo chưa giải quyết và chưa chuyển Ban bầu cử. Khiếu nại Tổ bầu cử không giải quyết được phải ghi vào biên bản và chuyển Ban bầu cử. Kiểm tra lại và ghi chú lý do.',
    'count-minutes.rule.W101.supervisor': 'Tổ bầu cử xác nhận còn {open}/{received} khiếu nại chưa giải quyết và chưa chuyển Ban bầu cử; xem ghi chú.',
    'count-minutes.rule.F201.clerk': 'Số cử tri đã bỏ phiếu ({voted}) không được lớn hơn tổng số cử tri của khu vực bỏ phiếu ({total}).',
    'count-minutes.rule.F201.supervisor': 'Số cử tri đã bỏ phiếu ({voted}) vượt tổng số cử tri ({total}).',
    'count-minutes.rule.F202.clerk': 'Số phiếu hợp lệ ({valid}) cộng số phiếu không hợp lệ ({invalid}) phải bằng số phiếu thu vào ({received}); hiện là {sum}.',
    'count-minutes.rule.F202.supervisor': 'Phiếu hợp lệ + không hợp lệ = {sum}, khác số phiếu thu vào ({received}).',
    'count-minutes.rule.F203.clerk': 'Số phiếu thu vào ({received}) không được lớn hơn số phiếu phát ra ({issued}).',
    'count-minutes.rule.F203.supervisor': 'Số phiếu thu vào ({received}) vượt số phiếu phát ra ({issued}).',
    'count-minutes.rule.F204.clerk': 'Số phiếu bầu cho người ứng cử {candidate} ({votes}) không được lớn hơn số phiếu hợp lệ ({valid}).',
    'count-minutes.rule.F204.supervisor': 'Người ứng cử {candidate} có {votes} phiếu, nhiều hơn số phiếu hợp lệ ({valid}).',
    'count-minutes.rule.F205.clerk': 'Tổng số phiếu bầu cho các người ứng cử ({sum}) không được nhỏ hơn số phiếu hợp lệ ({valid}): mỗi phiếu hợp lệ để lại ít nhất một tên.',
    'count-minutes.rule.F205.supervisor': 'Tổng số phiếu bầu ({sum}) nhỏ hơn số phiếu hợp lệ ({valid}).',
    'count-minutes.rule.F206.clerk': 'Tổng số phiếu bầu cho các người ứng cử ({sum}) không được lớn hơn {seats} × số phiếu hợp lệ ({max}): mỗi phiếu hợp lệ để lại nhiều nhất {seats} tên.',
    'count-minutes.rule.F206.supervisor': 'Tổng số phiếu bầu ({sum}) vượt {seats} × {valid} = {max}.',
    'count-minutes.rule.F207.clerk': 'Tổng số phiếu của các nhóm (để lại 1, 2, … tên) là {sum}, phải bằng số phiếu hợp lệ ({valid}).',
    'count-minutes.rule.F207.supervisor': 'Tổng các nhóm phiếu ({sum}) khác số phiếu hợp lệ ({valid}).',
    'count-minutes.rule.F208.clerk': 'Số tên để lại theo các nhóm phiếu (1 × nhóm 1 tên + 2 × nhóm 2 tên + …) là {names}, phải bằng tổng số phiếu bầu cho các người ứng cử ({votes}).',
    'count-minutes.rule.F208.supervisor': 'Số tên theo nhóm phiếu ({names}) khác tổng số phiếu bầu ({votes}).',
    'count-minutes.rule.F209.clerk': '{candidate} không có trong danh sách chính thức những người ứng cử của đơn vị bầu cử; xóa dòng này.',
    'count-minutes.rule.F209.supervisor': 'Biên bản ghi phiếu bầu cho {candidate}, người không có trong danh sách chính thức của đơn vị.',
    'count-minutes.rule.F210.clerk': 'Chưa ghi số phiếu bầu cho người ứng cử {candidate}; nếu không có phiếu nào, ghi 0.',
    'count-minutes.rule.F210.supervisor': 'Biên bản thiếu số phiếu của người ứng cử {candidate} trong danh sách chính thức.',
    'count-minutes.rule.F211.clerk': 'Kiểm kê phiếu bầu: số phiếu nhận từ Ban bầu cử ({fromBoard}) phải bằng số phiếu phát ra ({issued}) cộng số phiếu không sử dụng ({unused}) cộng số phiếu hỏng đã đổi ({spoiled}) = {sum}; chênh lệch {difference}. Đếm lại phiếu đã niêm phong.',
    'count-minutes.rule.F211.supervisor': 'Kiểm kê phiếu bầu không khớp: nhận từ Ban bầu cử {fromBoard}, phát ra + không sử dụng + hỏng đã đổi = {issued} + {unused} + {spoiled} = {sum} (chênh lệch {difference}).',
    'count-minutes.rule.W201.clerk': 'Số phiếu thu vào ({received}) khác số cử tri đã bỏ phiếu ({voted}). Kiểm tra lại danh sách cử tri và hòm phiếu; nếu đúng, xác nhận và ghi chú lý do.',
    'count-minutes.rule.W201.supervisor': 'Tổ bầu cử xác nhận số phiếu thu vào ({received}) khác số cử tri đã bỏ phiếu ({voted}); xem ghi chú.',
    'count-minutes.rule.W202.clerk': 'Có {missing} phiếu phát ra nhưng không thu vào ({issued} phát ra, {received} thu vào). Kiểm tra lại; nếu đúng, xác nhận và ghi chú lý do.',
    'count-minutes.rule.W202.supervisor': 'Tổ bầu cử xác nhận {missing} phiếu phát ra không thu về ({received}/{issued}); xem ghi chú.',
    'count-minutes.rule.W203.clerk': 'Số cử tri đã bỏ phiếu ({voted}) nhỏ hơn số đã báo cáo ở lần báo cáo tiến độ cuối cùng ({reported}). Kiểm tra lại; nếu đúng, xác nhận và ghi chú lý do.',
    'count-minutes.rule.W203.supervisor': 'Số cử tri đã bỏ phiếu trong biên bản ({voted}) thấp hơn số báo cáo tiến độ cuối cùng ({reported}); xem ghi chú.',
    'count-minutes.rule.W204.clerk': 'Tỷ lệ phiếu không hợp lệ là {share}% ({invalid}/{received}), cao hơn ngưỡng cảnh báo {threshold}%. Kiểm tra lại việc phân loại phiếu; nếu đúng, xác nhận và ghi chú.',
    'count-minutes.rule.W204.supervisor': 'Tỷ lệ phiếu không hợp lệ {share}% vượt ngưỡng cảnh báo {threshold}%; xem ghi chú của Tổ bầu cử.',
  },
  en: {
    'count-minutes.field.votersTotal': 'Total voters of the polling area',
    'count-minutes.field.votersVoted': 'Voters who voted',
    'count-minutes.field.ballotsIssued': 'Ballots issued',
    'count-minutes.field.ballotsReceived': 'Ballots received',
    'count-minutes.field.ballotsValid': 'Valid ballots',
    'count-minutes.field.ballotsInvalid': 'Invalid ballots',
    'count-minutes.field.votes': 'Votes for candidate {candidate}',
    'count-minutes.field.piles': 'Ballots leaving {k} names',
    'count-minutes.field.complaints.received': 'Complaints received',
    'count-minutes.field.complaints.resolved': 'Complaints resolved by the team',
    'count-minutes.field.complaints.forwarded': 'Complaints forwarded to the election board',
    'count-minutes.field.teamMembersPresent': 'Team members present',
    'count-minutes.field.ballotsFromBoard': 'Ballots received from the election board',
    'count-minutes.field.ballotsUnused': 'Unused ballots (sealed)',
    'count-minutes.field.ballotsSpoiled': 'Spoiled ballots exchanged (sealed)',

    'count-minutes.rule.F101.clerk': '"{field}" must be a whole number from 0 (entered: {value}).',
    'count-minutes.rule.F101.supervisor': 'The minutes have "{field}" that is not a whole number from 0 ({value}); they cannot be saved.',
    'count-minutes.rule.F102.clerk': 'Record piles for 1 to {seats} names only; a pile of ballots leaving {k} names is not allowed (a ballot leaving more names than seats is invalid).',
    'count-minutes.rule.F102.supervisor': 'The minutes record a pile of ballots leaving {k} names in a unit electing {seats}.',
    'count-minutes.rule.F103.clerk': 'Complaints resolved ({resolved}) plus forwarded to the board ({forwarded}) cannot exceed complaints received ({received}).',
    'count-minutes.rule.F103.supervisor': 'Complaints resolved and forwarded ({resolved} + {forwarded}) exceed those received ({received}).',
    'count-minutes.rule.F104.clerk': 'This election requires the ballot-paper inventory: "{field}" is missing. Write 0 if none.',
    'count-minutes.rule.F104.supervisor': 'The minutes lack "{field}" of the ballot-paper inventory, which the election\'s setting requires.',
    'count-minutes.rule.W101.clerk': '{open} complaint(s) neither resolved nor forwarded to the board. A complaint the team cannot resolve must be recorded and forwarded. Check, and give the reason in a note.',
    'count-minutes.rule.W101.supervisor': 'The team confirmed {open}/{received} complaints neither resolved nor forwarded; see the note.',
    'count-minutes.rule.F201.clerk': 'Voters who voted ({voted}) cannot exceed the total voters of the polling area ({total}).',
    'count-minutes.rule.F201.supervisor': 'Voters who voted ({voted}) exceed the total voters ({total}).',
    'count-minutes.rule.F202.clerk': 'Valid ballots ({valid}) plus invalid ballots ({invalid}) must equal ballots received ({received}); they add up to {sum}.',
    'count-minutes.rule.F202.supervisor': 'Valid + invalid = {sum}, not ballots received ({received}).',
    'count-minutes.rule.F203.clerk': 'Ballots received ({received}) cannot exceed ballots issued ({issued}).',
    'count-minutes.rule.F203.supervisor': 'Ballots received ({received}) exceed ballots issued ({issued}).',
    'count-minutes.rule.F204.clerk': 'Votes for candidate {candidate} ({votes}) cannot exceed valid ballots ({valid}).',
    'count-minutes.rule.F204.supervisor': 'Candidate {candidate} has {votes} votes, more than the valid ballots ({valid}).',
    'count-minutes.rule.F205.clerk': 'Total candidate votes ({sum}) cannot be below valid ballots ({valid}): every valid ballot leaves at least one name.',
    'count-minutes.rule.F205.supervisor': 'Total candidate votes ({sum}) are below valid ballots ({valid}).',
    'count-minutes.rule.F206.clerk': 'Total candidate votes ({sum}) cannot exceed {seats} × valid ballots ({max}): a valid ballot leaves at most {seats} names.',
    'count-minutes.rule.F206.supervisor': 'Total candidate votes ({sum}) exceed {seats} × {valid} = {max}.',
    'count-minutes.rule.F207.clerk': 'The piles (ballots leaving 1, 2, … names) add up to {sum}; they must equal valid ballots ({valid}).',
    'count-minutes.rule.F207.supervisor': 'The piles add up to {sum}, not valid ballots ({valid}).',
    'count-minutes.rule.F208.clerk': 'Names left according to the piles (1 × 1-name pile + 2 × 2-name pile + …) are {names}; they must equal total candidate votes ({votes}).',
    'count-minutes.rule.F208.supervisor': 'Names by piles ({names}) differ from total candidate votes ({votes}).',
    'count-minutes.rule.F209.clerk': '{candidate} is not on the official candidate list of the electoral unit; remove this line.',
    'count-minutes.rule.F209.supervisor': 'The minutes record votes for {candidate}, who is not on the unit’s official list.',
    'count-minutes.rule.F210.clerk': 'No votes recorded for candidate {candidate}; write 0 if there were none.',
    'count-minutes.rule.F210.supervisor': 'The minutes lack the votes of listed candidate {candidate}.',
    'count-minutes.rule.F211.clerk': 'Ballot-paper inventory: ballots received from the board ({fromBoard}) must equal ballots issued ({issued}) plus unused ballots ({unused}) plus spoiled ballots exchanged ({spoiled}) = {sum}; the difference is {difference}. Recount the sealed ballots.',
    'count-minutes.rule.F211.supervisor': 'The ballot-paper inventory does not balance: {fromBoard} received from the board, issued + unused + spoiled = {issued} + {unused} + {spoiled} = {sum} (difference {difference}).',
    'count-minutes.rule.W201.clerk': 'Ballots received ({received}) differ from voters who voted ({voted}). Check the voter list and the ballot box; if correct, confirm and give the reason in a note.',
    'count-minutes.rule.W201.supervisor': 'The team confirmed ballots received ({received}) differing from voters who voted ({voted}); see the note.',
    'count-minutes.rule.W202.clerk': '{missing} ballot(s) issued but not received ({issued} issued, {received} received). Check; if correct, confirm and give the reason in a note.',
    'count-minutes.rule.W202.supervisor': 'The team confirmed {missing} issued ballot(s) not received ({received}/{issued}); see the note.',
    'count-minutes.rule.W203.clerk': 'Voters who voted ({voted}) are fewer than reported at the last turnout report ({reported}). Check; if correct, confirm and give the reason in a note.',
    'count-minutes.rule.W203.supervisor': 'Voters who voted in the minutes ({voted}) are below the last turnout report ({reported}); see the note.',
    'count-minutes.rule.W204.clerk': 'Invalid ballots are {share}% of ballots received ({invalid}/{received}), above the warning threshold of {threshold}%. Check how ballots were sorted; if correct, confirm and give a note.',
    'count-minutes.rule.W204.supervisor': 'Invalid share {share}% is above the warning threshold of {threshold}%; see the team’s note.',
  },
};

/** Parameters printed as two-decimal percentages (rule 24). */
const PERCENT_PARAMS = new Set(['share', 'threshold']);
/** Parameters printed as they are (ids, raw input), never as grouped numbers. */
const RAW_PARAMS = new Set(['candidate', 'value', 'k']);

/**
 * A message of the catalogue with its parameters in the reader's convention: counts grouped ("1.234"), `share`
 * and `threshold` as two-decimal percentages ("12,50"), and a `field` path ('votes.c1', 'piles.2') as its label.
 * `lookup` resolves a key of another catalogue (a plugin's rule texts); unknown keys show themselves.
 */
export function renderMinutesMessage(
  lang: Lang,
  key: string,
  params: Record<string, string | number> = {},
  lookup: (lang: Lang, key: string) => string | undefined = () => undefined,
): string {
  const template = countMinutesMessages[lang][key] ?? countMinutesMessages.vi[key] ?? lookup(lang, key) ?? key;
  return template.replace(/\{(\w+)\}/g, (m, p: string) => {
    const v = params[p];
    if (v === undefined) return m;
    if (p === 'field') return fieldLabel(lang, String(v));
    if (typeof v === 'number' && PERCENT_PARAMS.has(p)) return formatPercent(v, lang);
    if (typeof v === 'number' && !RAW_PARAMS.has(p)) return formatNumber(v, lang);
    return String(v);
  });
}

/** Label of a field path: 'ballotsValid' → "Số phiếu hợp lệ", 'votes.c1' → "Số phiếu bầu cho người ứng cử c1". */
export function fieldLabel(lang: Lang, path: string): string {
  const cat = countMinutesMessages[lang];
  const direct = cat[`count-minutes.field.${path}`];
  if (direct) return direct;
  const dot = path.indexOf('.');
  const [head, tail] = dot < 0 ? [path, ''] : [path.slice(0, dot), path.slice(dot + 1)];
  if (head === 'votes') return cat['count-minutes.field.votes']!.replace('{candidate}', tail);
  if (head === 'piles') return cat['count-minutes.field.piles']!.replace('{k}', tail);
  return path;
}
