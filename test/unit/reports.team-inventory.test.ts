// Rule 23 on the team count minutes form: when the minutes give the ballot-paper inventory, the form states it in a
// closing sentence (the exact form fields are uncertain, [U]); without it the form is unchanged (the PDF snapshot of
// test/integration/reports.forms.test.ts has no inventory and stays the same).
import { describe, it, expect } from 'vitest';
import * as views from '../../core/reports/forms/forms.views.js';
import type { TeamMinutesData } from '../../core/reports/forms/forms.data.js';

const t = (k: string) => k;
const data = (inventory?: TeamMinutesData['inventory']): TeamMinutesData => ({
  election: { id: '00000000-0000-4000-8000-000000000001', name: 'Bầu cử thử', day: '2026-03-15' } as TeamMinutesData['election'],
  contest: 'national-assembly', province: 'Thành phố Hồ Chí Minh', commune: 'Phường Bến Thành', councilName: 'Thành phố Hồ Chí Minh',
  area: { number: 15, name: 'Trường Tiểu học' }, unit: { number: 1, name: 'Đơn vị 1', seats: 3 },
  figures: { votersTotal: 1_005, votersVoted: 1_000, issued: 1_000, received: 1_000, valid: 985, invalid: 15 },
  ...(inventory ? { inventory } : {}),
  votes: [{ name: 'Trần Văn Ất', votes: 801 }],
});

describe('team count minutes form: ballot inventory (rule 23)', () => {
  it('rule 23: the inventory is stated, with the issued count between, when the minutes give it', () => {
    const v = views.teamMinutesView(t as never, data({ fromBoard: 1_100, unused: 95, spoiled: 5 }), '2026-03-16', 'doc');
    expect(v.closing[0]).toBe('Kiểm kê phiếu bầu: số phiếu nhận từ Ban bầu cử 1.100; số phiếu đã phát ra 1.000; số phiếu không sử dụng (đã niêm phong) 95; số phiếu hỏng đã đổi (đã niêm phong) 5.');
    expect(v.closing).toHaveLength(2);
  });
  it('rule 23: a field not given reads "không ghi"; without any inventory the closing is only the copies line', () => {
    expect(views.teamMinutesView(t as never, data({ fromBoard: 1_100, unused: null, spoiled: 5 }), '2026-03-16', 'doc').closing[0]).toContain('không sử dụng (đã niêm phong) không ghi');
    const plain = views.teamMinutesView(t as never, data(), '2026-03-16', 'doc');
    expect(plain.closing).toHaveLength(1);
    expect(plain.closing[0]).toMatch(/^Biên bản này được lập thành 03 bản/);
  });
});
