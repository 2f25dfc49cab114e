// Which polling areas have not reported a report time yet (for one contest, or for any contest they hold), with
// their team leader's name and phone, overdue ones marked (the time has passed by more than the grace minutes), in
// the nation, a province or a commune; searchable without accents (area, commune, leader), sorted, paginated.
import type { EntityManager } from '@mikro-orm/postgresql';
import { sql } from '../../persistence/db.js';
import { searchKey } from '../../shared/vn-text.js';
import { CLOSE, GRACE_MINUTES } from './rules.js';
import type { Level } from './aggregation.js';

export interface MissingQuery {
  electionId: string;
  slot: string;
  /** One contest, or undefined for "any contest the area holds". */
  contest?: string;
  level: Level;
  code: string;
  q?: string;
  overdueOnly?: boolean;
  sort?: 'place' | 'overdue';
  now: Date;
  graceMinutes?: number;
  offset: number;
  limit: number;
}

export interface MissingRow {
  id: string;
  number: number;
  name: string;
  commune_code: string;
  commune_name: string | null;
  province_code: string | null;
  province_name: string | null;
  missing: string[];
  overdue: boolean;
  due: string;
  leader_name: string | null;
  leader_phone: string | null;
}

export interface MissingResult {
  /** Areas in the place (after the search), of them missing, of those overdue. */
  areas: number;
  missing: number;
  overdue: number;
  rows: MissingRow[];
}

const escapeLike = (s: string) => s.replace(/[\\%_]/g, (m) => '\\' + m);

export async function missingReports(em: EntityManager, o: MissingQuery): Promise<MissingResult> {
  // Missing contests of each area for the slot.
  const contestFilter = o.contest ? ' and pu.contest = ?' : '';
  const where: string[] = ['a.election_id = ?'];
  const whereParams: unknown[] = [o.electionId];
  if (o.level === 'province') {
    where.push('c.parent_code = ?');
    whereParams.push(o.code);
  } else if (o.level === 'commune') {
    where.push('a.commune_code = ?');
    whereParams.push(o.code);
  }
  const q = (o.q ?? '').trim();
  if (q) {
    if (/^[\d .]{3,}$/.test(q)) {
      // Digits: a phone number (or part of one) of the team leader.
      where.push(`exists (select 1 from election_body b join body_member m on m.body_id = b.id where b.polling_area_id = a.id and b.kind = 'team' and m.phone_key like ?)`);
      whereParams.push('%' + escapeLike(q.replace(/\D/g, '')) + '%');
    } else {
      // Area and commune names without accents; the leader's name as typed (its key keeps accents: docs/bodies.md).
      where.push(`((' ' || a.search_key || ' ' || coalesce(c.search_key, '')) like ? or exists (select 1 from election_body b join body_member m on m.body_id = b.id where b.polling_area_id = a.id and b.kind = 'team' and (' ' || m.name_key) like ?))`);
      whereParams.push('% ' + escapeLike(searchKey(q)) + '%', '% ' + escapeLike(q.normalize('NFC').toLowerCase()) + '%');
    }
  }
  // Due instant in UTC as a timestamp without time zone: the area's voting date + the slot time (its own closing
  // time for 'close') − 7 h (Vietnam, no daylight saving). Plain arithmetic: the same SQL runs on PGlite.
  const due = `((coalesce(a.voting_date, e.election_day) + ${o.slot === CLOSE ? 'a.closes' : '?::time'}) - interval '7 hours')`;
  const dueParams = o.slot === CLOSE ? [] : [o.slot];
  const nowTs = o.now.toISOString().replace('T', ' ').replace('Z', '');
  const scopeJoin = `join election e on e.id = a.election_id
        left join admin_unit c on c.code = a.commune_code and c.level = 'commune' and c.valid_from <= e.election_day and (c.valid_to is null or c.valid_to > e.election_day)`;
  // The missing (area, contest) pairs first — one anti-join over the unit rows of the place, no per-area subquery —
  // then names, leaders and the order only for those areas.
  const missingCte = `
    with miss as materialized (
      select pu.polling_area_id as id, array_agg(pu.contest order by pu.contest) as missing
        from polling_area a join polling_area_unit pu on pu.polling_area_id = a.id ${scopeJoin}
       where ${where.join(' and ')}${contestFilter}
         and not exists (select 1 from turnout_report r where r.polling_area_id = pu.polling_area_id and r.contest = pu.contest and r.slot = ?)
       group by pu.polling_area_id
    ), m as (
      select a.id, a.number, a.name, a.commune_code, c.name as commune_name, c.sort_key as commune_sort, c.parent_code as province_code,
             p.name as province_name, p.sort_key as province_sort, miss.missing, ${due} as due,
             (${due} + (? * interval '1 minute')) < ?::timestamp as overdue
        from miss join polling_area a on a.id = miss.id ${scopeJoin}
        left join admin_unit p on p.code = c.parent_code and p.level = 'province' and p.valid_from <= e.election_day and (p.valid_to is null or p.valid_to > e.election_day)
    )`;
  const cteParams = [...whereParams, ...(o.contest ? [o.contest] : []), o.slot, ...dueParams, ...dueParams, o.graceMinutes ?? GRACE_MINUTES, nowTs];
  const [areaCount] = await sql<{ n: number }>(em, `select count(*)::int as n from polling_area a ${scopeJoin} where ${where.join(' and ')}`, whereParams);
  const [counts] = await sql<{ missing: number; overdue: number }>(em,
    `${missingCte} select count(*)::int as missing, count(*) filter (where overdue)::int as overdue from m`, cteParams);
  const order = o.sort === 'overdue' ? 'm.overdue desc, m.province_sort, m.commune_sort, m.number' : 'm.province_sort, m.commune_sort, m.number';
  const rows = await sql<MissingRow>(em,
    `${missingCte} select m.id, m.number, m.name, m.commune_code, m.commune_name, m.province_code, m.province_name, m.missing, m.overdue,
            to_char(m.due + interval '7 hours', 'HH24:MI') as due, l.full_name as leader_name, l.phone as leader_phone
       from m left join lateral (select mb.full_name, mb.phone from election_body b join body_member mb on mb.body_id = b.id
                                  where b.polling_area_id = m.id and b.kind = 'team' and mb.role = 'leader' order by mb.position limit 1) l on true
      ${o.overdueOnly ? 'where m.overdue' : ''}
      order by ${order} limit ? offset ?`,
    [...cteParams, o.limit, o.offset]);
  const counts2 = { areas: areaCount?.n ?? 0, missing: counts?.missing ?? 0, overdue: counts?.overdue ?? 0 };
  return { ...counts2, rows };
}
