// count_minutes_check (migration 20261129001000), cheaper for PostgreSQL; same contract. Measured under the bench
// load with pg_stat_statements: the SQL-language fingerprint function was planned again at every call (0.1 ms, as
// long as the check's whole body), and the check's upsert wrote a new version of an existing minutes row only to lock
// it. Now the fingerprint is PL/pgSQL (its statement planned once per connection), and the check locks an existing
// row with SELECT … FOR UPDATE by the id it was read with, or creates the row with INSERT … ON CONFLICT DO NOTHING
// when none was read (a concurrent creation is then a change: 40001, as before).
import { Migration } from '@mikro-orm/migrations';
import { CHECK_V1, FINGERPRINT_V1 } from './20261129001000-count-minutes-check.js';

export class Migration20261129001010CountMinutesCheckPlans extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create or replace function count_minutes_fingerprint(m count_minutes) returns text language plpgsql stable as $fn$
begin
  return m.id::text || ':' || m.status || ':' || m.accepted_revision || '|'
      || coalesce((select string_agg(e.id::text || ':' || e.rev || ':' || e.status, ',' order by e.slot) from count_minutes_entry e where e.minutes_id = m.id), '');
end
$fn$`);
    this.addSql(`create or replace function count_minutes_check(p_id uuid, p_election uuid, p_contest text, p_area uuid, p_unit uuid, p_expected text)
returns void language plpgsql volatile as $fn$
declare
  m count_minutes;
  seen text;
begin
  if p_expected is null then
    -- The caller read no row: this call must create it.
    insert into count_minutes (id, election_id, contest, polling_area_id, unit_id, round, status)
    values (p_id, p_election, p_contest, p_area, p_unit, 'first', 'draft')
    on conflict (polling_area_id, contest, round) do nothing;
    if not found then
      raise exception 'count minutes of area % (%) created meanwhile', p_area, p_contest using errcode = '40001';
    end if;
    return;
  end if;
  select * into m from count_minutes where id = p_id for update;
  seen := case when found then count_minutes_fingerprint(m) end;
  if seen is distinct from p_expected then
    raise exception 'count minutes % changed since it was read (% → %)', p_id, p_expected, seen using errcode = '40001';
  end if;
end
$fn$`);
  }

  override async down(): Promise<void> {
    // The earlier definitions (20261129001000).
    this.addSql(FINGERPRINT_V1);
    this.addSql(CHECK_V1);
  }
}
