// The administrative tree pages and API on the imported reference lists: accent-free search (and with accents, and
// by code), Vietnamese sort order and the other sorts, pagination, type filter, "as of" dates, 404s, English.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/test-app.js';
import { waitReferenceImport } from '../helpers/admin-tree.js';

let app: TestApp;
const get = async (p: string) => {
  const res = await fetch(app.url + p);
  return { status: res.status, html: await res.text() };
};
const api = async (p: string) => (await fetch(app.url + p)).json();
/** The first cell text of each body row of the first tree table (codes). */
const codes = (html: string) => [...html.matchAll(/<tr>\s*<td class="code">(\d+)<\/td>/g)].map((m) => m[1]);

beforeAll(async () => {
  app = await startTestApp('tree_pages', { AUTO_IMPORT_REFERENCE: 'true' });
  expect((await waitReferenceImport(app)).communes.status).toBe('succeeded');
});
afterAll(async () => {
  await app?.close();
});

describe('tree pages', () => {
  it('GET /tree lists the 34 provinces with counts per type and national totals', async () => {
    const { status, html } = await get('/tree?asOf=2025-07-01');
    expect(status).toBe(200);
    expect(codes(html)).toHaveLength(34);
    expect(html).toContain('Số liệu có hiệu lực tại ngày 01/07/2025.');
    for (const n of ['2.621', '687', '3.321', '28 tỉnh · 6 thành phố']) expect(html).toContain(n);
    // Hồ Chí Minh City: 54 xã, 113 phường, 1 đặc khu, 168.
    expect(html).toMatch(/Thành phố Hồ Chí Minh<\/a><\/th>\s*<td>Thành phố trực thuộc trung ương<\/td>\s*<td class="num">54<\/td>\s*<td class="num">113<\/td>\s*<td class="num">1<\/td>\s*<td class="num"><strong>168<\/strong>/);
    // No inline script (CSP): only external ones.
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(html).toContain('<script src="/static/js/tree.js" defer></script>');
  });

  it('sorts provinces in Vietnamese order by default (by the proper name), and by code or count on request', async () => {
    const byName = codes((await get('/tree')).html);
    // An Giang, Bắc Ninh, Cà Mau, Cao Bằng, Cần Thơ, Đà Nẵng, Đắk Lắk, Điện Biên, Đồng Nai …
    expect(byName.slice(0, 9)).toEqual(['91', '24', '96', '04', '92', '48', '66', '11', '75']);
    const byCode = codes((await get('/tree?sort=code')).html);
    expect(byCode[0]).toBe('01');
    expect(byCode).toEqual([...byCode].sort());
    expect(codes((await get('/tree?sort=code&dir=desc')).html)[0]).toBe('96');
    expect(codes((await get('/tree?sort=total&dir=desc')).html)[0]).toBe('79'); // 168 communes
    const byType = (await get('/tree?sort=type')).html;
    expect(byType.indexOf('Thành phố Cần Thơ')).toBeLessThan(byType.indexOf('Tỉnh An Giang')); // thành phố < tỉnh
    expect(byType).toContain('aria-sort="ascending"');
  });

  it('finds units without accents, with accents and by code', async () => {
    const plain = await api('/api/v1/tree/search?q=ba%20dinh');
    expect(plain.items.map((i: { name: string }) => i.name)).toEqual(['Xã Ba Dinh', 'Phường Ba Đình', 'Xã Ba Đình']);
    // Typed with accents: the exact spelling comes first.
    const accented = await api('/api/v1/tree/search?q=' + encodeURIComponent('Ba Đình'));
    expect(accented.items.map((i: { name: string }) => i.name).slice(0, 2)).toEqual(['Phường Ba Đình', 'Xã Ba Đình']);
    expect(accented.total).toBe(3);
    const byCode = await api('/api/v1/tree/search?q=00004');
    expect(byCode.items).toEqual([expect.objectContaining({ code: '00004', name: 'Phường Ba Đình', parentCode: '01', parentName: 'Thành phố Hà Nội', href: expect.stringContaining('/tree/01?q=00004') })]);
    const province = await api('/api/v1/tree/search?q=ho%20chi%20minh');
    expect(province.items[0]).toMatchObject({ code: '79', level: 'province' });
    // Whole-word prefixes only: "inh" is inside words, not at their start.
    expect((await api('/api/v1/tree/search?q=inh')).total).toBe(0);
    // Search page, paginated by 50 ("phuong" also finds "Xã Phương Bình": accents are ignored).
    const total = (await api('/api/v1/tree/search?q=phuong')).total as number;
    expect(total).toBeGreaterThan(687);
    const pages = Math.ceil(total / 50);
    const { html } = await get('/tree?q=phuong');
    expect(html).toContain(`Kết quả tìm «phuong»: ${total} đơn vị`);
    expect(html).toContain(`Trang 1/${pages}`);
    expect(codes(html)).toHaveLength(50);
    const last = await get(`/tree?q=phuong&page=${pages}`);
    expect(codes(last.html)).toHaveLength(total - 50 * (pages - 1));
    expect((await get('/tree?q=khong%20co%20dau%20nay')).html).toContain('Không tìm thấy đơn vị nào khớp');
  });

  it('GET /tree/:code lists a province\'s communes with search, type filter, sort and pagination', async () => {
    const { status, html } = await get('/tree/79');
    expect(status).toBe(200);
    expect(html).toContain('<h1>Thành phố Hồ Chí Minh</h1>');
    expect(html).toContain('Trang 1/4 · 168 mục');
    expect(codes(html)).toHaveLength(50);
    const dk = await get('/tree/79?type=' + encodeURIComponent('đặc khu'));
    expect(codes(dk.html)).toEqual(['26732']);
    expect(dk.html).toContain('<option value="đặc khu" selected>');
    const q = await get('/tree/01?q=ba%20dinh');
    expect(codes(q.html)).toEqual(['00004']); // only Hà Nội's
    const byCode = codes((await get('/tree/01?sort=code')).html);
    expect(byCode.slice(0, 3)).toEqual(['00004', '00008', '00025']);
    expect((await get('/tree/99')).status).toBe(404);
    const nf = await get('/tree/99');
    expect(nf.html).toContain('Không có tỉnh, thành phố mã «99»');
    expect((await get('/tree/abc')).status).toBe(404);
  });

  it('reads the tree as of a date: nothing before 1 July 2025, a message for a bad date', async () => {
    const before = await get('/tree?asOf=2025-06-30');
    expect(before.html).toContain('Chưa có dữ liệu đơn vị hành chính tại ngày 30/06/2025.');
    expect((await get('/tree/79?asOf=2025-06-30')).status).toBe(404);
    const bad = await get('/tree?asOf=31-12-2025');
    expect(bad.status).toBe(200);
    expect(bad.html).toContain('Ngày «31-12-2025» không hợp lệ; đang hiển thị theo ngày hôm nay.');
    expect((await fetch(app.url + '/api/v1/tree/search?q=a&asOf=x')).status).toBe(400);
    // Shortcuts: today and the date the tree changed.
    expect((await get('/tree')).html).toContain('Thay đổi 01/07/2025');
  });

  it('speaks English with ?lang=en', async () => {
    const { html } = await get('/tree?lang=en&asOf=2025-07-01');
    expect(html).toContain('Administrative units');
    expect(html).toContain('Units in force on 2025-07-01.');
    expect(html).toContain('Centrally-governed city');
  });

  it('the home page counts the tree in force today', async () => {
    const { html } = await get('/');
    expect(html).toContain('34 tỉnh, thành phố và 3.321 đơn vị hành chính cấp xã');
  });
});
