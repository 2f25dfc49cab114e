// Rule 24 on the results pages: percentages with two decimals half-up, and every breakdown the unit, province and
// national pages show (voters who voted / did not, valid / invalid ballots, provinces' shares of the nation's valid
// ballots) adjusted to sum to exactly 100.00 by the largest-remainder method, where plain rounding would not.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import type { EntityManager } from '@mikro-orm/postgresql';
import { startTestApp, type TestApp } from '../helpers/test-app.js';
import { createElection, clientAs } from '../helpers/structure.js';
import type { TestClient } from '../helpers/client.js';
import { seedResultsStructure, acceptMinutes, type SeedUnit } from '../helpers/results.js';
import { applyMinutes } from '../../core/elections/results/aggregation.js';

let app: TestApp;
let em: EntityManager;
let electionId: string;
let na: SeedUnit[];
let nec: TestClient;

/** The rule-24 breakdown tables of a page: caption-less rows label → percent text, and the total row. */
function breakdowns(html: string): { rows: [string, string][]; total: string }[] {
  return [...html.matchAll(/<table class="table rs-breakdown">([\s\S]*?)<\/table>/g)].map((m) => ({
    rows: [...m[1].matchAll(/<tr><th scope="row">([^<]+)<\/th><td class="num">[^<]*<\/td><td class="num">([^<]+)%<\/td><\/tr>/g)].map((r) => [r[1], r[2]] as [string, string]),
    total: /<tfoot>[\s\S]*?<td class="num">([^<]+)%<\/td>/.exec(m[1])?.[1] ?? '',
  }));
}
const hundredths = (s: string) => Math.round(Number(s.replace(',', '.')) * 100);

beforeAll(async () => {
  app = await startTestApp('results_rule24_pages', { LOG_LEVEL: 'silent' });
  em = app.orm.em.fork();
  electionId = await createElection(app, { day: '2026-03-15', contests: ['national-assembly'] });
  const units = await seedResultsStructure(em, electionId, {
    provinces: [{ communes: [{ areas: 1 }] }, { communes: [{ areas: 1 }] }, { communes: [{ areas: 1 }] }],
    naUnitsPerProvince: 1, seats: () => 2,
  });
  na = units.filter((u) => u.contest === 'national-assembly');
  // Each province: 19,999 valid and 1 invalid — plain rounding gives 100.00 + 0.01 = 100.01; and three equal
  // provinces' shares of the nation's valid ballots give 33.33 × 3 = 99.99 with plain rounding.
  const counts = [
    { voters_total: 30_000, voters_voted: 20_000, ballots_valid: 19_999, ballots_invalid: 1 },
    { voters_total: 30_000, voters_voted: 20_000, ballots_valid: 19_999, ballots_invalid: 1 },
    { voters_total: 30_000, voters_voted: 20_000, ballots_valid: 19_999, ballots_invalid: 1 },
  ];
  for (const [i, u] of na.entries()) {
    const r = await acceptMinutes(em, electionId, { areaId: u.areas[0], unitId: u.id, contest: u.contest, counts: counts[i],
      votes: Object.fromEntries(u.candidates.map((c, k) => [c.id, [15_000, 12_000, 3_000, 999][k]])) });
    await applyMinutes(em, electionId, r.minutesId);
  }
  nec = await clientAs(app, 'nec-official', 'nation', 'VN');
}, 120_000);
afterAll(async () => app?.close());

describe('rule 24 on the results pages', () => {
  it('rule 24: unit page — candidate % half-up on the third decimal; valid / invalid shown as 100,00 / 0,00 (plain rounding: 100.01)', async () => {
    const html = await nec.text(`/elections/${electionId}/results/unit/${na[0].id}`);
    expect(html).toContain('75,00%'); // 15,000 / 19,999 = 75.0037… → 75.00
    expect(html).toContain('60,00%'); // 12,000 / 19,999 = 60.0030… → 60.00
    expect(html).toContain('15,00%'); // 3,000 / 19,999 = 15.0007… → 15.00
    expect(html).toContain('5,00%'); // 999 / 19,999 = 4.9952… → 5.00 (half-up on the third decimal)
    const b = breakdowns(html);
    expect(b).toHaveLength(2);
    expect(b[0].rows).toEqual([['Đã tham gia bỏ phiếu', '66,67'], ['Không tham gia bỏ phiếu', '33,33']]);
    expect(b[1].rows).toEqual([['Phiếu hợp lệ', '100,00'], ['Phiếu không hợp lệ', '0,00']]);
    for (const x of b) {
      expect(x.total).toBe('100,00');
      expect(x.rows.reduce((s, [, p]) => s + hundredths(p), 0)).toBe(10000);
    }
    expect(html).toContain('Đã điều chỉnh phần trăm để tổng bằng đúng 100,00%');
  });

  it('rule 24: province page — its totals with the same breakdowns summing to 100,00', async () => {
    const html = await nec.text(`/elections/${electionId}/results/province/R02?contest=national-assembly`);
    const b = breakdowns(html);
    expect(b).toHaveLength(2);
    expect(b[1].rows).toEqual([['Phiếu hợp lệ', '100,00'], ['Phiếu không hợp lệ', '0,00']]);
    expect(b.every((x) => x.total === '100,00')).toBe(true);
  });

  it('rule 24: national page — three equal provinces\' shares are 33,34 + 33,33 + 33,33 (plain rounding: 99.99)', async () => {
    const html = await nec.text(`/elections/${electionId}/results?contest=national-assembly`);
    const shares = [...html.matchAll(/<td class="num rs-share">([^<]*)%<\/td>/g)].map((m) => m[1]);
    expect(shares).toEqual(['33,34', '33,33', '33,33']);
    expect(/<td class="num rs-share-total">([^<]+)%<\/td>/.exec(html)?.[1]).toBe('100,00');
    const b = breakdowns(html);
    expect(b[1].rows).toEqual([['Phiếu hợp lệ', '100,00'], ['Phiếu không hợp lệ', '0,00']]);
  });
});
