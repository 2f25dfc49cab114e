// The legal calendar, pure: rule 9 deadlines for election day 15 March 2026 match the 2026 timeline
// (election-rules.md §8.1), N configurable per election, the 17:00 dossier deadline; rule 10 (election day is a
// Sunday) and rule 11 (voting hours 05:00–21:00, opening before closing); phases and form windows.
import { describe, it, expect } from 'vitest';
import { computeDeadlines, parseOverrides, DEADLINES, type DueDeadline } from '../../core/elections/calendar/deadlines.js';
import { checkElectionDay, checkVotingHours } from '../../core/elections/calendar/rules.js';
import { addDays, daysBetween, showDay, vnDate, vnInstant } from '../../core/elections/calendar/dates.js';
import { PHASES, formOpen, formFamilyOf, nextPhase, previousPhase } from '../../core/elections/phases.js';
import { ELECTIONS_MESSAGES } from '../../core/elections/messages.js';
import { I18n } from '../../core/shared/i18n.js';

const E = '2026-03-15';
const cal = computeDeadlines({ electionDay: E });
const due = (id: string, list: DueDeadline[] = cal) => {
  const d = list.find((x) => x.def.id === id);
  if (!d) throw new Error(`no deadline ${id}`);
  return d;
};

describe('rule 9 — deadlines for election day Sunday 15 March 2026 (§8.1)', () => {
  it.each([
    ['province-committees-formed', -105, '2025-11-30'],
    ['commune-committees-formed', -105, '2025-11-30'],
    ['na-units-fixed', -80, '2025-12-25'],
    ['provincial-council-units-fixed', -80, '2025-12-25'],
    ['commune-council-units-fixed', -80, '2025-12-25'],
    ['province-boards-formed', -70, '2026-01-04'],
    ['commune-boards-formed', -70, '2026-01-04'],
    ['teams-formed', -43, '2026-01-31'],
    ['dossiers-filed', -42, '2026-02-01'],
    ['voter-lists-posted', -40, '2026-02-03'],
    ['candidate-complaints-resolved', -10, '2026-03-05'],
    ['voter-list-complaints-resolved', -5, '2026-03-10'],
    ['voter-list-changes-cutoff', -1, '2026-03-14'],
    ['team-minutes-delivered', 3, '2026-03-18'],
    ['board-minutes-delivered', 5, '2026-03-20'],
    ['na-results-announced', 10, '2026-03-25'],
    ['provincial-council-results-announced', 10, '2026-03-25'],
    ['commune-council-results-announced', 10, '2026-03-25'],
    ['additional-or-revote-held', 15, '2026-03-30'],
  ])('rule 9: %s is E%i = %s', (id, days, date) => {
    const d = due(id);
    expect(d.days).toBe(days);
    expect(d.date).toBe(date);
  });

  it('rule 9: candidacy dossiers close at 17:00 on 1 February 2026, Vietnam time', () => {
    const d = due('dossiers-filed');
    expect(d.time).toBe('17:00');
    expect(d.dueAt.toISOString()).toBe('2026-02-01T10:00:00.000Z');
  });

  it('rule 9: deadlines without a time end at the end of their day in Vietnam', () => {
    expect(due('teams-formed').dueAt.toISOString()).toBe('2026-01-31T16:59:59.999Z');
  });

  it('rule 9: voter-list changes close 24 hours before voting starts (07:00 on 14 March, or the election\'s own opening time)', () => {
    expect(due('voter-list-changes-cutoff').dueAt.toISOString()).toBe('2026-03-14T00:00:00.000Z');
    const early = computeDeadlines({ electionDay: E, votingOpen: '06:00' });
    expect(due('voter-list-changes-cutoff', early).time).toBe('06:00');
  });

  it('rule 9: the [U] items are marked uncertain (commune council results, additional elections and re-votes, candidate complaints)', () => {
    const uncertain = DEADLINES.filter((d) => d.uncertain).map((d) => d.id).sort();
    expect(uncertain).toEqual(['additional-or-revote-held', 'candidate-complaints-resolved', 'commune-council-results-announced']);
  });

  it('rule 9: the calendar is in chronological order', () => {
    const t = cal.map((d) => d.dueAt.getTime());
    expect([...t].sort((a, b) => a - b)).toEqual(t);
  });

  it('rule 9: every N is configurable per election; the rest keep their defaults', () => {
    const c = computeDeadlines({ electionDay: E, overrides: { 'commune-council-results-announced': 7, 'teams-formed': -45 } });
    expect(due('commune-council-results-announced', c)).toMatchObject({ days: 7, date: '2026-03-22', overridden: true });
    expect(due('teams-formed', c)).toMatchObject({ days: -45, date: '2026-01-29', overridden: true });
    expect(due('na-results-announced', c)).toMatchObject({ days: 10, date: '2026-03-25', overridden: false });
  });

  it('rule 9: a by-election holding only the National Assembly contest has no council deadlines', () => {
    const c = computeDeadlines({ electionDay: E, contests: ['national-assembly'] });
    const ids = c.map((d) => d.def.id);
    expect(ids).toContain('na-units-fixed');
    expect(ids).toContain('province-boards-formed');
    expect(ids).not.toContain('provincial-council-units-fixed');
    expect(ids).not.toContain('commune-council-results-announced');
    expect(ids).toContain('teams-formed');
  });

  it('rule 9: overrides are validated — integers, on the same side of election day, within bounds; blanks and defaults are dropped', () => {
    expect(parseOverrides({ 'teams-formed': '-45', 'na-results-announced': '10', 'voter-lists-posted': '' })).toEqual({ ok: true, value: { 'teams-formed': -45 } });
    const bad = parseOverrides({ 'teams-formed': '5', 'na-results-announced': '-3', 'dossiers-filed': 'x', nope: '1' });
    expect(bad.ok).toBe(false);
    if (!bad.ok) expect(bad.error.details!.map((i) => [i.field, i.code])).toEqual([
      ['teams-formed', 'DEADLINE_DAYS_INVALID'], ['na-results-announced', 'DEADLINE_DAYS_INVALID'], ['dossiers-filed', 'DEADLINE_DAYS_INVALID'], ['nope', 'DEADLINE_UNKNOWN'],
    ]);
  });
});

describe('rule 10 — election day is a Sunday', () => {
  it('rule 10: accepts Sunday 15 March 2026 and Sunday 23 May 2021', () => {
    expect(checkElectionDay('2026-03-15')).toEqual({ ok: true, value: '2026-03-15' });
    expect(checkElectionDay('2021-05-23').ok).toBe(true);
  });

  it('rule 10: refuses Saturday 14 March 2026 with ELECTION_DAY_NOT_SUNDAY, naming the field and the weekday', () => {
    const r = checkElectionDay('2026-03-14');
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error.code).toBe('ELECTION_DAY_NOT_SUNDAY');
    expect(r.error.details).toEqual([expect.objectContaining({ field: 'electionDay', code: 'ELECTION_DAY_NOT_SUNDAY' })]);
    const i18n = new I18n();
    i18n.add('elections', ELECTIONS_MESSAGES);
    const vi = i18n.t('vi', r.error.messageKey, r.error.params);
    expect(vi).toContain('Ngày bầu cử');
    expect(vi).toContain('14/03/2026');
    expect(vi).toContain('Thứ Bảy');
    expect(vi).toContain('Chủ nhật');
    expect(i18n.t('en', r.error.messageKey, r.error.params)).toContain('Saturday');
  });

  it('rule 10: refuses every weekday of the week before, and a date that does not exist', () => {
    for (let i = 1; i <= 6; i++) expect(checkElectionDay(addDays('2026-03-15', -i)).ok).toBe(false);
    const r = checkElectionDay('2026-02-29');
    expect(!r.ok && r.error.code).toBe('ELECTION_DAY_INVALID');
  });
});

describe('rule 11 — voting hours', () => {
  const code = (open: string, close: string) => {
    const r = checkVotingHours(open, close);
    return r.ok ? 'ok' : r.error.code;
  };

  it('rule 11: 07:00–19:00 by default, 05:00 and 21:00 are the limits', () => {
    expect(checkVotingHours('07:00', '19:00')).toEqual({ ok: true, value: { open: '07:00', close: '19:00' } });
    expect(code('05:00', '19:00')).toBe('ok');
    expect(code('07:00', '21:00')).toBe('ok');
    expect(code('05:00', '21:00')).toBe('ok');
  });

  it('rule 11: refuses 04:59 and 21:01', () => {
    expect(code('04:59', '19:00')).toBe('VOTING_OPEN_TOO_EARLY');
    expect(code('07:00', '21:01')).toBe('VOTING_CLOSE_TOO_LATE');
  });

  it('rule 11: the opening must be before the closing (equal is refused too)', () => {
    expect(code('19:00', '07:00')).toBe('VOTING_HOURS_ORDER');
    expect(code('12:00', '12:00')).toBe('VOTING_HOURS_ORDER');
  });

  it('rule 11: malformed times, every problem on its own field', () => {
    const r = checkVotingHours('7h', '25:00', { open: 'open', close: 'close' });
    expect(!r.ok && r.error.details!.map((i) => [i.field, i.code])).toEqual([['open', 'VOTING_TIME_FORMAT'], ['close', 'VOTING_TIME_FORMAT']]);
    expect(checkVotingHours('06:30:00', '20:15')).toEqual({ ok: true, value: { open: '06:30', close: '20:15' } });
  });
});

describe('dates', () => {
  it('Vietnamese dates with the weekday, Vietnam\'s "today"', () => {
    expect(showDay('2026-03-15', 'vi')).toBe('Chủ nhật, 15/03/2026');
    expect(showDay('2025-11-30', 'vi')).toBe('Chủ nhật, 30/11/2025');
    expect(showDay('2026-02-01', 'en')).toBe('Sunday, 01/02/2026');
    expect(vnDate(new Date('2026-03-14T17:30:00Z'))).toBe('2026-03-15');
    expect(daysBetween('2026-01-31', '2026-03-15')).toBe(43);
    expect(vnInstant('2026-03-15', '07:00').toISOString()).toBe('2026-03-15T00:00:00.000Z');
  });
});

describe('phases and form windows', () => {
  it('eight phases, one step at a time', () => {
    expect(PHASES).toEqual(['preparation', 'nomination', 'consultation', 'official-lists', 'voting', 'counting', 'results', 'certified']);
    expect(nextPhase('preparation')).toBe('nomination');
    expect(nextPhase('certified')).toBeUndefined();
    expect(previousPhase('preparation')).toBeUndefined();
    expect(previousPhase('voting')).toBe('official-lists');
  });

  it('formOpen: structure in preparation/nomination, candidates nomination→official lists, turnout and minutes in voting/counting, results in counting/results', () => {
    const open = (family: string) => PHASES.filter((ph) => formOpen(ph, family));
    expect(open('structure')).toEqual(['preparation', 'nomination']);
    expect(open('candidates')).toEqual(['nomination', 'consultation', 'official-lists']);
    expect(open('turnout')).toEqual(['voting', 'counting']);
    expect(open('count-minutes')).toEqual(['voting', 'counting']);
    expect(open('results')).toEqual(['counting', 'results']);
    expect(open('national-assembly.count-minutes.submit')).toEqual(['voting', 'counting']);
    expect(formFamilyOf('something-else')).toBeUndefined();
    expect(open('something-else')).toEqual([]);
  });
});

describe('messages', () => {
  it('every deadline has a title in both languages, and every tracked task a "missing" phrase', () => {
    for (const d of DEADLINES) {
      expect(ELECTIONS_MESSAGES.vi[`calendar.deadline.${d.id}`], d.id).toBeTruthy();
      expect(ELECTIONS_MESSAGES.en[`calendar.deadline.${d.id}`], d.id).toBeTruthy();
      if (d.kind === 'task' && d.check) {
        expect(ELECTIONS_MESSAGES.vi[`calendar.pending.${d.id}`], d.id).toBeTruthy();
        expect(ELECTIONS_MESSAGES.en[`calendar.pending.${d.id}`], d.id).toBeTruthy();
      }
    }
    expect(Object.keys(ELECTIONS_MESSAGES.en).sort()).toEqual(Object.keys(ELECTIONS_MESSAGES.vi).sort());
  });
});
