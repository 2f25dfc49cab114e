// The count-minutes entry's optimistic check (docs/count-minutes.md "Round trips"). The entry path reads the minutes
// row and its entries without a lock, together with the area context (one round trip before the transaction),
// decides in the application what the entry makes of them, and sends its writes in one message that starts with
// count_minutes_check(): it creates the row if needed, locks it, and compares the state under the lock with the one
// the decision was made on (a fingerprint of the row's id, status and accepted revision and of each entry's id,
// revision and status; none when no row was read: then the row must be the one the check creates). Equal → the
// writes that follow in the same transaction are right. Different (a concurrent entry got there first) → SQLSTATE
// 40001, the whole transaction rolls back and the application decides again on fresh state. The entries are read by
// a statement of their own inside the function, after the lock is held: a (volatile, READ COMMITTED) function's
// statements each take a new snapshot.
import { Migration } from '@mikro-orm/migrations';

/** The definitions this migration installs (20261129001010's down() puts them back). */
export const FINGERPRINT_V1 = `create or replace function count_minutes_fingerprint(m count_minutes) returns text language sql stable as $fn$
  select m.id::text || ':' || m.status || ':' || m.accepted_revision || '|'
      || coalesce((select string_agg(e.id::text || ':' || e.rev || ':' || e.status, ',' order by e.slot) from count_minutes_entry e where e.minutes_id = m.id), '')
$fn$`;
export const CHECK_V1 = `create or replace function count_minutes_check(p_id uuid, p_election uuid, p_contest text, p_area uuid, p_unit uuid, p_expected text)
returns void language plpgsql volatile as $fn$
declare
  m count_minutes;
  seen text;
begin
  insert into count_minutes (id, election_id, contest, polling_area_id, unit_id, round, status)
  values (p_id, p_election, p_contest, p_area, p_unit, 'first', 'draft')
  on conflict (polling_area_id, contest, round) do update set updated_at = count_minutes.updated_at
  returning * into m;
  seen := count_minutes_fingerprint(m);
  -- p_expected null: the caller read no row; then the row must be the one this call created (so no entries yet).
  if (p_expected is null and m.id <> p_id) or (p_expected is not null and seen <> p_expected) then
    raise exception 'count minutes % changed since it was read (% → %)', m.id, p_expected, seen using errcode = '40001';
  end if;
end
$fn$`;

export class Migration20261129001000CountMinutesCheck extends Migration {
  override async up(): Promise<void> {
    this.addSql(FINGERPRINT_V1);
    this.addSql(CHECK_V1);
  }

  override async down(): Promise<void> {
    this.addSql(`drop function if exists count_minutes_check(uuid, uuid, text, uuid, uuid, text)`);
    this.addSql(`drop function if exists count_minutes_fingerprint(count_minutes)`);
  }
}
