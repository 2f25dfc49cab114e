// The national rehearsal dataset: on the real tree and the real 2026 NA units (loaded from REFERENCE_DATA_DIR through
// the import parsers), a synthetic but law-abiding structure at national scale — exactly 72,195 polling areas over the
// 3,321 communes, 78,928,647 voters, provincial councils (Σ 2,552 seats) and commune councils (Σ 72,611 seats) with
// their units, every area in one unit per contest — deterministic for a seed. The plan is always computed for the
// whole nation (so a province looks the same whether seeded alone or with the others) and then restricted to the
// provinces asked for; the rows go through the same ImportSession (same rules) and the same bulk writer as imports.
// Then the election bodies of rules 7–8 over it (committees, a board per unit, a team per area, with members), each
// checked by the bodies module's completion rules and written in bulk in the same transaction.
import fs from 'node:fs/promises';
import path from 'node:path';
import { createHash } from 'node:crypto';
import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import { sql } from '../../persistence/db.js';
import { recordAudit } from '../../audit/audit.service.js';
import { newId } from '../../shared/ids.js';
import type { Logger } from '../../shared/logger.js';
import type { PluginRegistry } from '../../plugin-host/registry.js';
import type { PluginStateService } from '../../plugin-host/plugin-state.service.js';
import { readTreeFile } from '../../admin-tree/tree-file.js';
import { properName } from '../../admin-tree/import-format.js';
import type { AdminType } from '../../admin-tree/admin-unit.entity.js';
import { NA_REFERENCE_FILES } from './import-format.js';
import { ImportSession, IssueSink, parseCompositions, parseUnits, type AreaRow, type CompositionRow, type UnitRow } from './import-plan.js';
import { bulkExec, heldContests, loadElection, loadStructure, pgArray, writeChanges } from './store.js';
import { NA_CONTEST, type AreaKind, type AreaRec, type CommuneNode, type SmallReason, type Structure, type UnitRec } from './model.js';
import { STRUCTURE_LOCK } from './import.service.js';
import { summarise } from './rules.js';
import { defaultVariant, nameKey, phoneKey, type BodyKind, type MemberRec, type MemberRole, type SizeRange, type TeamVariant } from '../bodies/model.js';
import { COMMITTEE_SIZES, TEAM_SIZES, completionIssues, type BodyLabels } from '../bodies/rules.js';

/** 2026 figures (shared/domain/election-rules.md §9.1, §3.2). */
export const NATIONAL = { areas: 72_195, voters: 78_928_647, provincialSeats: 2_552, communeSeats: 72_611 } as const;
/** Hoàng Sa (Đà Nẵng) has no resident voters and no People's Council (rule 1 [U]): one empty island area, council size 0. */
export const NO_COUNCIL_COMMUNES = new Set(['20333']);
/** Hồ Chí Minh City's council: 125 seats in 42 units (§9.1). */
const FIXED_PROVINCIAL_SIZE: Record<string, number> = { '79': 125 };
/** Mountainous provinces, where some small areas carry the 'mountain' reason. */
const MOUNTAIN_PROVINCES = new Set(['04', '08', '11', '12', '14', '15', '20', '52', '66', '68']);
/** Bạch Long Vĩ voted one day early and 55 areas of Nghệ An's mountain communes two days early in 2026 (§3.3). */
const EARLY_ONE_DAY = new Set(['11948']);
const EARLY_PROVINCE = '40';
const SEED_ACTION = 'core.structure.seed';

// --- deterministic randomness -----------------------------------------------------------------------------------

/** mulberry32 on a 32-bit state derived from (seed, key): the same key gives the same stream whatever else is seeded. */
export function rng(seed: number, key: string): () => number {
  let h = createHash('sha256').update(`${seed}:${key}`).digest().readUInt32LE(0);
  return () => {
    h = (h + 0x6d2b79f5) | 0;
    let t = h;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const between = (r: () => number, lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));

/**
 * Largest-remainder apportionment of `total` over `weights`, each share within [min, max]: minimums first, then the
 * rest in proportion to the weights (water-filling around the caps). Ties break by index, so it is deterministic.
 */
export function apportion(total: number, weights: number[], min: number | number[] = 0, max: number | number[] = Infinity): number[] {
  const n = weights.length;
  const lo = (i: number) => (Array.isArray(min) ? min[i] : min);
  const hi = (i: number) => (Array.isArray(max) ? max[i] : max);
  const res = Array.from({ length: n }, (_, i) => lo(i));
  let rem = total - res.reduce((a, b) => a + b, 0);
  if (rem < 0) throw new Error(`apportion: minimums ${total - rem} exceed total ${total}`);
  while (rem > 0) {
    const active = [...Array(n).keys()].filter((i) => res[i] < hi(i) && weights[i] > 0);
    if (!active.length) throw new Error(`apportion: cannot place ${rem} more within the maximums`);
    const W = active.reduce((a, i) => a + weights[i], 0);
    const quota = active.map((i) => (rem * weights[i]) / W);
    let given = 0;
    active.forEach((i, k) => {
      const add = Math.min(Math.floor(quota[k]), hi(i) - res[i]);
      res[i] += add;
      given += add;
    });
    rem -= given;
    if (given === 0 || rem < active.length) {
      const order = active.map((i, k) => ({ i, f: quota[k] - Math.floor(quota[k]) })).sort((a, b) => b.f - a.f || a.i - b.i);
      for (const { i } of order) {
        if (rem <= 0) break;
        if (res[i] < hi(i)) {
          res[i]++;
          rem--;
        }
      }
    }
  }
  return res;
}

// --- the national plan ------------------------------------------------------------------------------------------

export interface NationalPlan {
  provincialUnits: UnitRow[];
  provincialCompositions: CompositionRow[];
  communeUnits: UnitRow[];
  areas: AreaRow[];
  /** Communes without a council (size 0). */
  noCouncil: string[];
}

interface CommunePlan {
  c: CommuneNode;
  weight: number;
  areas: number;
  voters: number;
  seats: number;
}

/** Splits n items into k contiguous groups as even as possible (sizes differ by at most one). */
function evenGroups(n: number, k: number): number[] {
  return Array.from({ length: k }, (_, i) => Math.floor(n / k) + (i < n % k ? 1 : 0));
}

/**
 * The whole nation's synthetic structure for a seed: numbers only, no I/O. `naUnitOf` gives each commune's NA unit
 * (provincial-council units follow the NA units' order, so they stay compact).
 */
export function planNational(seed: number, s: Pick<Structure, 'provinces' | 'communes' | 'electionDay'>, naSeats: Map<string, number>, naUnitOf: Map<string, number>): NationalPlan {
  const provinces = [...s.provinces.keys()].sort();
  const communesOf = new Map<string, CommuneNode[]>();
  for (const c of [...s.communes.values()].sort((a, b) => a.code.localeCompare(b.code))) {
    const l = communesOf.get(c.province) ?? [];
    l.push(c);
    communesOf.set(c.province, l);
  }
  // Provinces: voters in proportion to their NA seats (NA seats follow population), ±10 %; urban provinces have
  // larger polling areas.
  const pr = rng(seed, 'provinces');
  const voterWeights = provinces.map((p) => (naSeats.get(p) ?? 3) * (0.9 + 0.2 * pr()));
  const density = provinces.map((p) => (p === '01' || p === '79' ? 1.3 : 0.85 + 0.3 * pr()));
  const provinceVoters = apportion(NATIONAL.voters, voterWeights);
  const minAreas = provinces.map((p) => (communesOf.get(p) ?? []).reduce((n, c) => n + (NO_COUNCIL_COMMUNES.has(c.code) ? 1 : 3), 0));
  const provinceAreas = apportion(NATIONAL.areas, provinceVoters.map((v, i) => v / density[i]), minAreas);

  const plan: NationalPlan = { provincialUnits: [], provincialCompositions: [], communeUnits: [], areas: [], noCouncil: [] };
  const communePlans: CommunePlan[] = [];
  let row = 0;
  provinces.forEach((p, pi) => {
    const communes = communesOf.get(p) ?? [];
    const r = rng(seed, `province:${p}`);
    const weights = communes.map((c) => {
      if (NO_COUNCIL_COMMUNES.has(c.code)) return 0;
      const base = c.type === 'phường' ? 1.6 : c.type === 'đặc khu' ? 0.3 : 1;
      // Log-normal spread (Box–Muller), σ ≈ 0.45.
      const z = Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
      return base * Math.exp(0.45 * z);
    });
    const live = communes.map((c) => !NO_COUNCIL_COMMUNES.has(c.code));
    const areasPer = apportion(provinceAreas[pi] - live.filter((x) => !x).length, weights.map((w, i) => (live[i] ? w : 0)), live.map((x) => (x ? 3 : 0)));
    areasPer.forEach((_, i) => {
      if (!live[i]) areasPer[i] = 1;
    });

    // Areas: special and small ones get their own sizes; regular ones share the rest of the province's voters.
    type Draft = { commune: CommuneNode; number: number; kind: AreaKind; kindReason: string | null; smallReason: SmallReason | null; voters: number; name: string | null; regularWeight: number };
    const drafts: Draft[] = [];
    communes.forEach((c, i) => {
      const rc = rng(seed, `commune:${c.code}`);
      const n = areasPer[i];
      const proper = properName(c.name, c.type as AdminType);
      if (!live[i]) {
        drafts.push({ commune: c, number: 1, kind: 'regular', kindReason: null, smallReason: 'island', voters: 0, name: `Khu vực bỏ phiếu số 1 (${proper})`, regularWeight: 0 });
        return;
      }
      const specials: Omit<Draft, 'commune' | 'number'>[] = [];
      if (n >= 5) {
        if (rc() < 0.03) specials.push({ kind: 'hospital', kindReason: null, smallReason: null, voters: between(rc, 50, 450), name: `Bệnh viện ${proper}`, regularWeight: 0 });
        if (rc() < 0.02) specials.push({ kind: 'armed-unit', kindReason: null, smallReason: null, voters: between(rc, 60, 900), name: `Đơn vị lực lượng vũ trang đóng quân tại ${proper}`, regularWeight: 0 });
        if (rc() < 0.004) specials.push({ kind: 'elderly-care', kindReason: null, smallReason: null, voters: between(rc, 50, 160), name: `Trung tâm chăm sóc người cao tuổi ${proper}`, regularWeight: 0 });
        if (rc() < 0.003) specials.push({ kind: 'temporary-detention', kindReason: null, smallReason: null, voters: between(rc, 120, 700), name: `Trại tạm giam ${proper}`, regularWeight: 0 });
        if (c.type === 'phường' && rc() < 0.01) specials.push({ kind: 'other', kindReason: 'Khu công nghiệp có đông công nhân ở tập trung', smallReason: null, voters: between(rc, 400, 2500), name: `Khu công nghiệp ${proper}`, regularWeight: 0 });
      }
      const regular = n - specials.length;
      for (let k = 1; k <= regular; k++) {
        let smallReason: SmallReason | null = null;
        let voters = 0;
        if (c.type === 'đặc khu' && rc() < 0.3) smallReason = 'island';
        else if (c.type === 'xã' && MOUNTAIN_PROVINCES.has(p) && rc() < 0.015) smallReason = 'mountain';
        else if (c.type === 'xã' && rc() < 0.003) smallReason = 'sparse';
        if (smallReason) voters = between(rc, 120, 299);
        drafts.push({ commune: c, number: k, kind: 'regular', kindReason: null, smallReason, voters, name: null, regularWeight: smallReason ? 0 : 0.55 + 0.9 * rc() });
      }
      specials.forEach((sp, k) => drafts.push({ ...sp, commune: c, number: regular + k + 1 }));
    });
    const fixed = drafts.reduce((a, d) => a + d.voters, 0);
    const regularIdx = drafts.map((d, i) => (d.regularWeight > 0 ? i : -1)).filter((i) => i >= 0);
    const shares = apportion(provinceVoters[pi] - fixed, regularIdx.map((i) => drafts[i].regularWeight), 300, 4000);
    regularIdx.forEach((di, k) => (drafts[di].voters = shares[k]));

    // Early voting with the NEC's approval, and some areas opening early.
    const early = new Set<string>();
    if (p === EARLY_PROVINCE) {
      const re = rng(seed, 'early');
      const mountainXa = communes.filter((c) => c.type === 'xã').map((c) => ({ c, k: re() })).sort((a, b) => a.k - b.k).slice(0, 12).map((x) => x.c.code);
      let left = 55;
      for (const code of mountainXa) {
        for (const d of drafts) if (d.commune.code === code && d.kind === 'regular' && left > 0 && d.number <= 5) {
          early.add(`${code}|${d.number}`);
          left--;
        }
      }
    }
    const day = s.electionDay;
    const minusDays = (n: number) => new Date(Date.parse(day + 'T00:00:00Z') - n * 86_400_000).toISOString().slice(0, 10);
    let rh = rng(seed, 'hours');
    let hoursOf = '';
    for (const d of drafts) {
      if (d.commune.code !== hoursOf) {
        hoursOf = d.commune.code;
        rh = rng(seed, `hours:${hoursOf}`);
      }
      const h = rh();
      const opens = h < 0.02 ? '05:30' : h < 0.1 ? '06:00' : null;
      let votingDate: string | null = null;
      let approvalRef: string | null = null;
      if (EARLY_ONE_DAY.has(d.commune.code)) {
        votingDate = minusDays(1);
        approvalRef = 'Văn bản chấp thuận bỏ phiếu sớm của HĐBCQG (dữ liệu diễn tập)';
      } else if (early.has(`${d.commune.code}|${d.number}`)) {
        votingDate = minusDays(2);
        approvalRef = 'Văn bản chấp thuận bỏ phiếu sớm của HĐBCQG (dữ liệu diễn tập)';
      }
      plan.areas.push({
        row: ++row, communeCode: d.commune.code, number: d.number, name: d.name, voters: d.voters, kind: d.kind, kindReason: d.kindReason,
        smallReason: d.smallReason, votingDate, approvalRef, opens, closes: null, units: {},
      });
    }
    const votersOf = new Map<string, number>();
    for (const d of drafts) votersOf.set(d.commune.code, (votersOf.get(d.commune.code) ?? 0) + d.voters);
    communes.forEach((c, i) => communePlans.push({ c, weight: weights[i], areas: areasPer[i], voters: votersOf.get(c.code) ?? 0, seats: 0 }));
  });

  // Provincial councils: HCMC fixed, the others share the rest by voters within 50–95 seats.
  const flexible = provinces.filter((p) => FIXED_PROVINCIAL_SIZE[p] === undefined);
  const rest = NATIONAL.provincialSeats - Object.values(FIXED_PROVINCIAL_SIZE).reduce((a, b) => a + b, 0);
  const flexSizes = apportion(rest, flexible.map((p) => provinceVoters[provinces.indexOf(p)]), 50, 95);
  const size = new Map<string, number>(flexible.map((p, i) => [p, flexSizes[i]]));
  for (const [p, n] of Object.entries(FIXED_PROVINCIAL_SIZE)) size.set(p, n);
  for (const p of provinces) {
    const S = size.get(p)!;
    const communes = [...(communesOf.get(p) ?? [])].sort((a, b) => (naUnitOf.get(a.code) ?? 0) - (naUnitOf.get(b.code) ?? 0) || a.code.localeCompare(b.code));
    const k = Math.min(Math.ceil(S / 3), communes.length);
    const seats = evenGroups(S, k);
    // Contiguous groups of communes with balanced voters (each non-empty).
    const votersOf = new Map(communePlans.filter((x) => x.c.province === p).map((x) => [x.c.code, x.voters]));
    const total = communes.reduce((a, c) => a + (votersOf.get(c.code) ?? 0), 0);
    let g = 0;
    let acc = 0;
    const groups: CommuneNode[][] = Array.from({ length: k }, () => []);
    communes.forEach((c, i) => {
      const left = communes.length - i;
      if (groups[g].length && g < k - 1 && (acc >= (total * (g + 1)) / k || left <= k - 1 - g)) g++;
      groups[g].push(c);
      acc += votersOf.get(c.code) ?? 0;
    });
    groups.forEach((list, i) => {
      const names = list.map((c) => c.name);
      plan.provincialUnits.push({
        row: ++row, parentCode: p, number: i + 1, seats: seats[i], name: null, councilSize: S,
        description: `Gồm: ${names.slice(0, 12).join(', ')}${names.length > 12 ? ` và ${names.length - 12} đơn vị khác` : ''}.`,
      });
      for (const c of list) plan.provincialCompositions.push({ row: ++row, provinceCode: p, unitNo: i + 1, communeCode: c.code, areaNo: null });
    });
  }

  // Commune councils: 15–40 seats by voters (never more than 5 per area, so each unit gets an area).
  const withCouncil = communePlans.filter((x) => !NO_COUNCIL_COMMUNES.has(x.c.code));
  const cSizes = apportion(NATIONAL.communeSeats, withCouncil.map((x) => x.voters), 15, withCouncil.map((x) => Math.min(40, 5 * x.areas)));
  withCouncil.forEach((x, i) => (x.seats = cSizes[i]));
  plan.noCouncil = communePlans.filter((x) => NO_COUNCIL_COMMUNES.has(x.c.code)).map((x) => x.c.code);
  const areasByCommune = new Map<string, AreaRow[]>();
  for (const a of plan.areas) {
    const l = areasByCommune.get(a.communeCode) ?? [];
    l.push(a);
    areasByCommune.set(a.communeCode, l);
  }
  for (const x of withCouncil) {
    const S = x.seats;
    const k = Math.max(Math.ceil(S / 5), Math.min(x.areas, Math.round(S / 3)));
    const seats = evenGroups(S, k);
    seats.forEach((n, i) => plan.communeUnits.push({ row: ++row, parentCode: x.c.code, number: i + 1, seats: n, name: null, description: null, councilSize: S }));
    const areas = (areasByCommune.get(x.c.code) ?? []).sort((a, b) => a.number - b.number);
    let i = 0;
    evenGroups(areas.length, k).forEach((size, u) => {
      for (let j = 0; j < size; j++) areas[i++].units.commune_unit = u + 1;
    });
  }
  return plan;
}

// --- election bodies (rules 7–9) --------------------------------------------------------------------------------

/** Generated names (not real persons): a family name, a middle name, a given name. Front of each list more common. */
const FAMILY = ['Nguyễn', 'Trần', 'Lê', 'Phạm', 'Hoàng', 'Huỳnh', 'Phan', 'Vũ', 'Võ', 'Đặng', 'Bùi', 'Đỗ', 'Hồ', 'Ngô', 'Dương', 'Lý', 'Đinh', 'Trương', 'Lương', 'Mai', 'Tạ', 'Cao', 'Lâm', 'Đoàn'];
const MIDDLE = ['Văn', 'Thị', 'Hữu', 'Đức', 'Minh', 'Thanh', 'Quốc', 'Ngọc', 'Thu', 'Xuân', 'Hồng', 'Kim', 'Công', 'Quang', 'Thành', 'Bảo', 'Gia', 'Anh', 'Phương', 'Hoài'];
const GIVEN = ['An', 'Anh', 'Bình', 'Châu', 'Chi', 'Cường', 'Dũng', 'Dung', 'Duy', 'Giang', 'Hà', 'Hải', 'Hạnh', 'Hằng', 'Hiếu', 'Hòa', 'Hùng', 'Hương', 'Huy', 'Khánh',
  'Lan', 'Linh', 'Long', 'Mai', 'Minh', 'Nam', 'Nga', 'Ngọc', 'Nhung', 'Phong', 'Phúc', 'Phương', 'Quân', 'Quang', 'Sơn', 'Tâm', 'Thảo', 'Thắng', 'Thủy', 'Trang', 'Trung', 'Tuấn', 'Tú', 'Vân', 'Việt', 'Yến'];
/** Organisations members represent (rule 7: state bodies, Party and socio-political organisations, the Front, voters). */
const ORGS = ['Ủy ban nhân dân', 'Thường trực Hội đồng nhân dân', 'Ủy ban Mặt trận Tổ quốc Việt Nam', 'Hội Liên hiệp Phụ nữ', 'Đoàn Thanh niên Cộng sản Hồ Chí Minh',
  'Hội Nông dân', 'Hội Cựu chiến binh', 'Liên đoàn Lao động', 'Công an', 'Ban Chỉ huy quân sự', 'Văn phòng Hội đồng nhân dân và Ủy ban nhân dân'];
const TEAM_ORGS = ['Ban công tác Mặt trận khu dân cư', 'Chi hội Phụ nữ', 'Chi đoàn Thanh niên', 'Chi hội Cựu chiến binh', 'Chi hội Nông dân', 'Công an', 'Đại diện cử tri', 'Ủy ban nhân dân'];
const ARMED_ORGS = ['Đại diện Chỉ huy đơn vị', 'Đại diện quân nhân'];
/** Rule 9 formation deadlines (days before election day, core/elections/calendar/deadlines.ts). */
const FORMED_BEFORE = { committee: 105, board: 70, team: 43 } as const;
const NO_COMMITTEE_REASON = 'Không tổ chức Hội đồng nhân dân (dữ liệu diễn tập)';

/** One body of the plan, with its members as columns of the insert. */
interface BodyDraft {
  id: string;
  kind: BodyKind;
  provinceCode: string | null;
  communeCode: string | null;
  unitId: string | null;
  areaId: string | null;
  contest: string | null;
  variant: TeamVariant | null;
  status: 'complete' | 'none';
  noneReason: string | null;
  decisionNo: string | null;
  decisionDate: string | null;
  issuedBy: string | null;
  formedOn: string | null;
  members: MemberRec[];
}

export interface BodiesPlan {
  bodies: BodyDraft[];
  members: number;
}

const ROLE_LABELS: BodyLabels = { body: 'body', role: (r) => r, variant: (v) => v, areaKind: (k) => k, date: (d) => d };

/** A member list of `n` (leader first, then `vice` × the vice role, a secretary if asked, the rest members), distinct names. */
function membersFor(r: () => number, n: number, roles: { leader: MemberRole; vice?: MemberRole; vices: number; secretary: boolean }, orgs: readonly string[]): MemberRec[] {
  const out: MemberRec[] = [];
  const names = new Set<string>();
  const pick = <T>(xs: readonly T[], bias = 1) => xs[Math.floor(Math.pow(r(), bias) * xs.length)];
  for (let i = 0; i < n; i++) {
    let name = '';
    do name = `${pick(FAMILY, 1.8)} ${pick(MIDDLE)} ${pick(GIVEN)}`; while (names.has(name));
    names.add(name);
    const role: MemberRole = i === 0 ? roles.leader : i <= roles.vices && roles.vice ? roles.vice : roles.secretary && i === roles.vices + 1 ? 'secretary' : 'member';
    out.push({ fullName: name, role, organisation: i === 0 && orgs === ORGS ? ORGS[0] : pick(orgs), phone: `09${String(Math.floor(r() * 1e8)).padStart(8, '0')}` });
  }
  return out;
}

/**
 * The bodies rule 8 asks for over a seeded structure (scope: the provinces, communes, units and areas given), each
 * deterministic for (seed, natural key of its node): a committee per province and per commune with a council (a
 * 'none' row for a commune without one), a board per unit of a contest with a board size, a team per polling area —
 * all complete, formed before the rule 9 deadline, each checked with the bodies module's completion rules.
 */
export function planBodies(seed: number, s: Pick<Structure, 'electionDay' | 'provinces' | 'communes'>, scope: {
  provinces: string[]; communes: string[]; units: UnitRec[]; areas: AreaRec[]; boardSize: (contest: string) => SizeRange | undefined; newId: () => string;
}): BodiesPlan {
  const day = s.electionDay;
  const minus = (n: number) => new Date(Date.parse(day + 'T00:00:00Z') - n * 86_400_000).toISOString().slice(0, 10);
  const ubnd = (name: string | undefined) => `Ủy ban nhân dân ${name ?? ''}`.trim();
  const bodies: BodyDraft[] = [];
  let members = 0;
  const add = (key: string, b: Omit<BodyDraft, 'id' | 'members' | 'status' | 'noneReason' | 'decisionNo' | 'decisionDate' | 'formedOn'>, size: SizeRange, before: number,
    roles: Parameters<typeof membersFor>[2], orgs: readonly string[], deadline: string, decisionSuffix: string, areaKind: string | null = null) => {
    const r = rng(seed, `body:${key}`);
    // Skewed towards the smaller sizes (mean ≈ min + a quarter of the range).
    const n = size.min + Math.floor(r() * r() * (size.max - size.min + 1));
    const formedOn = minus(before + between(r, 0, 10));
    const body: BodyDraft = { ...b, id: scope.newId(), status: 'complete', noneReason: null, decisionNo: `${between(r, 1, 1999)}/${decisionSuffix}`, decisionDate: formedOn, formedOn, members: membersFor(r, n, roles, orgs) };
    const issues = completionIssues({ kind: b.kind, variant: b.variant, decisionNo: body.decisionNo, decisionDate: body.decisionDate, issuedBy: body.issuedBy, formedOn, areaKind },
      body.members, { labels: ROLE_LABELS, boardSize: size, electionDay: day, deadline });
    if (issues.length) throw new Error(`seed ${seed}: the generated ${b.kind} ${key} breaks rule 7: ${issues.map((i) => i.code).join(', ')}`);
    bodies.push(body);
    members += n;
  };
  const committee = { leader: 'chair' as const, vice: 'vice-chair' as const, secretary: false };
  for (const p of [...scope.provinces].sort()) {
    add(`pc:${p}`, { kind: 'province-committee', provinceCode: p, communeCode: null, unitId: null, areaId: null, contest: null, variant: null, issuedBy: ubnd(s.provinces.get(p)?.name) },
      COMMITTEE_SIZES['province-committee'], FORMED_BEFORE.committee, { ...committee, vices: 3 }, ORGS, minus(FORMED_BEFORE.committee), 'QĐ-UBND');
  }
  for (const c of [...scope.communes].sort()) {
    if (NO_COUNCIL_COMMUNES.has(c)) {
      bodies.push({ id: scope.newId(), kind: 'commune-committee', provinceCode: null, communeCode: c, unitId: null, areaId: null, contest: null, variant: null, status: 'none',
        noneReason: NO_COMMITTEE_REASON, decisionNo: null, decisionDate: null, issuedBy: null, formedOn: null, members: [] });
      continue;
    }
    add(`cc:${c}`, { kind: 'commune-committee', provinceCode: null, communeCode: c, unitId: null, areaId: null, contest: null, variant: null, issuedBy: ubnd(s.communes.get(c)?.name) },
      COMMITTEE_SIZES['commune-committee'], FORMED_BEFORE.committee, { ...committee, vices: 2 }, ORGS, minus(FORMED_BEFORE.committee), 'QĐ-UBND');
  }
  for (const u of scope.units) {
    const size = scope.boardSize(u.contest);
    if (!size) continue;
    const parent = u.parentLevel === 'province' ? s.provinces.get(u.parentCode)?.name : s.communes.get(u.parentCode)?.name;
    const r = rng(seed, `deputies:${u.contest}:${u.parentCode}:${u.number}`);
    add(`board:${u.contest}:${u.parentCode}:${u.number}`, { kind: 'board', provinceCode: null, communeCode: null, unitId: u.id, areaId: null, contest: u.contest, variant: null, issuedBy: ubnd(parent) },
      size, FORMED_BEFORE.board, { leader: 'head', vice: 'deputy-head', vices: between(r, 1, 2), secretary: true }, ORGS, minus(FORMED_BEFORE.board), 'QĐ-UBND');
  }
  for (const a of scope.areas) {
    const variant = defaultVariant(a.kind);
    const armed = variant === 'armed-unit';
    add(`team:${a.communeCode}:${a.number}`, {
      kind: 'team', provinceCode: null, communeCode: a.communeCode, unitId: null, areaId: a.id, contest: null, variant,
      issuedBy: armed ? `Chỉ huy ${a.name}` : ubnd(s.communes.get(a.communeCode)?.name),
    }, TEAM_SIZES[variant], FORMED_BEFORE.team, { leader: 'leader', vices: 0, secretary: true }, armed ? ARMED_ORGS : TEAM_ORGS, minus(FORMED_BEFORE.team), armed ? 'QĐ-BCH' : 'QĐ-UBND', a.kind);
  }
  return { bodies, members };
}

const BODY_CHUNK = 10_000;

/**
 * Replaces the bodies of the seeded scope (their members go with them) by the plan's, in the caller's transaction:
 * INSERT … SELECT FROM unnest with bind parameters, like the structure writer. Returns the rows written.
 */
async function writeBodies(em: EntityManager, electionId: string, plan: BodiesPlan, scope: { all: boolean; provinces: string[]; communes: string[]; unitIds: string[] }, createdBy: string): Promise<number> {
  if (scope.all) await bulkExec(em, `delete from election_body where election_id = ?`, [electionId]);
  else {
    await bulkExec(em, `delete from election_body where election_id = ? and (province_code = any(?::text[]) or commune_code = any(?::text[]) or unit_id = any(?::uuid[]))`,
      [electionId, pgArray(scope.provinces), pgArray(scope.communes), pgArray(scope.unitIds)]);
  }
  let written = 0;
  for (let i = 0; i < plan.bodies.length; i += BODY_CHUNK) {
    const c = plan.bodies.slice(i, i + BODY_CHUNK);
    written += await bulkExec(em,
      `insert into election_body (id, election_id, kind, province_code, commune_code, unit_id, polling_area_id, contest, variant, status, none_reason,
          decision_no, decision_date, issued_by, formed_on, created_by, completed_at, completed_by)
       select x.id, ?::uuid, x.kind, x.pc, x.cc, x.u, x.a, x.contest, x.variant, x.status, x.nr, x.dn, x.dd, x.ib, x.fo, ?, case when x.status = 'complete' then now() end,
              case when x.status = 'complete' then ?::text end
         from unnest(?::uuid[], ?::text[], ?::text[], ?::text[], ?::uuid[], ?::uuid[], ?::text[], ?::text[], ?::text[], ?::text[], ?::text[], ?::date[], ?::text[], ?::date[])
           as x(id, kind, pc, cc, u, a, contest, variant, status, nr, dn, dd, ib, fo)`,
      [electionId, createdBy, createdBy, pgArray(c.map((b) => b.id)), pgArray(c.map((b) => b.kind)), pgArray(c.map((b) => b.provinceCode)), pgArray(c.map((b) => b.communeCode)),
        pgArray(c.map((b) => b.unitId)), pgArray(c.map((b) => b.areaId)), pgArray(c.map((b) => b.contest)), pgArray(c.map((b) => b.variant)), pgArray(c.map((b) => b.status)),
        pgArray(c.map((b) => b.noneReason)), pgArray(c.map((b) => b.decisionNo)), pgArray(c.map((b) => b.decisionDate)), pgArray(c.map((b) => b.issuedBy)), pgArray(c.map((b) => b.formedOn))]);
  }
  // Members in batches of whole bodies; ids from the database (random like newId(), without shipping 36 bytes a row).
  let batch: { body: string; pos: number; m: MemberRec }[] = [];
  const flush = async () => {
    if (!batch.length) return;
    const c = batch;
    batch = [];
    written += await bulkExec(em,
      `insert into body_member (id, body_id, position, full_name, name_key, role, organisation, phone, phone_key)
       select gen_random_uuid(), x.b, x.p, x.n, x.k, x.r, x.o, x.ph, x.pk from unnest(?::uuid[], ?::int[], ?::text[], ?::text[], ?::text[], ?::text[], ?::text[], ?::text[])
         as x(b, p, n, k, r, o, ph, pk)`,
      [pgArray(c.map((x) => x.body)), pgArray(c.map((x) => x.pos)), pgArray(c.map((x) => x.m.fullName)), pgArray(c.map((x) => nameKey(x.m.fullName))),
        pgArray(c.map((x) => x.m.role)), pgArray(c.map((x) => x.m.organisation)), pgArray(c.map((x) => x.m.phone)), pgArray(c.map((x) => phoneKey(x.m.phone)))]);
  };
  for (const b of plan.bodies) {
    b.members.forEach((m, i) => batch.push({ body: b.id, pos: i + 1, m }));
    if (batch.length >= BODY_CHUNK) await flush();
  }
  await flush();
  if (written >= ANALYZE_BODIES_AFTER) await bulkExec(em, 'analyze election_body, body_member', []);
  return written;
}
const ANALYZE_BODIES_AFTER = 5_000;

/** A hash of an election's bodies and members by natural keys (no ids), for "same seed → same bodies". */
export async function bodiesHash(em: EntityManager, electionId: string, provinces?: string[]): Promise<string> {
  const h = createHash('sha256');
  const scoped = !!provinces;
  const rows = await sql<Record<string, unknown>>(em,
    `with p as (select unnest(?::text[]) as code), k as (select distinct code from admin_unit where level = 'commune' and parent_code in (select code from p))
     select b.kind, coalesce(b.province_code, '') as pc, coalesce(b.commune_code, '') as cc, coalesce(u.contest, '') as uc, coalesce(u.parent_code, '') as up,
            coalesce(u.number, 0) as un, coalesce(a.number, 0) as an, coalesce(b.variant, '') as v, b.status, coalesce(b.none_reason, '') as nr,
            coalesce(b.decision_no, '') as dn, coalesce(b.decision_date::text, '') as dd, coalesce(b.issued_by, '') as ib, coalesce(b.formed_on::text, '') as fo,
            coalesce(string_agg(m.position || ':' || m.full_name || ':' || m.role || ':' || coalesce(m.organisation, '') || ':' || coalesce(m.phone, ''), '|' order by m.position), '') as ms
       from election_body b left join electoral_unit u on u.id = b.unit_id left join polling_area a on a.id = b.polling_area_id
       left join body_member m on m.body_id = b.id
      where b.election_id = ? and (${scoped ? 'false' : 'true'} or b.province_code in (select code from p) or b.commune_code in (select code from k)
            or u.parent_code in (select code from p) or u.parent_code in (select code from k))
      group by b.id, u.contest, u.parent_code, u.number, a.number
      order by 1, 2, 3, 4, 5, 6, 7`, [pgArray(provinces ?? []), electionId]);
  for (const r of rows) h.update(Object.values(r).join('\u001f') + '\n');
  return h.digest('hex');
}

// --- running the seed -------------------------------------------------------------------------------------------

export interface SeedOptions {
  seed: number;
  electionId: string;
  /** Only these provinces (codes); all when absent. */
  provinces?: string[];
  referenceDir: string;
  createdBy?: string;
}

export interface SeedResult {
  electionId: string;
  provinces: number;
  communes: number;
  areas: number;
  voters: number;
  units: Record<string, number>;
  seats: Record<string, number>;
  rowsWritten: number;
  /** Bodies seeded by kind (a commune without a council counts its 'none' committee row), their members, rows written. */
  bodies: { byKind: Record<string, number>; members: number; rowsWritten: number };
  check: { errors: number; warnings: number; byCode: Record<string, number> };
  ms: { plan: number; validate: number; write: number; bodies: number; total: number };
}

export interface SeedDeps {
  registry: PluginRegistry;
  pluginStates: PluginStateService;
  log: Logger;
}

async function referenceRows(dir: string, electionDay: string): Promise<{ units: UnitRow[]; compositions: CompositionRow[] }> {
  const sink = new IssueSink();
  const read = async (f: string) => {
    const r = await readTreeFile(await fs.readFile(path.join(dir, f)), f);
    if (!r.ok) throw new Error(`${f}: ${r.issue.code}`);
    return r.sheet;
  };
  const units = parseUnits(await read(NA_REFERENCE_FILES.units), { kind: 'units', level: 'province', sink, electionDay });
  const compositions = parseCompositions(await read(NA_REFERENCE_FILES.compositions), { kind: 'compositions', level: 'province', sink, electionDay });
  if (sink.hasErrors) throw new Error(`NA reference files: ${sink.errors.slice(0, 5).map((e) => `${e.code} row ${e.row}`).join('; ')}`);
  return { units: units.rows, compositions: compositions.rows };
}

/**
 * Seeds an election: the real 2026 NA units (when not already there), then the synthetic councils, units and polling
 * areas, validated by the import rules and written in one transaction with one audit event. Provinces seeded are
 * replaced wholesale (units of each parent, areas of each commune), so seeding again with the same seed is a no-op.
 */
export async function seedNational(orm: MikroORM, d: SeedDeps, o: SeedOptions): Promise<SeedResult> {
  const t0 = Date.now();
  const em = orm.em.fork();
  const election = await loadElection(em, o.electionId);
  if (!election) throw new Error(`election ${o.electionId} not found`);
  const contests = await heldContests(em, d.registry, d.pluginStates, election.id);
  if (!contests.some((c) => c.id === NA_CONTEST)) throw new Error('the National Assembly contest is not enabled for this election');
  const ref = await referenceRows(o.referenceDir, election.electionDay);
  let result!: SeedResult;
  await em.transactional(async (tx) => {
    const t = tx as EntityManager;
    await sql(t, 'select pg_advisory_xact_lock(?, hashtext(?))', [STRUCTURE_LOCK, election.id]);
    const tree = await loadStructure(t, { election, contests, provinces: new Set() });
    const wanted = o.provinces?.length ? new Set(o.provinces) : new Set(tree.provinces.keys());
    for (const p of wanted) if (!tree.provinces.has(p)) throw new Error(`province ${p} is not in the tree on ${election.electionDay}`);
    // The whole nation unscoped, so the check includes the national NA sum (500).
    const s = await loadStructure(t, { election, contests, provinces: o.provinces?.length ? wanted : undefined });
    const tPlan = Date.now();
    const naSeats = new Map<string, number>();
    for (const u of ref.units) naSeats.set(u.parentCode, (naSeats.get(u.parentCode) ?? 0) + u.seats);
    const naUnitOf = new Map(ref.compositions.map((c) => [c.communeCode, c.unitNo]));
    const plan = planNational(o.seed, tree, naSeats, naUnitOf);
    const inWanted = (code: string) => wanted.has(code);
    const communeIn = (code: string) => wanted.has(tree.communes.get(code)?.province ?? '');
    const session = new ImportSession(s, { newId, defaultHours: { opens: election.opens, closes: election.closes } });
    const planMs = Date.now() - tPlan;
    const tVal = Date.now();
    session.beginFile(NA_REFERENCE_FILES.units, undefined);
    session.units(NA_CONTEST, ref.units.filter((u) => inWanted(u.parentCode)));
    session.beginFile(NA_REFERENCE_FILES.compositions, undefined);
    session.compositions(NA_CONTEST, ref.compositions.filter((c) => inWanted(c.provinceCode ?? '')));
    const provincial = contests.find((c) => c.unitLevel === 'province' && c.id !== NA_CONTEST);
    const commune = contests.find((c) => c.unitLevel === 'commune');
    if (provincial) {
      session.beginFile('seed:provincial-units', undefined);
      session.units(provincial.id, plan.provincialUnits.filter((u) => inWanted(u.parentCode)));
      session.beginFile('seed:provincial-compositions', undefined);
      session.compositions(provincial.id, plan.provincialCompositions.filter((c) => inWanted(c.provinceCode ?? '')));
    }
    if (commune) {
      session.beginFile('seed:commune-units', undefined);
      session.units(commune.id, plan.communeUnits.filter((u) => communeIn(u.parentCode)));
      for (const code of plan.noCouncil) if (communeIn(code)) session.setCouncil(commune.id, code, 0);
    }
    session.beginFile('seed:areas', undefined);
    session.areas(plan.areas.filter((a) => communeIn(a.communeCode)));
    const { after } = session.validate();
    const validateMs = Date.now() - tVal;
    if (session.sink.hasErrors) {
      const first = session.sink.errors.slice(0, 10).map((e) => `${e.code} ${JSON.stringify(e.params)} (row ${e.row})`).join('\n');
      throw new Error(`seed ${o.seed}: the generated structure breaks the rules (a bug in the generator):\n${first}`);
    }
    const tWrite = Date.now();
    const rowsWritten = await writeChanges(t, s, session.log);
    const writeMs = Date.now() - tWrite;
    // The bodies of rule 8 over what was just written (ids of units and areas as stored), checked by rule 7.
    const tBodies = Date.now();
    const scopeUnits = [...s.units.values()].filter((u) => (u.parentLevel === 'province' ? inWanted(u.parentCode) : communeIn(u.parentCode)));
    const scopeCommunes = [...tree.communes.values()].filter((c) => wanted.has(c.province)).map((c) => c.code);
    const held = new Set(contests.map((c) => c.id));
    const bodiesPlan = planBodies(o.seed, tree, {
      provinces: [...wanted], communes: scopeCommunes, units: scopeUnits, areas: [...s.areas.values()].filter((a) => communeIn(a.communeCode)),
      boardSize: (c) => (held.has(c) ? d.registry.contestType(c)?.boardSize : undefined), newId,
    });
    const bodyRows = await writeBodies(t, election.id, bodiesPlan, { all: !o.provinces?.length, provinces: [...wanted], communes: scopeCommunes, unitIds: scopeUnits.map((u) => u.id) }, o.createdBy ?? 'system');
    const byKind: Record<string, number> = {};
    for (const b of bodiesPlan.bodies) byKind[b.kind] = (byKind[b.kind] ?? 0) + 1;
    const bodiesMs = Date.now() - tBodies;
    const units: Record<string, number> = {};
    const seats: Record<string, number> = {};
    for (const u of s.units.values()) {
      units[u.contest] = (units[u.contest] ?? 0) + 1;
      seats[u.contest] = (seats[u.contest] ?? 0) + u.seats;
    }
    const areas = [...s.areas.values()];
    result = {
      electionId: election.id, provinces: wanted.size, communes: [...s.communes.values()].filter((c) => wanted.has(c.province)).length,
      areas: areas.length, voters: areas.reduce((a, x) => a + x.voters, 0), units, seats, rowsWritten,
      bodies: { byKind, members: bodiesPlan.members, rowsWritten: bodyRows }, check: summarise(after),
      ms: { plan: planMs, validate: validateMs, write: writeMs, bodies: bodiesMs, total: 0 },
    };
    await recordAudit(t, {
      actor: o.createdBy ?? 'system', action: SEED_ACTION, targetType: 'election', targetId: election.id,
      after: { seed: o.seed, provinces: o.provinces ?? 'all', changes: session.log.counts, areas: result.areas, voters: result.voters, units, seats, bodies: { byKind, members: bodiesPlan.members }, check: result.check },
      result: 'success',
    });
  });
  result.ms.total = Date.now() - t0;
  d.log.info({ electionId: o.electionId, seed: o.seed, areas: result.areas, voters: result.voters, ms: result.ms }, 'Đã tạo dữ liệu diễn tập / rehearsal structure seeded');
  return result;
}

/**
 * A hash of an election's structure by natural keys (no ids), for "same seed → same result". Restricted to some
 * provinces when given.
 */
export async function structureHash(em: EntityManager, electionId: string, provinces?: string[]): Promise<string> {
  const h = createHash('sha256');
  // The communes of the provinces asked for (any version: a commune keeps its province across renamings).
  const scope = provinces
    ? `with p as (select unnest(?::text[]) as code), k as (select distinct code from admin_unit where level = 'commune' and parent_code in (select code from p))`
    : `with p as (select null::text as code where false), k as (select null::text as code where false)`;
  const all = !provinces;
  const unitIn = all ? 'true' : `(u.parent_code in (select code from p) or u.parent_code in (select code from k))`;
  const areaIn = all ? 'true' : `a.commune_code in (select code from k)`;
  const councilIn = all ? 'true' : `(c.admin_code in (select code from p) or c.admin_code in (select code from k))`;
  const params = (): unknown[] => (provinces ? [`{${provinces.join(',')}}`, electionId] : [electionId]);
  const parts = [
    `${scope} select u.contest, u.parent_code, u.number, u.seats, u.name, coalesce(u.description, '') as d from electoral_unit u
      where u.election_id = ? and ${unitIn} order by u.contest, u.parent_code, u.number`,
    `${scope} select u.contest, u.parent_code, u.number, uc.commune_code from electoral_unit_commune uc join electoral_unit u on u.id = uc.unit_id
      where u.election_id = ? and ${unitIn} order by 1, 2, 3, 4`,
    `${scope} select a.commune_code, a.number, a.name, a.voters, a.kind, coalesce(a.kind_reason, ''), coalesce(a.small_reason, ''), coalesce(a.voting_date::text, ''),
            coalesce(a.approval_ref, ''), a.opens::text, a.closes::text from polling_area a where a.election_id = ? and ${areaIn} order by a.commune_code, a.number`,
    `${scope} select a.commune_code, a.number, pu.contest, u.parent_code, u.number as unit from polling_area_unit pu join polling_area a on a.id = pu.polling_area_id
       join electoral_unit u on u.id = pu.unit_id where a.election_id = ? and ${areaIn} order by 1, 2, 3`,
    `${scope} select c.contest, c.admin_code, c.size from council c where c.election_id = ? and ${councilIn} order by 1, 2`,
  ];
  for (const q of parts) {
    for (const r of await sql<Record<string, unknown>>(em, q, params())) h.update(Object.values(r).join('\u001f') + '\n');
    h.update('\u001e');
  }
  return h.digest('hex');
}
