// The NA contest type against the election rules it encodes (shared/domain/election-rules.md, numbered rules).
import { describe, expect, it } from 'vitest';
import { minSurplusFor } from '../../../core/plugin-api/index.js';
import { nationalAssemblyContest as contest } from '../contest-type.js';

describe('national-assembly contest type', () => {
  it('is the contest of the national-assembly plugin', () => {
    expect(contest.id).toBe('national-assembly');
  });

  it('rule 4: NA electoral units lie within a province', () => {
    expect(contest.unitLevel).toBe('province');
  });

  it('rule 3: an NA unit elects 1 to 3 deputies', () => {
    expect(contest.seats).toEqual({ min: 1, max: 3 });
  });

  it.each([1, 2, 3])('rule 17: a unit with %i seat(s) needs at least 2 more candidates than seats', (seats) => {
    expect(minSurplusFor(contest, seats)).toBe(2);
  });

  it.each([0, 4])('rule 17: there is no surplus rule for %i seats (outside rule 3)', (seats) => {
    expect(minSurplusFor(contest, seats)).toBeUndefined();
  });

  it('rule 29: any unfilled seat is referred to the NEC, which decides on an additional election', () => {
    expect(contest.additionalElection).toEqual({ kind: 'refer-to-nec' });
  });

  it('rule 18: women ≥ 35 % of the national official list, binding', () => {
    expect(contest.structureTargets.find((t) => t.id === 'women')).toMatchObject({ minPercent: 35, level: 'national', binding: true });
  });

  it('rule 18: ethnic minorities ≥ 18 % at national level, binding', () => {
    expect(contest.structureTargets.find((t) => t.id === 'ethnic-minority')).toMatchObject({
      minPercent: 18,
      level: 'national',
      binding: true,
    });
  });

  it('rule 18: no other structure target binds (other indicators are report dimensions)', () => {
    expect(contest.structureTargets.map((t) => t.id).sort()).toEqual(['ethnic-minority', 'women']);
  });

  it('rule 19: an NA candidate files 2 dossier sets', () => {
    expect(contest.dossierSets).toBe(2);
  });

  it('rule 19 / §5.2: the dossier uses NEC forms 01–03/HĐBC-QH and the asset declaration 09/HĐBC', () => {
    expect(contest.dossierForms).toEqual({
      application: '01/HĐBC-QH',
      cv: '02/HĐBC-QH',
      biography: '03/HĐBC-QH',
      assetDeclaration: '09/HĐBC',
    });
  });

  it('rule 7: an NA election board has 9 to 17 members', () => {
    expect(contest.boardSize).toEqual({ min: 9, max: 17 });
  });

  it('rules 26 and 27: turnout and winning both need strictly more than 50 %', () => {
    expect(contest.turnoutThresholdPercent).toBe(50);
    expect(contest.winThresholdPercent).toBe(50);
  });
});
