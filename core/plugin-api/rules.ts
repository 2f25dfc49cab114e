// Count-minute validation rules as data (ARCHITECTURE habit 5, after the Kiesraad Abacus catalogue): each rule has
// a stable code, a severity, a text for the clerk and one for the supervisor (i18n keys) and a pure check. Core's
// generic catalogue (core/elections/count-minutes/rules.ts) applies to every contest; a plugin may add its own
// rules through the registrar, with codes behind its own prefix ('QH-W01'). docs/rules.md lists them all.
//
// The minutes shape lives here, not in core/elections, because a plugin's check() reads it and plugins import
// only core/plugin-api; core/elections/count-minutes/minutes.ts re-exports it with helpers.
import type { SettingDef } from './types.js';

/**
 * One polling area's counting minutes for one contest (rule 25; election-rules §6.4), as the clerk typed it.
 * Counts are meant to be non-negative integers; the catalogue checks that (F101) rather than assuming it.
 */
export interface CountMinutes {
  /** 1 — Tổng số cử tri của khu vực bỏ phiếu (voters entitled to this contest's ballot). */
  votersTotal: number;
  /** 2 — Số lượng cử tri đã tham gia bỏ phiếu. */
  votersVoted: number;
  /** 3 — Số phiếu phát ra. */
  ballotsIssued: number;
  /** 4 — Số phiếu thu vào. */
  ballotsReceived: number;
  /** 5 — Số phiếu hợp lệ. */
  ballotsValid: number;
  /** 6 — Số phiếu không hợp lệ. */
  ballotsInvalid: number;
  /** 7 — Số phiếu bầu cho mỗi người ứng cử: candidate id → votes. */
  votes: Readonly<Record<string, number>>;
  /**
   * Optional pile counts (§6.3): k → number of valid ballots leaving exactly k names, k = 1..seats. Absent when
   * the team did not record piles; then the pile rules (F207, F208) do not apply.
   */
  piles?: Readonly<Record<number, number>>;
  /** 8 — Complaints and denunciations: received, resolved by the team, forwarded to the election board. */
  complaints: { received: number; resolved: number; forwarded: number };
  /** Header — number of team members present at the count. */
  teamMembersPresent: number;
}

/** What a rule needs besides the minutes: the unit's parameters, the E-day reports, the contest's settings. */
export interface MinutesContext {
  /** Seats of the electoral unit (rule 3). */
  seats: number;
  /** Candidate ids on the unit's official list (rule 17): exactly the keys the votes must have. */
  candidateIds: readonly string[];
  /** Voters reported as having voted at the last E-day turnout slot of this polling area (rule 34), if any. */
  lastSlotTurnout?: number;
  /** The contest's setting `<plugin>.invalid-share-warning-percent`: invalid share above it needs a confirmation. */
  invalidShareWarningPercent: number;
}

/** Error blocks saving; warning needs an explicit confirmation with a note. */
export type RuleSeverity = 'error' | 'warning';

/** One breach of a rule: which fields to highlight and the parameters of the rule's texts. */
export interface Violation {
  code: string;
  /** Field paths: 'ballotsValid', 'votes.<candidateId>', 'piles.<k>', 'complaints.received', … */
  fields: string[];
  params: Record<string, string | number>;
}

/** A count-minute rule. */
export interface RuleDef {
  /**
   * Stable code, never reused: core 'F' + 3 digits for errors, 'W' + 3 digits for warnings ('F202', 'W201');
   * a plugin's own '<PREFIX>-F' / '<PREFIX>-W' + 2–3 digits ('QH-W01'), one upper-case prefix per plugin.
   */
  code: string;
  severity: RuleSeverity;
  /** i18n key of the text for the clerk entering the minutes (what to check on paper). */
  clerkKey: string;
  /** i18n key of the text for the supervisor reviewing a confirmed warning or an override. */
  supervisorKey: string;
  /** Number of the rule in election-rules.md ("Rules an implementation must encode") this rule enforces. */
  ruleRef: string;
  /** Pure: no I/O, no clock. An empty list means the rule holds. */
  check(minutes: CountMinutes, ctx: MinutesContext): Violation[];
}

/**
 * The contest setting `<plugin>.ballot-inventory` (rule 23, [U]: the exact form fields are uncertain): 'off' — the
 * inventory is not checked; 'optional' (default) — checked when all three fields are given; 'required' — all three
 * must be given, then checked. Core reads it (count minutes' area context); each contest plugin declares it with
 * ballotInventorySetting() so that it shows, with its default, among the election's settings of that contest.
 */
export type BallotInventoryMode = 'off' | 'optional' | 'required';
export const BALLOT_INVENTORY_MODES: readonly BallotInventoryMode[] = ['off', 'optional', 'required'];
export const DEFAULT_BALLOT_INVENTORY: BallotInventoryMode = 'optional';

/** The declaration of `<pluginId>.ballot-inventory`; the plugin's catalogue has `<pluginId>.setting.ballot-inventory[.<mode>]`. */
export function ballotInventorySetting(pluginId: string): SettingDef {
  return {
    id: `${pluginId}.ballot-inventory`,
    titleKey: `${pluginId}.setting.ballot-inventory`,
    type: 'string',
    options: BALLOT_INVENTORY_MODES,
    default: DEFAULT_BALLOT_INVENTORY,
  };
}
