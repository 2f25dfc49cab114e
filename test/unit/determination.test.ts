// Determination of results (rules 24, 26–31): exact thresholds, ties, additional elections, re-votes,
// province finalisation, a property test against a naive oracle, and the nationwide speed budget.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { AdditionalElectionRule } from '../../core/plugin-api/contest-type.js';
import {
  canFinaliseProvince,
  determineUnit,
  determineUnits,
  isIsoDate,
  seatsForAdditional,
  shortfallStatus,
  validateAdditionalPool,
  type CandidateTally,
  type DeterminationParams,
  type Round,
  type UnitResult,
  type UnitStatus,
  type UnitTally,
} from '../../core/elections/results/determination.js';
import { renderResultsMessage, resultsMessages } from '../../core/elections/results/messages.js';

const NA: DeterminationParams = { seats: { min: 1, max: 3 }, additionalElection: { kind: 'refer-to-nec' } };
const COUNCIL: DeterminationParams = {
  seats: { min: 1, max: 5 },
  additionalElection: { kind: 'below-fraction', numerator: 2, denominator: 3 },
};

let seq = 0;
/** A candidate; ids are unique across the file so that tests can't confuse them. */
function cand(votes: number, dateOfBirth = '1970-01-01', name?: string): CandidateTally {
  seq++;
  return { candidateId: `c${seq}`, name: name ?? `Ứng cử viên ${seq}`, dateOfBirth, votes };
}

function tally(over: Partial<UnitTally> & { candidates: CandidateTally[] }): UnitTally {
  return {
    unitId: 'U1',
    seats: 1,
    votersTotal: 1000,
    votersVoted: 900,
    ballotsValid: 880,
    ballotsInvalid: 20,
    round: 'first',
    ...over,
  };
}

function run(t: UnitTally, params: DeterminationParams = COUNCIL): UnitResult {
  const r = determineUnit(t, params);
  if (!r.ok) throw new Error(`unexpected issues: ${JSON.stringify(r.error)}`);
  return r.value;
}

const byId = (r: UnitResult, c: CandidateTally) => {
  const found = r.candidates.find((x) => x.candidateId === c.candidateId);
  if (!found) throw new Error(`no result for ${c.candidateId}`);
  return found;
};
const explanationOf = (r: UnitResult, c: { candidateId: string }) =>
  r.explanation.candidates.find((e) => e.candidateId === c.candidateId)!;
const electedIds = (r: UnitResult) => r.candidates.filter((c) => c.elected).map((c) => c.candidateId).sort();

describe('rule 26 — turnout must be strictly above 50 % of listed voters', () => {
  it('turnout exactly 50 % fails: re-vote required, nobody elected', () => {
    const a = cand(450);
    const r = run(tally({ votersTotal: 1000, votersVoted: 500, ballotsValid: 480, candidates: [a, cand(400)] }));
    expect(r.turnoutPercent).toBe(50);
    expect(r.status).toBe('revote-required');
    expect(r.seatsFilled).toBe(0);
    expect(r.candidates.every((c) => !c.elected && c.reason === 'turnout-not-met')).toBe(true);
    expect(r.explanation.unit.key).toBe('results.unit.revote-required');
  });

  it('50 % + 1 voter passes', () => {
    const a = cand(400);
    const r = run(tally({ votersTotal: 1000, votersVoted: 501, ballotsValid: 480, candidates: [a] }));
    expect(r.turnoutPercent).toBe(50.1);
    expect(r.status).toBe('complete');
    expect(byId(r, a).elected).toBe(true);
  });

  it('odd voter totals: 500 of 999 passes (50.05 %), 499 of 999 fails; the comparison is exact, not on the rounded %', () => {
    expect(run(tally({ votersTotal: 999, votersVoted: 500, ballotsValid: 500, candidates: [cand(400)] })).status).toBe('complete');
    expect(run(tally({ votersTotal: 999, votersVoted: 499, ballotsValid: 499, candidates: [cand(400)] })).status).toBe(
      'revote-required',
    );
    // 100,001 of 200,001 prints as 50.00 % yet is more than half; 100,000 of 200,000 is exactly half.
    const over = run(tally({ votersTotal: 200_001, votersVoted: 100_001, ballotsValid: 100, candidates: [cand(60)] }));
    expect(over.turnoutPercent).toBe(50);
    expect(over.status).toBe('complete');
    expect(run(tally({ votersTotal: 200_000, votersVoted: 100_000, ballotsValid: 100, candidates: [cand(60)] })).status).toBe(
      'revote-required',
    );
  });

  it('a unit with no listed voters cannot be recognised', () => {
    expect(run(tally({ votersTotal: 0, votersVoted: 0, ballotsValid: 0, candidates: [cand(0)] })).status).toBe('revote-required');
  });

  it('applies to an additional election too (only a re-vote is exempt)', () => {
    const r = run(tally({ round: 'additional', votersTotal: 1000, votersVoted: 500, ballotsValid: 490, candidates: [cand(400)] }));
    expect(r.status).toBe('revote-required');
  });
});

describe('rule 27 — a winner needs strictly more than 50 % of valid ballots; seats by descending votes', () => {
  it('votes exactly 50 % of valid fails; one more vote passes', () => {
    const half = cand(440);
    const r1 = run(tally({ ballotsValid: 880, candidates: [half, cand(300)] }));
    expect(byId(r1, half)).toMatchObject({ elected: false, reason: 'below-majority', percentOfValid: 50 });
    expect(r1.status).toBe('additional-election-required');
    const more = cand(441);
    const r2 = run(tally({ ballotsValid: 880, candidates: [more, cand(300)] }));
    expect(byId(r2, more)).toMatchObject({ elected: true, reason: 'elected', percentOfValid: 50.11 });
    expect(r2.status).toBe('complete');
  });

  it('compares integers, not rounded percentages: 100,001 of 200,001 (50.00 %) wins, 100,000 of 200,001 (50.00 %) loses', () => {
    const win = cand(100_001);
    const lose = cand(100_000);
    const big = { votersTotal: 300_000, votersVoted: 250_000, ballotsValid: 200_001 };
    const rw = run(tally({ ...big, candidates: [win] }));
    expect(byId(rw, win)).toMatchObject({ percentOfValid: 50, elected: true });
    const rl = run(tally({ ...big, candidates: [lose] }));
    expect(byId(rl, lose)).toMatchObject({ percentOfValid: 50, elected: false, reason: 'below-majority' });
  });

  it('more qualified candidates than seats: the ones with most votes win, the rest are outranked', () => {
    const [a, b, c, d, e] = [cand(800), cand(700), cand(600), cand(500), cand(100)];
    const r = run(tally({ seats: 2, ballotsValid: 880, candidates: [e, d, c, b, a] }));
    expect(electedIds(r)).toEqual([a, b].map((x) => x.candidateId).sort());
    expect(byId(r, c).reason).toBe('outranked');
    expect(byId(r, d).reason).toBe('outranked'); // 500 of 880 is over half, but ranked 4th
    expect(byId(r, e).reason).toBe('below-majority');
    expect(r.candidates.map((x) => x.candidateId)).toEqual([a, b, c, d, e].map((x) => x.candidateId));
  });

  it('no valid ballots: nobody can win', () => {
    const r = run(tally({ seats: 2, ballotsValid: 0, ballotsInvalid: 900, candidates: [cand(0), cand(0)] }));
    expect(r.seatsFilled).toBe(0);
    expect(r.candidates.every((c) => c.reason === 'below-majority' && c.percentOfValid === 0)).toBe(true);
  });
});

describe('rule 28 — tie at the last seat: the older candidate wins; identical birth dates need a decision', () => {
  it('different birth dates: the older wins, the younger loses as tie-lost-younger', () => {
    const top = cand(800, '1980-01-01');
    const older = cand(600, '1965-07-20');
    const younger = cand(600, '1965-07-21');
    const r = run(tally({ seats: 2, candidates: [younger, top, older] }));
    expect(r.status).toBe('complete');
    expect(byId(r, top).elected).toBe(true);
    expect(byId(r, older)).toMatchObject({ elected: true, reason: 'elected', rank: 2 });
    expect(byId(r, younger)).toMatchObject({ elected: false, reason: 'tie-lost-younger', rank: 2 });
    expect(explanationOf(r, older).key).toBe('results.reason.elected-tie-older');
    expect(explanationOf(r, younger).key).toBe('results.reason.tie-lost-younger');
  });

  it('three tied for two open seats: the two oldest win', () => {
    const [a, b, c] = [cand(500, '1970-03-01'), cand(500, '1960-03-01'), cand(500, '1975-03-01')];
    const r = run(tally({ seats: 2, candidates: [a, b, c] }));
    expect(electedIds(r)).toEqual([a, b].map((x) => x.candidateId).sort());
    expect(byId(r, c).reason).toBe('tie-lost-younger');
  });

  it('identical birth dates at the boundary: tie-undecided, nobody of them elected, status tie-needs-decision', () => {
    const top = cand(800, '1990-01-01');
    const [a, b] = [cand(600, '1970-05-05'), cand(600, '1970-05-05')];
    const r = run(tally({ seats: 2, candidates: [top, a, b] }));
    expect(r.status).toBe('tie-needs-decision');
    expect(r.seatsFilled).toBe(1);
    expect(byId(r, a)).toMatchObject({ elected: false, reason: 'tie-undecided' });
    expect(byId(r, b)).toMatchObject({ elected: false, reason: 'tie-undecided' });
    expect(canFinaliseProvince([r.status])).toBe(false);
  });

  it('identical birth dates decided by an older tied candidate and lost by a younger one', () => {
    // Tie of four for two open seats: the oldest wins outright, two same-day candidates compete for the other
    // seat, the youngest loses whatever the decision.
    const [oldest, same1, same2, youngest] = [
      cand(500, '1950-01-01'),
      cand(500, '1960-06-06'),
      cand(500, '1960-06-06'),
      cand(500, '1980-01-01'),
    ];
    const r = run(tally({ seats: 2, candidates: [youngest, same2, same1, oldest] }));
    expect(r.status).toBe('tie-needs-decision');
    expect(byId(r, oldest).elected).toBe(true);
    expect(byId(r, same1).reason).toBe('tie-undecided');
    expect(byId(r, same2).reason).toBe('tie-undecided');
    expect(byId(r, youngest).reason).toBe('tie-lost-younger');
    expect(r.seatsFilled).toBe(1);
  });

  it('identical birth dates that do not straddle the last seat are decided', () => {
    const [a, b, c] = [cand(500, '1960-06-06'), cand(500, '1960-06-06'), cand(500, '1980-01-01')];
    const r = run(tally({ seats: 2, candidates: [a, b, c] }));
    expect(r.status).toBe('complete');
    expect(electedIds(r)).toEqual([a, b].map((x) => x.candidateId).sort());
    expect(byId(r, c).reason).toBe('tie-lost-younger');
  });

  it('equal votes that all fit into the seats are no tie', () => {
    const [a, b, c] = [cand(700), cand(600, '1990-01-01'), cand(600, '1990-01-01')];
    const r = run(tally({ seats: 3, candidates: [a, b, c] }));
    expect(r.status).toBe('complete');
    expect(r.seatsFilled).toBe(3);
  });

  it('a tie below the majority threshold changes nothing', () => {
    const a = cand(600);
    const r = run(tally({ seats: 2, candidates: [a, cand(300, '1970-01-01'), cand(300, '1970-01-01')] }));
    expect(r.status).toBe('additional-election-required');
    expect(r.candidates.filter((c) => c.reason === 'below-majority')).toHaveLength(2);
  });

  it('ranks by standard competition ranking (1, 2, 2, 4)', () => {
    const r = run(tally({ seats: 3, candidates: [cand(700), cand(600), cand(600), cand(500), cand(100)] }));
    expect(r.candidates.map((c) => c.rank)).toEqual([1, 2, 2, 4, 5]);
  });
});

describe('rule 29 — additional election', () => {
  /** A unit with `winners` candidates over half of valid ballots and the rest far below. */
  function shortUnit(seats: number, winners: number, round: Round = 'first'): UnitTally {
    const cs = [...Array(winners)].map((_, i) => cand(800 - i));
    cs.push(cand(10), cand(5), cand(1));
    return tally({ seats, round, candidates: cs });
  }
  const cases: [number, number, UnitStatus][] = [
    [1, 0, 'additional-election-required'],
    [2, 1, 'additional-election-required'], // 1·3 = 3 < 4
    [3, 2, 'seats-unfilled'], // 2·3 = 6 = 6
    [3, 1, 'additional-election-required'], // 3 < 6
    [4, 3, 'seats-unfilled'], // 9 ≥ 8
    [4, 2, 'additional-election-required'], // 6 < 8
    [5, 4, 'seats-unfilled'], // 12 ≥ 10
    [5, 3, 'additional-election-required'], // 9 < 10
    [5, 5, 'complete'],
  ];
  it.each(cases)('council, %i seats, %i winners → %s (2/3 threshold)', (seats, winners, status) => {
    const r = run(shortUnit(seats, winners), COUNCIL);
    expect(r.seatsFilled).toBe(winners);
    expect(r.status).toBe(status);
  });

  it('NA: any shortfall is referred to the NEC (even 2 of 3)', () => {
    expect(run(shortUnit(3, 2), NA).status).toBe('additional-election-for-nec-decision');
    expect(run(shortUnit(2, 0), NA).status).toBe('additional-election-for-nec-decision');
    expect(run(shortUnit(3, 3), NA).status).toBe('complete');
  });

  it('shortfallStatus compares fractions exactly for other numerators', () => {
    const half: AdditionalElectionRule = { kind: 'below-fraction', numerator: 1, denominator: 2 };
    expect(shortfallStatus(2, 4, half)).toBe('seats-unfilled');
    expect(shortfallStatus(1, 4, half)).toBe('additional-election-required');
    expect(shortfallStatus(4, 4, half)).toBe('complete');
  });

  it('after an additional election there is none further: short is seats-unfilled (council and NA)', () => {
    const council = run(shortUnit(3, 0, 'additional'), COUNCIL);
    expect(council.status).toBe('seats-unfilled');
    expect(council.explanation.unit.key).toBe('results.unit.seats-unfilled-after-additional');
    expect(run(shortUnit(2, 1, 'additional'), NA).status).toBe('seats-unfilled');
  });

  it('a re-vote that falls short may still call for an additional election', () => {
    expect(run(shortUnit(3, 1, 'revote'), COUNCIL).status).toBe('additional-election-required');
  });

  it('validates the candidate pool: only first-round non-winners of that unit', () => {
    const first = run(shortUnit(3, 1));
    const winner = first.candidates.find((c) => c.elected)!.candidateId;
    const losers = first.candidates.filter((c) => !c.elected).map((c) => c.candidateId);
    expect(seatsForAdditional(first)).toBe(2);
    expect(validateAdditionalPool(first, losers)).toEqual({ ok: true, value: losers });

    const bad = validateAdditionalPool(first, [winner, 'stranger', losers[0], losers[0]]);
    expect(bad.ok).toBe(false);
    if (!bad.ok) expect(bad.error.map((i) => i.code).sort()).toEqual(['already-elected', 'duplicate-candidate', 'not-a-candidate']);

    const empty = validateAdditionalPool(first, []);
    expect(!empty.ok && empty.error.map((i) => i.code)).toEqual(['empty-pool']);
  });

  it('refuses a pool for a unit that needs no additional election, and a second additional election', () => {
    const unfilled = run(shortUnit(3, 2));
    const r1 = validateAdditionalPool(unfilled, unfilled.candidates.filter((c) => !c.elected).map((c) => c.candidateId));
    expect(!r1.ok && r1.error.map((i) => i.code)).toEqual(['no-additional-election']);

    const additional = run(shortUnit(3, 0, 'additional'));
    const r2 = validateAdditionalPool(additional, additional.candidates.map((c) => c.candidateId));
    expect(!r2.ok && r2.error.map((i) => i.code)).toEqual(['second-additional-election']);

    const nec = run(shortUnit(3, 2), NA);
    expect(validateAdditionalPool(nec, nec.candidates.filter((c) => !c.elected).map((c) => c.candidateId)).ok).toBe(true);
  });
});

describe('rule 30 — re-vote', () => {
  it('is accepted below 50 % turnout, with a note, and never asks for a second re-vote', () => {
    const a = cand(200);
    const r = run(tally({ round: 'revote', votersTotal: 1000, votersVoted: 300, ballotsValid: 290, candidates: [a, cand(50)] }));
    expect(r.turnoutPercent).toBe(30);
    expect(r.status).toBe('complete');
    expect(byId(r, a).elected).toBe(true);
    expect(r.explanation.notes.map((n) => n.key)).toEqual(['results.note.revote-accepted-low-turnout']);
  });

  it('exactly 50 % and even zero turnout are accepted in a re-vote', () => {
    for (const voted of [500, 0]) {
      const r = run(tally({ round: 'revote', votersTotal: 1000, votersVoted: voted, ballotsValid: voted, candidates: [cand(voted)] }));
      expect(r.status).not.toBe('revote-required');
    }
  });

  it('property: a re-vote never yields revote-required', () => {
    fc.assert(
      fc.property(fc.nat({ max: 1000 }), fc.nat({ max: 1000 }), (a, b) => {
        const [voted, total] = a <= b ? [a, b] : [b, a];
        const r = run(tally({ round: 'revote', votersTotal: total, votersVoted: voted, ballotsValid: voted, candidates: [cand(voted)] }));
        expect(r.status).not.toBe('revote-required');
      }),
    );
  });
});

describe('rule 31 — province minutes wait for pending units', () => {
  it('cannot be finalised while any unit needs a re-vote, an additional election, an NEC decision or a tie decision', () => {
    for (const pending of [
      'revote-required',
      'additional-election-required',
      'additional-election-for-nec-decision',
      'tie-needs-decision',
    ] as UnitStatus[]) {
      expect(canFinaliseProvince(['complete', pending, 'seats-unfilled'])).toBe(false);
    }
  });

  it('can be finalised when every unit is complete or has seats left unfilled', () => {
    expect(canFinaliseProvince(['complete', 'seats-unfilled', 'complete'])).toBe(true);
    expect(canFinaliseProvince([])).toBe(true);
  });

  it('works on determined units', () => {
    const units = determineUnits(
      [
        tally({ unitId: 'A', candidates: [cand(700)] }),
        tally({ unitId: 'B', votersVoted: 400, candidates: [cand(300)] }),
      ],
      COUNCIL,
    );
    if (!units.ok) throw new Error('unexpected');
    expect(canFinaliseProvince(units.value.map((u) => u.status))).toBe(false);
    expect(canFinaliseProvince(units.value.filter((u) => u.unitId === 'A').map((u) => u.status))).toBe(true);
  });
});

describe('rule 24 — percentages in the result', () => {
  it('are two-decimal half-up: 2/3 → 66.67, 1/3 → 33.33', () => {
    const [a, b] = [cand(2), cand(1)];
    const r = run(tally({ votersTotal: 3, votersVoted: 2, ballotsValid: 3, ballotsInvalid: 0, candidates: [a, b] }));
    expect(r.turnoutPercent).toBe(66.67);
    expect(byId(r, a).percentOfValid).toBe(66.67);
    expect(byId(r, b).percentOfValid).toBe(33.33);
  });
});

describe('input validation', () => {
  it('reports every problem of a tally instead of determining it', () => {
    const r = determineUnit(
      {
        unitId: 'U9',
        seats: 6,
        votersTotal: 10,
        votersVoted: 11,
        ballotsValid: 5,
        round: 'first',
        candidates: [
          { candidateId: 'x', name: 'X', dateOfBirth: '1970-02-29', votes: 6 },
          { candidateId: 'x', name: 'Y', dateOfBirth: '1970-01-01', votes: -1 },
        ],
      },
      COUNCIL,
    );
    expect(r.ok).toBe(false);
    if (!r.ok)
      expect(r.error.map((i) => `${i.field}:${i.code}`).sort()).toEqual(
        [
          'seats:seats-range',
          'votersVoted:voted-exceeds-total',
          'candidates[0].dateOfBirth:bad-date',
          'candidates[0].votes:votes-exceed-valid',
          'candidates[1].candidateId:duplicate-candidate',
          'candidates[1].votes:not-count',
        ].sort(),
      );
  });

  it('determineUnits reports all units’ problems together', () => {
    const r = determineUnits(
      [tally({ unitId: 'A', seats: 0, candidates: [cand(1)] }), tally({ unitId: 'B', candidates: [cand(5000)] })],
      COUNCIL,
    );
    expect(!r.ok && r.error.map((i) => `${i.unitId}:${i.code}`)).toEqual(['A:seats-positive', 'B:votes-exceed-valid']);
  });

  it('isIsoDate accepts real dates only', () => {
    expect(isIsoDate('2000-02-29')).toBe(true);
    expect(isIsoDate('1900-02-29')).toBe(false);
    expect(isIsoDate('1970-13-01')).toBe(false);
    expect(isIsoDate('1970-1-01')).toBe(false);
    expect(isIsoDate('01/02/1970')).toBe(false);
  });
});

describe('explanations', () => {
  it('every key used exists in both languages and renders in Vietnamese', () => {
    const units = [
      tally({ seats: 2, candidates: [cand(800), cand(600, '1960-01-01'), cand(600, '1970-01-01'), cand(100)] }),
      tally({ seats: 1, candidates: [cand(600, '1960-01-01'), cand(600, '1960-01-01'), cand(600, '1970-01-01')] }),
      tally({ seats: 1, candidates: [cand(700), cand(600)] }),
      tally({ votersVoted: 100, candidates: [cand(50)] }),
      tally({ round: 'revote', votersVoted: 100, ballotsValid: 100, candidates: [cand(60)] }),
      tally({ seats: 3, candidates: [cand(800), cand(10)] }),
      tally({ seats: 3, candidates: [cand(800), cand(700), cand(10)] }),
      tally({ seats: 3, round: 'additional', candidates: [cand(10)] }),
    ];
    const results = [
      ...units.map((u) => run(u, COUNCIL)),
      run(tally({ seats: 3, candidates: [cand(800)] }), NA),
    ];
    const keys = new Set<string>();
    for (const r of results) {
      keys.add(r.explanation.unit.key);
      r.explanation.notes.forEach((n) => keys.add(n.key));
      r.explanation.candidates.forEach((e) => keys.add(e.key));
    }
    // Every explanation text of the catalogue is reachable, and nothing outside it is produced.
    const catalogued = Object.keys(resultsMessages.vi).filter((k) => /^results\.(unit|note|reason)\./.test(k));
    expect([...keys].sort()).toEqual(catalogued.sort());
    const first = results[0];
    const winner = first.candidates[0];
    const e = explanationOf(first, winner);
    expect(renderResultsMessage('vi', e.key, e.params)).toBe(
      'Trúng cử: 800 phiếu, 90,91% số phiếu hợp lệ, xếp thứ 1',
    );
    expect(renderResultsMessage('en', first.explanation.unit.key, first.explanation.unit.params)).toBe(
      'Electoral unit U1: all 2 seats filled; turnout 90.00%.',
    );
  });

  it('the catalogue has the same keys in both languages, all prefixed results.', () => {
    expect(Object.keys(resultsMessages.en).sort()).toEqual(Object.keys(resultsMessages.vi).sort());
    expect(Object.keys(resultsMessages.vi).every((k) => k.startsWith('results.'))).toBe(true);
  });
});

describe('property — random units', () => {
  const dobs = ['1950-01-01', '1960-06-15', '1960-06-15', '1975-12-31', '1990-03-03'];
  const unitArb = fc
    .record({
      seats: fc.integer({ min: 1, max: 5 }),
      valid: fc.integer({ min: 0, max: 60 }),
      total: fc.integer({ min: 0, max: 200 }),
      votedShare: fc.integer({ min: 0, max: 100 }),
      round: fc.constantFrom<Round>('first', 'revote', 'additional'),
      cands: fc.array(fc.record({ votesShare: fc.integer({ min: 0, max: 100 }), dob: fc.constantFrom(...dobs) }), {
        maxLength: 9,
      }),
    })
    .map(({ seats, valid, total, votedShare, round, cands }): UnitTally => {
      const voted = Math.floor((total * votedShare) / 100);
      return {
        unitId: 'P',
        seats,
        votersTotal: total,
        votersVoted: voted,
        ballotsValid: valid,
        round,
        // Coarse vote values make ties frequent.
        candidates: cands.map((c, i) => ({
          candidateId: `p${i}`,
          name: `P${i}`,
          dateOfBirth: c.dob,
          votes: Math.floor((valid * Math.round(c.votesShare / 10) * 10) / 100),
        })),
      };
    });

  it('never elects more than the seats, nor anyone with ≤ 50 % of valid ballots; the elected are the top by votes', () => {
    fc.assert(
      fc.property(unitArb, fc.constantFrom(NA, COUNCIL), (u, params) => {
        const p = { ...params, seats: { min: 1, max: 5 } };
        const r = run(u, p);
        const votes = new Map(u.candidates.map((c) => [c.candidateId, c]));
        const elected = r.candidates.filter((c) => c.elected);
        expect(elected.length).toBeLessThanOrEqual(u.seats);
        expect(r.seatsFilled).toBe(elected.length);
        for (const e of elected) expect(2 * e.votes).toBeGreaterThan(u.ballotsValid);
        // Nobody left out has more votes than someone elected; equal votes only lose to an older candidate.
        for (const e of elected)
          for (const n of r.candidates.filter((c) => !c.elected && c.reason !== 'tie-undecided')) {
            expect(e.votes).toBeGreaterThanOrEqual(n.votes);
            if (e.votes === n.votes && 2 * n.votes > u.ballotsValid)
              expect(votes.get(e.candidateId)!.dateOfBirth < votes.get(n.candidateId)!.dateOfBirth).toBe(true);
          }
        // Oracle: sort by votes, then older first; the qualified top `seats` win unless same-day ties straddle.
        const recognised = u.round === 'revote' || 2 * u.votersVoted > u.votersTotal;
        if (!recognised) {
          expect(r.status).toBe('revote-required');
          expect(elected).toHaveLength(0);
          return;
        }
        const qualified = [...u.candidates]
          .filter((c) => 2 * c.votes > u.ballotsValid)
          .sort((a, b) => b.votes - a.votes || a.dateOfBirth.localeCompare(b.dateOfBirth));
        const take = qualified.slice(0, u.seats);
        const straddles =
          qualified.length > u.seats &&
          qualified[u.seats - 1].votes === qualified[u.seats].votes &&
          qualified[u.seats - 1].dateOfBirth === qualified[u.seats].dateOfBirth;
        if (straddles) {
          expect(r.status).toBe('tie-needs-decision');
        } else {
          expect(electedIds(r)).toEqual(take.map((c) => c.candidateId).sort());
          expect(r.status).not.toBe('tie-needs-decision');
          expect(r.status === 'complete').toBe(take.length === u.seats);
        }
        if (u.round === 'additional')
          expect(['additional-election-required', 'additional-election-for-nec-decision']).not.toContain(r.status);
      }),
      { numRuns: 3000 },
    );
  });
});

describe('speed', () => {
  it('determines ~75,000 units (all three contests nationally) in one call (timing: see bench/)', () => {
    // Deterministic pseudo-random data: 182 NA units, ~1,000 provincial and ~74,000 commune council units.
    let s = 12345;
    const rnd = (n: number) => {
      s = (s * 1103515245 + 12345) % 2147483648;
      return s % n;
    };
    const units: UnitTally[] = [];
    for (let i = 0; i < 75_000; i++) {
      const seats = 1 + rnd(5);
      const total = 2000 + rnd(20000);
      const voted = Math.floor(total * 0.99);
      const valid = voted - rnd(50);
      const candidates: CandidateTally[] = [];
      for (let k = 0; k < seats + 2 + rnd(2); k++)
        candidates.push({ candidateId: `u${i}c${k}`, name: `C${k}`, dateOfBirth: `19${50 + rnd(40)}-0${1 + rnd(9)}-1${rnd(9)}`, votes: rnd(valid + 1) });
      units.push({ unitId: `u${i}`, seats, votersTotal: total, votersVoted: voted, ballotsValid: valid, ballotsInvalid: voted - valid, round: 'first', candidates });
    }
    const r = determineUnits(units, COUNCIL);
    expect(r.ok).toBe(true);
    if (r.ok) expect(r.value).toHaveLength(75_000);
  });
});
