// Structure statistics (rules 18, 24) on the published 2021 National Assembly candidate list (868 candidates,
// election day 23 May 2021, current term XIV). The figures are those in docs/candidates.md; they agree with the
// NEC's published 2021 figures (women 393 = 45.28 %, ethnic minorities 185 = 21.31 %, non-Party 74 = 8.53 %).
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import {
  ageBand,
  candidateStatistics,
  checkStructureTargets,
  educationBand,
  parseGender,
  profileFromListRow,
  type CandidateListRow,
} from '../../core/elections/candidates/statistics.js';
import { nationalAssemblyContest } from '../../plugins/national-assembly/contest-type.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const dataDir = process.env.REFERENCE_DATA_DIR ?? path.resolve(repoRoot, '../shared/data');

function loadRows(): CandidateListRow[] {
  const csv = fs.readFileSync(path.join(dataDir, 'na15_2021_candidates.csv'), 'utf8');
  return parse(csv, { columns: true, skip_empty_lines: true }) as CandidateListRow[];
}

describe('classification helpers', () => {
  it('gender in any Unicode form', () => {
    expect(parseGender('Nữ')).toBe('female');
    expect(parseGender('Nữ'.normalize('NFD'))).toBe('female');
    expect(parseGender(' nữ ')).toBe('female');
    expect(parseGender('Nam')).toBe('male');
    expect(parseGender('')).toBeUndefined();
  });
  it('education bands, NFC and NFD alike', () => {
    expect(educationBand('Phó Giáo sư, Tiến sĩ')).toBe('postgraduate');
    expect(educationBand('Thạc sĩ'.normalize('NFD'))).toBe('postgraduate');
    expect(educationBand('Cử nhân')).toBe('university');
    expect(educationBand('Bác sĩ chuyên khoa cấp II')).toBe('university');
    expect(educationBand('Cao đẳng')).toBe('below');
    expect(educationBand('')).toBeUndefined();
  });
  it('age bands', () => {
    expect([39, 40, 49, 50, 59, 60, 65, 66].map(ageBand)).toEqual(['under40', '40to50', '40to50', '50to60', '50to60', '60to65', '60to65', 'over65']);
  });
  it('partial dates of birth count as unknown age unless the band is certain', () => {
    const s = candidateStatistics(
      [{ dateOfBirth: { year: 1981 } }, { dateOfBirth: { year: 1970 } }, { dateOfBirth: { year: 1981, month: 6 } }, {}],
      { electionDay: '2021-05-23', currentTerm: 'XIV' },
    );
    // 1981: 39 or 40 → unknown; 1970: 50 or 51 → 50to60; June 1981: 39 → under40; no date → unknown
    expect(s.age.unknown.count).toBe(2);
    expect(s.age['50to60'].count).toBe(1);
    expect(s.under40).toEqual({ count: 1, percent: 25, unknown: 2 });
  });
});

describe('2021 NA official candidate list (golden)', () => {
  const rows = loadRows();
  const stats = candidateStatistics(rows.map(profileFromListRow), { electionDay: '2021-05-23', currentTerm: 'XIV' });

  it('868 candidates, all dates of birth parsed', () => {
    expect(stats.total).toBe(868);
    expect(stats.age.unknown.count).toBe(0);
  });
  it('indicators', () => {
    expect(stats.women).toEqual({ count: 393, percent: 45.28, unknown: 0 });
    expect(stats.ethnicMinority).toEqual({ count: 185, percent: 21.31, unknown: 0 });
    expect(stats.nonParty).toEqual({ count: 74, percent: 8.53, unknown: 0 });
    expect(stats.under40).toEqual({ count: 221, percent: 25.46, unknown: 0 });
    expect(stats.religious).toEqual({ count: 22, percent: 2.53, unknown: 1 });
    expect(stats.selfNominated.unknown).toBe(868);
    expect(stats.central.unknown).toBe(868);
  });
  it('deputy history (incumbents = deputies of term XIV)', () => {
    expect(stats.deputyHistory).toEqual({
      incumbent: { count: 205, percent: 23.62 },
      formerDeputy: { count: 9, percent: 1.04 },
      firstTime: { count: 654, percent: 75.34 },
      unknown: { count: 0, percent: 0 },
    });
  });
  it('education and age bands sum to 100.00', () => {
    expect(stats.education).toEqual({
      postgraduate: { count: 554, percent: 63.82 },
      university: { count: 303, percent: 34.91 },
      below: { count: 1, percent: 0.12 },
      unknown: { count: 10, percent: 1.15 },
    });
    expect(stats.age).toEqual({
      under40: { count: 221, percent: 25.46 },
      '40to50': { count: 365, percent: 42.05 },
      '50to60': { count: 236, percent: 27.19 },
      '60to65': { count: 36, percent: 4.15 },
      over65: { count: 10, percent: 1.15 },
      unknown: { count: 0, percent: 0 },
    });
    for (const b of [stats.education, stats.age, stats.deputyHistory]) {
      expect(Math.round(Object.values(b).reduce((s, x) => s + x.percent * 100, 0))).toBe(10000);
    }
  });
  it('structure targets of the NA contest are met', () => {
    expect(checkStructureTargets(stats, nationalAssemblyContest).map((t) => [t.id, t.count, t.percent, t.minPercent, t.met])).toEqual([
      ['women', 393, 45.28, 35, true],
      ['ethnic-minority', 185, 21.31, 18, true],
    ]);
  });
  it('a target just below the threshold is not met (exact comparison)', () => {
    const s = { ...stats, total: 100, women: { count: 34, percent: 34, unknown: 0 } };
    expect(checkStructureTargets(s, nationalAssemblyContest)[0].met).toBe(false);
  });
});
