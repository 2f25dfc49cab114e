// The count-minute rule catalogue (ARCHITECTURE habit 5): every rule violated and satisfied, the sums off by one in
// each direction, plugin rules through the registry, the texts, and docs/rules.md in step with the code.
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { INSTALLED_PLUGINS } from '../../core/kernel/plugins.js';
import { PluginRegistry } from '../../core/plugin-host/registry.js';
import { definePlugin, type PluginManifest, type RuleDef } from '../../core/plugin-api/index.js';
import { countMinutesMessages, fieldLabel, renderMinutesMessage } from '../../core/elections/count-minutes/messages.js';
import type { CountMinutes, MinutesContext } from '../../core/elections/count-minutes/minutes.js';
import { CORE_RULES, CORE_RULE_CODE, validateMinutes } from '../../core/elections/count-minutes/rules.js';
import { renderRulesDoc } from '../../core/elections/count-minutes/rules-doc.js';

/** Consistent minutes: 2 seats, 3 candidates; 780 valid = 160 one-name + 620 two-name ballots; 1,400 votes. */
function minutes(over: Partial<CountMinutes> = {}): CountMinutes {
  return {
    votersTotal: 1000,
    votersVoted: 800,
    ballotsIssued: 800,
    ballotsReceived: 800,
    ballotsValid: 780,
    ballotsInvalid: 20,
    votes: { a: 600, b: 500, c: 300 },
    piles: { 1: 160, 2: 620 },
    complaints: { received: 2, resolved: 1, forwarded: 1 },
    teamMembersPresent: 15,
    ...over,
  };
}
const ctx = (over: Partial<MinutesContext> = {}): MinutesContext => ({
  seats: 2,
  candidateIds: ['a', 'b', 'c'],
  lastSlotTurnout: 750,
  invalidShareWarningPercent: 5,
  ...over,
});

const byCode = new Map(CORE_RULES.map((r) => [r.code, r]));
/** Violations of one rule only. */
const check = (code: string, m: CountMinutes, c: MinutesContext = ctx()) => byCode.get(code)!.check(m, c);
const fires = (code: string, m: CountMinutes, c?: MinutesContext) => check(code, m, c).length > 0;

describe('the catalogue (rules 21, 22, 25)', () => {
  it('has unique, well-formed codes whose letter matches the severity, and a law rule for each', () => {
    const codes = CORE_RULES.map((r) => r.code);
    expect(new Set(codes).size).toBe(codes.length);
    for (const r of CORE_RULES) {
      expect(r.code).toMatch(CORE_RULE_CODE);
      expect(r.code.startsWith('F')).toBe(r.severity === 'error');
      expect(['21', '22', '23', '25', '34']).toContain(r.ruleRef);
    }
  });

  it('consistent minutes pass every rule', () => {
    expect(validateMinutes(minutes(), ctx())).toEqual({ errors: [], warnings: [] });
  });

  it('validateMinutes sorts violations by severity and refuses an unusable context', () => {
    const v = validateMinutes(minutes({ votersVoted: 1001, ballotsReceived: 801 }), ctx());
    expect(v.errors.map((e) => e.code)).toEqual(['F201', 'F202', 'F203']);
    expect(v.warnings.map((w) => w.code)).toEqual(['W201']);
    expect(() => validateMinutes(minutes(), ctx({ seats: 0 }))).toThrow(/seats 0/);
    expect(() => validateMinutes(minutes(), ctx({ candidateIds: ['a', 'a'] }))).toThrow(/duplicate candidate/);
  });
});

describe('rule 25 — the fields', () => {
  it('F101 (rule 25): every count is a whole number from 0', () => {
    expect(check('F101', minutes())).toEqual([]);
    expect(check('F101', minutes({ votersTotal: 0, ballotsInvalid: 0, piles: {}, complaints: { received: 0, resolved: 0, forwarded: 0 } }))).toEqual([]);
    const bad = minutes({
      ballotsInvalid: -1,
      votes: { a: 600.5, b: 500, c: Number.NaN },
      piles: { 1: 160, 2: -620 },
      complaints: { received: 2, resolved: 1.5, forwarded: 1 },
      teamMembersPresent: -3,
    });
    expect(check('F101', bad).map((v) => v.fields[0])).toEqual([
      'ballotsInvalid',
      'votes.a',
      'votes.c',
      'piles.2',
      'complaints.resolved',
      'teamMembersPresent',
    ]);
    expect(check('F101', bad)[0]!.params).toEqual({ field: 'ballotsInvalid', value: '-1' });
  });

  it('F101 (rule 25): a malformed count silences the cross-field rules that read it', () => {
    const v = validateMinutes(minutes({ ballotsValid: -780 }), ctx());
    expect(v.errors.map((e) => e.code)).toEqual(['F101']);
  });

  it('F102 (rule 21): piles only for k = 1..seats', () => {
    expect(check('F102', minutes())).toEqual([]);
    expect(check('F102', minutes({ piles: { 1: 160, 2: 620, 3: 0 } }))).toEqual([{ code: 'F102', fields: ['piles.3'], params: { k: '3', seats: 2 } }]);
    expect(check('F102', minutes({ piles: { 0: 1, 1: 160 } })).map((v) => v.params.k)).toEqual(['0']);
    expect(check('F102', minutes({ piles: { 3: 260 } }), ctx({ seats: 3 }))).toEqual([]);
  });

  it('F103 (rule 25): resolved + forwarded ≤ received', () => {
    const c = (received: number, resolved: number, forwarded: number) => minutes({ complaints: { received, resolved, forwarded } });
    expect(fires('F103', c(2, 1, 1))).toBe(false);
    expect(fires('F103', c(2, 2, 1))).toBe(true);
    expect(fires('F103', c(2, 1, 2))).toBe(true);
    expect(fires('F103', c(0, 0, 0))).toBe(false);
  });

  it('W101 (rule 25): a complaint neither resolved nor forwarded is a warning', () => {
    const c = (received: number, resolved: number, forwarded: number) => minutes({ complaints: { received, resolved, forwarded } });
    expect(fires('W101', c(2, 1, 1))).toBe(false);
    expect(check('W101', c(3, 1, 1))).toEqual([
      { code: 'W101', fields: ['complaints.received', 'complaints.resolved', 'complaints.forwarded'], params: { received: 3, resolved: 1, forwarded: 1, open: 1 } },
    ]);
    expect(fires('W101', c(1, 1, 1))).toBe(false); // that is F103's
  });

  it('F209 (rule 22): votes for someone not on the unit list', () => {
    expect(check('F209', minutes())).toEqual([]);
    expect(check('F209', minutes({ votes: { a: 600, b: 500, c: 300, x: 0 } }))).toEqual([{ code: 'F209', fields: ['votes.x'], params: { candidate: 'x' } }]);
  });

  it('F210 (rule 25): a listed candidate without a vote count (0 counts)', () => {
    expect(check('F210', minutes({ votes: { a: 600, b: 500, c: 0 } }))).toEqual([]);
    expect(check('F210', minutes({ votes: { a: 600, b: 500 } }))).toEqual([{ code: 'F210', fields: ['votes.c'], params: { candidate: 'c' } }]);
  });
});

describe('rule 22 — arithmetic between the fields', () => {
  it('F201 (rule 22): voted ≤ total voters', () => {
    expect(fires('F201', minutes({ votersVoted: 1000 }))).toBe(false);
    expect(check('F201', minutes({ votersVoted: 1001 }))).toEqual([
      { code: 'F201', fields: ['votersVoted', 'votersTotal'], params: { voted: 1001, total: 1000 } },
    ]);
  });

  it('F202 (rule 22): valid + invalid = received, off by one either way', () => {
    expect(fires('F202', minutes())).toBe(false);
    expect(check('F202', minutes({ ballotsValid: 781 }))[0]!.params).toEqual({ valid: 781, invalid: 20, sum: 801, received: 800 });
    expect(fires('F202', minutes({ ballotsValid: 779 }))).toBe(true);
    expect(fires('F202', minutes({ ballotsInvalid: 21 }))).toBe(true);
    expect(fires('F202', minutes({ ballotsReceived: 801 }))).toBe(true);
    expect(fires('F202', minutes({ ballotsReceived: 799 }))).toBe(true);
  });

  it('F203 (rule 22): received ≤ issued', () => {
    expect(fires('F203', minutes())).toBe(false);
    expect(fires('F203', minutes({ ballotsIssued: 801 }))).toBe(false);
    expect(fires('F203', minutes({ ballotsIssued: 799 }))).toBe(true);
  });

  it('W202 (rule 22): received < issued is flagged', () => {
    expect(fires('W202', minutes())).toBe(false);
    expect(check('W202', minutes({ ballotsIssued: 801 }))[0]!.params).toEqual({ received: 800, issued: 801, missing: 1 });
    expect(fires('W202', minutes({ ballotsIssued: 799 }))).toBe(false); // that is F203's
  });

  it('F204 (rule 22): each candidate ≤ valid', () => {
    expect(fires('F204', minutes({ votes: { a: 780, b: 500, c: 100 } }))).toBe(false);
    expect(check('F204', minutes({ votes: { a: 781, b: 500, c: 100 } }))).toEqual([
      { code: 'F204', fields: ['votes.a', 'ballotsValid'], params: { candidate: 'a', votes: 781, valid: 780 } },
    ]);
  });

  it('F205 (rule 22): Σ votes ≥ valid', () => {
    expect(fires('F205', minutes({ votes: { a: 400, b: 300, c: 80 } }))).toBe(false); // 780
    expect(check('F205', minutes({ votes: { a: 400, b: 300, c: 79 } }))[0]!.params).toEqual({ sum: 779, valid: 780 });
  });

  it('F206 (rule 22): Σ votes ≤ seats × valid', () => {
    expect(fires('F206', minutes({ votes: { a: 780, b: 780, c: 0 } }))).toBe(false); // 1,560 = 2 × 780
    expect(check('F206', minutes({ votes: { a: 780, b: 780, c: 1 } }))[0]!.params).toEqual({ sum: 1561, valid: 780, seats: 2, max: 1560 });
  });

  it('F207 (rule 22): with piles, Σ piles = valid, off by one either way; no piles, no check', () => {
    expect(fires('F207', minutes())).toBe(false);
    expect(check('F207', minutes({ piles: { 1: 161, 2: 620 } }))[0]!.params).toEqual({ sum: 781, valid: 780 });
    expect(fires('F207', minutes({ piles: { 1: 159, 2: 620 } }))).toBe(true);
    expect(fires('F207', minutes({ piles: undefined }))).toBe(false);
  });

  it('F208 (rule 22): with piles, Σ k·pile_k = Σ votes, off by one either way', () => {
    expect(fires('F208', minutes())).toBe(false);
    expect(check('F208', minutes({ votes: { a: 600, b: 500, c: 301 } }))[0]!.params).toEqual({ names: 1400, votes: 1401 });
    expect(fires('F208', minutes({ votes: { a: 600, b: 500, c: 299 } }))).toBe(true);
    expect(fires('F208', minutes({ piles: undefined, votes: { a: 1, b: 1, c: 1 } }))).toBe(false);
  });

  it('W201 (rule 22): received ≠ voted is a warning, either way', () => {
    expect(fires('W201', minutes())).toBe(false);
    expect(check('W201', minutes({ ballotsReceived: 799 }))[0]!.params).toEqual({ received: 799, voted: 800 });
    expect(fires('W201', minutes({ ballotsReceived: 801 }))).toBe(true);
  });

  it('W203 (rule 34): fewer voted than the last turnout slot reported', () => {
    expect(fires('W203', minutes(), ctx({ lastSlotTurnout: 800 }))).toBe(false);
    expect(check('W203', minutes(), ctx({ lastSlotTurnout: 801 }))[0]!.params).toEqual({ voted: 800, reported: 801 });
    expect(fires('W203', minutes(), ctx({ lastSlotTurnout: undefined }))).toBe(false);
  });

  it('W204 (rules 21, 24): invalid share above the threshold, compared exactly; share rounded half-up', () => {
    const m = (invalid: number) => minutes({ ballotsInvalid: invalid, ballotsValid: 800 - invalid });
    expect(fires('W204', m(40))).toBe(false); // exactly 5.00 %
    const [v] = check('W204', m(41)); // 5.125 % → 5.13
    expect(v!.params).toEqual({ invalid: 41, received: 800, share: 5.13, threshold: 5 });
    expect(fires('W204', m(41), ctx({ invalidShareWarningPercent: 5.2 }))).toBe(false);
    expect(fires('W204', minutes({ ballotsReceived: 0, ballotsValid: 0, ballotsInvalid: 0 }))).toBe(false);
  });
});

describe('texts (habit 5; rule 24 for the percentages)', () => {
  it('every core rule has a clerk and a supervisor text in Vietnamese and English', () => {
    for (const r of CORE_RULES) {
      for (const key of [r.clerkKey, r.supervisorKey]) {
        expect(countMinutesMessages.vi[key], key).toBeTruthy();
        expect(countMinutesMessages.en[key], key).toBeTruthy();
      }
    }
    expect(Object.keys(countMinutesMessages.en).sort()).toEqual(Object.keys(countMinutesMessages.vi).sort());
  });

  it('renders the clerk text with grouped counts, two-decimal percentages and field labels', () => {
    const [w] = check('W204', minutes({ ballotsReceived: 8000, ballotsInvalid: 1001, ballotsValid: 6999 }));
    expect(renderMinutesMessage('vi', 'count-minutes.rule.W204.clerk', w!.params)).toBe(
      'Tỷ lệ phiếu không hợp lệ là 12,51% (1.001/8.000), cao hơn ngưỡng cảnh báo 5,00%. Kiểm tra lại việc phân loại phiếu; nếu đúng, xác nhận và ghi chú.',
    );
    const [f] = check('F202', minutes({ ballotsValid: 781 }));
    expect(renderMinutesMessage('vi', 'count-minutes.rule.F202.clerk', f!.params)).toBe(
      'Số phiếu hợp lệ (781) cộng số phiếu không hợp lệ (20) phải bằng số phiếu thu vào (800); hiện là 801.',
    );
    const [bad] = check('F101', minutes({ votes: { a: -1, b: 1, c: 1 } }));
    expect(renderMinutesMessage('en', 'count-minutes.rule.F101.clerk', bad!.params)).toBe('"Votes for candidate a" must be a whole number from 0 (entered: -1).');
    expect(fieldLabel('vi', 'piles.2')).toBe('Số phiếu để lại 2 tên');
  });
});

describe('plugin rules through the registry', () => {
  const registry = PluginRegistry.build(INSTALLED_PLUGINS, { coreRules: CORE_RULES });

  it('each contest gets the core catalogue; the NA plugin adds QH-W01', () => {
    expect(registry.rules('national-assembly').map((r) => r.code)).toEqual([...CORE_RULES.map((r) => r.code), 'QH-W01']);
    expect(registry.rules('commune-council').map((r) => r.code)).toEqual(CORE_RULES.map((r) => r.code));
    expect(registry.i18n.t('vi', 'national-assembly.rule.QH-W01.clerk', { voted: 500, total: 1000 })).toContain('không quá một nửa');
  });

  it('QH-W01 (rule 26): NA polling-area turnout not above half is a warning (50 % exactly warns)', () => {
    const rules = registry.rules('national-assembly');
    // Consistent minutes for `voted` voters of 1,000: Σ votes = Σ k·pile_k = valid + 200.
    const at = (voted: number) => {
      const valid = voted - 20;
      const m = minutes({ votersVoted: voted, ballotsReceived: voted, ballotsIssued: voted, ballotsValid: valid, votes: { a: 300, b: 200, c: valid - 300 }, piles: { 1: valid - 200, 2: 200 } });
      return validateMinutes(m, ctx({ lastSlotTurnout: undefined }), rules);
    };
    expect(at(500)).toEqual({ errors: [], warnings: [{ code: 'QH-W01', fields: ['votersVoted', 'votersTotal'], params: { voted: 500, total: 1000 } }] });
    expect(at(499).warnings.map((w) => w.code)).toEqual(['QH-W01']);
    expect(at(501)).toEqual({ errors: [], warnings: [] });
  });

  const rule = (code: string, over: Partial<RuleDef> = {}, id = 'alpha'): RuleDef => ({
    code,
    severity: code.includes('-F') || code.startsWith('F') ? 'error' : 'warning',
    ruleRef: '22',
    clerkKey: `${id}.rule.clerk`,
    supervisorKey: `${id}.rule.supervisor`,
    check: () => [],
    ...over,
  });
  const plugin = (id: string, ...rules: RuleDef[]): PluginManifest =>
    definePlugin({
      id,
      version: '1.0.0',
      titleKey: `${id}.title`,
      register(r) {
        r.messages({ vi: { [`${id}.title`]: 'T', [`${id}.rule.clerk`]: 'C', [`${id}.rule.supervisor`]: 'S' }, en: {} });
        r.rules(...rules);
      },
    });
  const build = (...m: PluginManifest[]) => PluginRegistry.build(m, { coreRules: CORE_RULES });

  it('accepts a plugin prefix of its own', () => {
    expect(build(plugin('alpha', rule('AL-W01'), rule('AL-F02'))).rules('alpha').slice(-2).map((r) => r.code)).toEqual(['AL-W01', 'AL-F02']);
  });

  it('refuses a duplicate code, a bare core-style code, a foreign prefix, two prefixes, a wrong severity letter', () => {
    expect(() => build(plugin('alpha', rule('AL-W01'), rule('AL-W01')))).toThrow(/duplicate rule "AL-W01"/);
    expect(() => build(plugin('alpha', rule('F999')))).toThrow(/rule code "F999" must be an upper-case prefix/);
    expect(() => build(plugin('alpha', rule('AL-W01')), plugin('beta', rule('AL-W02', {}, 'beta')))).toThrow(/prefix "AL" belongs to plugin "alpha"/);
    expect(() => build(plugin('alpha', rule('AL-W01'), rule('AB-W02')))).toThrow(/share one prefix/);
    expect(() => build(plugin('alpha', rule('AL-W01', { severity: 'error' })))).toThrow(/"F" code is an error/);
  });

  it('refuses rule texts outside the plugin catalogue, and a bad core catalogue', () => {
    expect(() => build(plugin('alpha', rule('AL-W01', { clerkKey: 'alpha.missing' })))).toThrow(/"alpha.missing" is used but not/);
    expect(() => build(plugin('alpha', rule('AL-W01', { clerkKey: 'core.x' })))).toThrow(/must start with "alpha."/);
    expect(() => PluginRegistry.build([], { coreRules: [...CORE_RULES, CORE_RULES[0]!] })).toThrow(/core: duplicate rule "F101"/);
  });
});

describe('docs/rules.md', () => {
  it('is the rendering of the catalogue (run `npm run docs:rules` after changing a rule or a text)', () => {
    const file = fileURLToPath(new URL('../../docs/rules.md', import.meta.url));
    const committed = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
    const rendered = renderRulesDoc();
    expect(rendered, 'docs/rules.md is out of date: run `npm run docs:rules`').toBe(committed);
    for (const r of CORE_RULES) expect(rendered).toContain(`| ${r.code} |`);
    expect(rendered).toContain('| QH-W01 |');
  });
});
