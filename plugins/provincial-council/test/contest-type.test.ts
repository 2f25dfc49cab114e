// The provincial-council contest type against the election rules it encodes (shared/domain/election-rules.md, numbered rules).
import { describe, expect, it } from 'vitest';
import { minSurplusFor, type AdditionalElectionRule } from '../../../core/plugin-api/index.js';
import { provincialCouncilContest as contest } from '../contest-type.js';

/** Rule 29 for councils, stated in integers as the law reads: additional election iff winners < 2/3 × seats. */
function needsAdditionalElection(rule: AdditionalElectionRule, seats: number, winners: number): boolean {
  if (rule.kind !== 'below-fraction') throw new Error('not a council rule');
  return winners * rule.denominator < seats * rule.numerator;
}

describe('provincial-council contest type', () => {
  it('is the contest of the provincial-council plugin', () => {
    expect(contest.id).toBe('provincial-council');
  });

  it('rule 4: provincial-council electoral units lie within a province', () => {
    expect(contest.unitLevel).toBe('province');
  });

  it('rule 3: a council unit elects 1 to 5 deputies', () => {
    expect(contest.seats).toEqual({ min: 1, max: 5 });
  });

  it.each([
    [1, 1],
    [2, 1],
    [3, 2],
    [4, 3],
    [5, 3],
  ])('rule 17: a unit with %i seat(s) needs at least %i more candidate(s) than seats', (seats, surplus) => {
    expect(minSurplusFor(contest, seats)).toBe(surplus);
  });

  it.each([0, 6])('rule 17: there is no surplus rule for %i seats (outside rule 3)', (seats) => {
    expect(minSurplusFor(contest, seats)).toBeUndefined();
  });

  it('rule 29: an additional election only below two-thirds of the seats', () => {
    expect(contest.additionalElection).toEqual({ kind: 'below-fraction', numerator: 2, denominator: 3 });
  });

  it.each([
    // [seats, fewest winners that avoid an additional election]
    [1, 1],
    [2, 2],
    [3, 2],
    [4, 3],
    [5, 4],
  ])('rule 29: with %i seat(s), %i winner(s) are enough and one fewer triggers an additional election', (seats, enough) => {
    expect(needsAdditionalElection(contest.additionalElection, seats, enough)).toBe(false);
    expect(needsAdditionalElection(contest.additionalElection, seats, enough - 1)).toBe(true);
  });

  it('rule 18: no structure target binds a council list', () => {
    expect(contest.structureTargets.filter((t) => t.binding)).toEqual([]);
  });

  it('rule 19: a council candidate files 1 dossier set', () => {
    expect(contest.dossierSets).toBe(1);
  });

  it('rule 19 / §5.2: the dossier uses NEC forms 05–07/HĐBC-HĐND and the asset declaration 09/HĐBC', () => {
    expect(contest.dossierForms).toEqual({
      application: '05/HĐBC-HĐND',
      cv: '06/HĐBC-HĐND',
      biography: '07/HĐBC-HĐND',
      assetDeclaration: '09/HĐBC',
    });
  });

  it('rule 7: a provincial-council election board has 11 to 15 members', () => {
    expect(contest.boardSize).toEqual({ min: 11, max: 15 });
  });

  it('rules 26 and 27: turnout and winning both need strictly more than 50 %', () => {
    expect(contest.turnoutThresholdPercent).toBe(50);
    expect(contest.winThresholdPercent).toBe(50);
  });
});
