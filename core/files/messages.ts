// User-facing strings of stored uploads (Vietnamese first, English second): every FileRejection code has a key
// `files.<code without FILE_, lower case>`.
import type { Catalogue } from '../shared/i18n.js';

export const FILES_MESSAGES: Catalogue = {
  vi: {
    'files.empty': 'Chưa chọn tệp, hoặc tệp «{name}» rỗng (0 byte). Hãy chọn lại tệp cần tải lên.',
    'files.too_large': 'Tệp «{name}» quá lớn: tối đa {max} (tệp gửi lên {size}). Hãy quét lại với độ phân giải thấp hơn hoặc tách thành nhiều tệp.',
    'files.type_not_allowed': 'Tệp «{name}» không đúng loại cho phép. Chỉ nhận: {allowed}.',
    'files.type_mismatch': 'Tên tệp «{name}» ghi là {declared} nhưng nội dung là {detected}. Hãy lưu lại tệp đúng định dạng rồi tải lên.',
    'files.corrupt': 'Tệp «{name}» bị hỏng hoặc không đọc được (có thể tải lên chưa hết). Hãy mở thử tệp trên máy rồi tải lên lại.',
    'files.upload_invalid': 'Không đọc được tệp gửi lên ở ô «{field}». Hãy chọn lại tệp và gửi lại.',
  },
  en: {
    'files.empty': 'No file chosen, or the file «{name}» is empty (0 bytes). Choose the file to upload again.',
    'files.too_large': 'The file «{name}» is too large: at most {max} (sent: {size}). Scan at a lower resolution or split it into several files.',
    'files.type_not_allowed': 'The file «{name}» is not of an accepted type. Accepted: {allowed}.',
    'files.type_mismatch': 'The file name «{name}» says {declared} but its content is {detected}. Save the file in the right format and upload it again.',
    'files.corrupt': 'The file «{name}» is damaged or unreadable (perhaps not fully uploaded). Open it on your computer and upload it again.',
    'files.upload_invalid': 'The file sent in the field «{field}» could not be read. Choose the file again and resend.',
  },
};
