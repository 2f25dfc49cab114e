// Dashboard data (issue 8 point 6): turnout over the day at the nation and a province (per report time), the
// completeness of count minutes per province (accepted first-round minutes / polling-area×contest rows), and the
// structure of the official candidate list against its targets (rule 18). SQL over the committed tables.
import type { EntityManager } from '@mikro-orm/postgresql';
import { sql } from '../persistence/db.js';
import { STRUCTURE_TARGETS } from './forms/forms.data.js';

export interface TurnoutSeries {
  slots: string[];
  series: { name: string; values: (number | null)[] }[];
}

/**
 * Turnout (%) per report time among the polling areas that reported that time (over all areas the line would dip
 * while reports come in): the nation and, if given, one province.
 */
export async function turnoutOverDay(em: EntityManager, electionId: string, contest: string, province?: { code: string; name: string }): Promise<TurnoutSeries> {
  const [e] = await sql<{ turnout_slots: string[] }>(em, `select turnout_slots from election where id = ?`, [electionId]);
  const slots = e?.turnout_slots ?? [];
  const rows = await sql<{ slot: string; scope: string; voted: string; voters: string }>(em,
    `select t.slot, case when c.parent_code = ? then 'p' else 'n' end as scope, sum(t.voted)::text as voted, sum(coalesce(pau.voters, pa.voters))::text as voters
     from turnout_report t join polling_area pa on pa.id = t.polling_area_id
     join polling_area_unit pau on pau.polling_area_id = pa.id and pau.contest = t.contest
     left join lateral (select parent_code from admin_unit where code = pa.commune_code order by valid_from desc limit 1) c on true
     where t.election_id = ? and t.contest = ? group by 1, 2`, [province?.code ?? '', electionId, contest]);
  const at = (slot: string, scopes: string[]) => {
    const rs = rows.filter((r) => r.slot === slot && scopes.includes(r.scope));
    const voters = rs.reduce((a, r) => a + Number(r.voters), 0);
    return voters ? Math.round((rs.reduce((a, r) => a + Number(r.voted), 0) / voters) * 10000) / 100 : null;
  };
  const series = [{ name: 'Toàn quốc', values: slots.map((s) => at(s, ['n', 'p'])) }];
  if (province) series.push({ name: province.name, values: slots.map((s) => at(s, ['p'])) });
  return { slots, series };
}

/** Accepted first-round count minutes against the expected number (one per polling area and contest), per province. */
export async function minutesCompleteness(em: EntityManager, electionId: string): Promise<{ name: string; value: number; accepted: number; expected: number }[]> {
  const rows = await sql<{ name: string; sort_key: string; expected: string; accepted: string }>(em,
    `with c as (select distinct on (code) code, parent_code from admin_unit where level = 'commune' order by code, valid_from desc),
     p as (select distinct on (code) code, name, sort_key from admin_unit where level = 'province' order by code, valid_from desc)
     select p.name, p.sort_key, count(*)::text as expected, count(cm.accepted_version_id)::text as accepted
     from polling_area_unit pau join polling_area pa on pa.id = pau.polling_area_id
     join c on c.code = pa.commune_code join p on p.code = c.parent_code
     left join count_minutes cm on cm.polling_area_id = pa.id and cm.contest = pau.contest and cm.round = 'first'
     where pa.election_id = ? group by p.name, p.sort_key order by p.sort_key`, [electionId]);
  return rows.map((r) => ({ name: r.name, accepted: Number(r.accepted), expected: Number(r.expected), value: Number(r.expected) ? Math.round((Number(r.accepted) / Number(r.expected)) * 1000) / 10 : 0 }));
}

/** Shares (%) of the official list for the structure indicators, with the legal targets where there are some. */
export async function structureAgainstTargets(em: EntityManager, electionId: string, contest: string): Promise<{ total: number; rows: { name: string; actual: number; target: number | null }[] }> {
  const [e] = await sql<{ day: string }>(em, `select election_day::text as day from election where id = ?`, [electionId]);
  const [s] = await sql<Record<string, string>>(em,
    `select count(*)::text as total,
       count(*) filter (where gender = 'female')::text as women,
       count(*) filter (where ethnicity <> '' and ethnicity <> 'Kinh')::text as "ethnicMinority",
       count(*) filter (where not party_member)::text as "nonParty",
       count(*) filter (where date_of_birth is not null and date_of_birth > (?::date - interval '40 years'))::text as under40,
       count(*) filter (where incumbent_na or incumbent_council)::text as incumbent
     from candidate where election_id = ? and contest = ? and status = 'official'`, [e?.day ?? '2026-03-15', electionId, contest]);
  const total = Number(s?.total ?? 0);
  const targets = STRUCTURE_TARGETS[contest] ?? {};
  const LABELS: [string, string][] = [['women', 'Phụ nữ'], ['ethnicMinority', 'Dân tộc thiểu số'], ['nonParty', 'Ngoài Đảng'], ['under40', 'Dưới 40 tuổi'], ['incumbent', 'Tái cử']];
  return {
    total,
    rows: LABELS.map(([k, name]) => ({ name, actual: total ? Math.round((Number(s[k]) / total) * 1000) / 10 : 0, target: targets[k] ?? null })),
  };
}
