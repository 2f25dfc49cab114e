// Rule 23, the ballot-paper inventory, as pure functions: F211 (received from the board = issued + unused + spoiled)
// and F104 (required by the setting) in each mode, off by one in each direction; the parser (optional, same messages
// as every count); the double-entry comparison and the re-entry of a returned inventory field; the texts.
import { describe, expect, it } from 'vitest';
import { CORE_RULES, validateMinutes } from '../../core/elections/count-minutes/rules.js';
import { countMinutesMessages, renderMinutesMessage } from '../../core/elections/count-minutes/messages.js';
import { copyField, differingFields, parseSubmission, type MinutesData } from '../../core/elections/count-minutes/input.js';
import type { BallotInventoryMode, CoreCountMinutes, CoreMinutesContext } from '../../core/elections/count-minutes/minutes.js';

/** Consistent minutes (2 seats, 3 candidates) with 800 issued; inventory 1,000 = 800 + 190 + 10. */
function minutes(over: Partial<CoreCountMinutes> = {}): CoreCountMinutes {
  return {
    votersTotal: 1000, votersVoted: 800, ballotsIssued: 800, ballotsReceived: 800, ballotsValid: 780, ballotsInvalid: 20,
    votes: { a: 600, b: 500, c: 300 }, piles: { 1: 160, 2: 620 }, complaints: { received: 0, resolved: 0, forwarded: 0 }, teamMembersPresent: 15,
    ballotsFromBoard: 1000, ballotsUnused: 190, ballotsSpoiled: 10,
    ...over,
  };
}
const ctx = (mode?: BallotInventoryMode): CoreMinutesContext => ({
  seats: 2, candidateIds: ['a', 'b', 'c'], invalidShareWarningPercent: 5, ...(mode ? { ballotInventory: mode } : {}),
});
const byCode = new Map(CORE_RULES.map((r) => [r.code, r]));
const check = (code: string, m: CoreCountMinutes, c = ctx()) => byCode.get(code)!.check(m, c);

describe('rule 23 — F211: received from the board = issued + unused + spoiled', () => {
  it('rule 23: identity holds → no violation in any mode; default (no setting) is optional', () => {
    for (const mode of [undefined, 'optional', 'required', 'off'] as const) expect(validateMinutes(minutes(), ctx(mode))).toEqual({ errors: [], warnings: [] });
  });

  it('rule 23: each field off by one in each direction → F211 naming the fields and the difference', () => {
    const cases: [Partial<CoreCountMinutes>, number][] = [
      [{ ballotsFromBoard: 1001 }, 1], [{ ballotsFromBoard: 999 }, -1],
      [{ ballotsUnused: 191 }, -1], [{ ballotsUnused: 189 }, 1],
      [{ ballotsSpoiled: 11 }, -1], [{ ballotsSpoiled: 9 }, 1],
      [{ ballotsIssued: 801, ballotsReceived: 800 }, -1],
    ];
    for (const [over, difference] of cases) {
      const m = minutes(over);
      const v = check('F211', m);
      expect(v, JSON.stringify(over)).toEqual([{
        code: 'F211',
        fields: ['ballotsFromBoard', 'ballotsIssued', 'ballotsUnused', 'ballotsSpoiled'],
        params: { fromBoard: m.ballotsFromBoard, issued: m.ballotsIssued, unused: m.ballotsUnused, spoiled: m.ballotsSpoiled, sum: m.ballotsIssued + m.ballotsUnused! + m.ballotsSpoiled!, difference },
      }]);
      expect(validateMinutes(m, ctx('required')).errors.map((e) => e.code)).toContain('F211');
    }
  });

  it('rule 23 optional: not checked unless all three are given; off: never checked', () => {
    expect(check('F211', minutes({ ballotsFromBoard: 1001 }), ctx('off'))).toEqual([]);
    expect(check('F211', minutes({ ballotsSpoiled: null }))).toEqual([]);
    expect(check('F211', minutes({ ballotsFromBoard: undefined, ballotsUnused: undefined, ballotsSpoiled: undefined }))).toEqual([]);
    // A malformed count is F101's: the identity waits for well-formed inputs.
    const bad = minutes({ ballotsUnused: -190 });
    expect(check('F211', bad)).toEqual([]);
    expect(check('F101', bad)).toEqual([{ code: 'F101', fields: ['ballotsUnused'], params: { field: 'ballotsUnused', value: '-190' } }]);
  });
});

describe('rule 23 — F104: the inventory required by the setting', () => {
  it('rule 23 required: each missing field is a violation naming it; optional and off never require', () => {
    const none = minutes({ ballotsFromBoard: null, ballotsUnused: undefined, ballotsSpoiled: null });
    expect(check('F104', none, ctx('required'))).toEqual([
      { code: 'F104', fields: ['ballotsFromBoard'], params: { field: 'ballotsFromBoard' } },
      { code: 'F104', fields: ['ballotsUnused'], params: { field: 'ballotsUnused' } },
      { code: 'F104', fields: ['ballotsSpoiled'], params: { field: 'ballotsSpoiled' } },
    ]);
    expect(check('F104', minutes({ ballotsSpoiled: null }), ctx('required')).map((v) => v.fields[0])).toEqual(['ballotsSpoiled']);
    expect(check('F104', minutes({ ballotsSpoiled: 0 }), ctx('required'))).toEqual([]);
    for (const mode of [undefined, 'optional', 'off'] as const) expect(check('F104', none, ctx(mode))).toEqual([]);
  });

  it('rule 23: both rules are errors of rule 23 with clerk and supervisor texts in Vietnamese and English', () => {
    for (const code of ['F104', 'F211']) {
      const r = byCode.get(code)!;
      expect(r).toMatchObject({ severity: 'error', ruleRef: '23' });
      for (const key of [r.clerkKey, r.supervisorKey]) {
        expect(countMinutesMessages.vi[key]).toBeTruthy();
        expect(countMinutesMessages.en[key]).toBeTruthy();
      }
    }
    const [v] = check('F211', minutes({ ballotsFromBoard: 10001, ballotsIssued: 8000, ballotsReceived: 800 }));
    expect(renderMinutesMessage('vi', 'count-minutes.rule.F211.clerk', v!.params)).toBe(
      'Kiểm kê phiếu bầu: số phiếu nhận từ Ban bầu cử (10.001) phải bằng số phiếu phát ra (8.000) cộng số phiếu không sử dụng (190) cộng số phiếu hỏng đã đổi (10) = 8.200; chênh lệch 1.801. Đếm lại phiếu đã niêm phong.',
    );
    const [f] = check('F104', minutes({ ballotsUnused: null }), ctx('required'));
    expect(renderMinutesMessage('en', 'count-minutes.rule.F104.clerk', f!.params)).toBe('This election requires the ballot-paper inventory: "Unused ballots (sealed)" is missing. Write 0 if none.');
  });
});

describe('rule 23 — parsing, comparison and re-entry', () => {
  const body = (o: Record<string, unknown> = {}) => ({
    votersTotal: 1000, votersVoted: 800, ballotsIssued: 800, ballotsReceived: 800, ballotsValid: 780, ballotsInvalid: 20,
    votes: [], complaints: { received: 0, resolved: 0, forwarded: 0 }, teamMembersPresent: 15, ...o,
  });

  it('rule 23: the inventory is optional for the parser and parsed like every count', () => {
    const p = parseSubmission(body());
    expect(p.ok && p.value.data).toMatchObject({ ballotsFromBoard: null, ballotsUnused: null, ballotsSpoiled: null });
    const q = parseSubmission(body({ ballotsFromBoard: '1 000', ballotsUnused: 190, ballotsSpoiled: '10' }));
    expect(q.ok && q.value.data).toMatchObject({ ballotsFromBoard: 1000, ballotsUnused: 190, ballotsSpoiled: 10 });
    const bad = parseSubmission(body({ ballotsFromBoard: -1, ballotsUnused: 1.5, ballotsSpoiled: 'x' }));
    expect(!bad.ok && bad.issues.map((i) => [i.field, i.code, i.messageKey])).toEqual([
      ['ballotsFromBoard', 'NEGATIVE', 'count-minutes.input.negative'],
      ['ballotsUnused', 'NOT_INTEGER', 'count-minutes.input.not_integer'],
      ['ballotsSpoiled', 'NOT_A_NUMBER', 'count-minutes.input.not_a_number'],
    ]);
  });

  it('rule 23: a differing inventory field is a field-level difference; an entry saved before the fields existed equals "not given"', () => {
    const a = (parseSubmission(body({ ballotsFromBoard: 1000, ballotsUnused: 190, ballotsSpoiled: 10 })) as { value: { data: MinutesData } }).value.data;
    const b = structuredClone(a);
    b.ballotsUnused = 191;
    expect(differingFields(a, b)).toEqual(['ballotsUnused']);
    const old = (parseSubmission(body()) as { value: { data: MinutesData } }).value.data;
    const legacy = structuredClone(old);
    delete legacy.ballotsFromBoard;
    delete legacy.ballotsUnused;
    delete legacy.ballotsSpoiled;
    expect(differingFields(old, legacy)).toEqual([]);
    expect(differingFields(legacy, a)).toEqual(['ballotsFromBoard', 'ballotsUnused', 'ballotsSpoiled']);
    // Re-entry of the returned field only.
    const target = structuredClone(legacy);
    copyField(target, b, 'ballotsUnused');
    expect(target.ballotsUnused).toBe(191);
    expect(target.ballotsFromBoard).toBeUndefined();
  });
});
