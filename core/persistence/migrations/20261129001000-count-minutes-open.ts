// The count-minutes entry's opening step in one round trip (docs/count-minutes.md "Round trips"): the minutes row of
// an area and contest, created on first use and locked for the rest of the transaction, and its entries read AFTER
// the lock is held. One SQL statement cannot do both — its snapshot is taken before it waits for the lock, so a
// concurrent entry committed meanwhile would be missed — but a (volatile, READ COMMITTED) function's statements each
// take a new snapshot: the entries are read once the lock is ours.
import { Migration } from '@mikro-orm/migrations';

export class Migration20261129001000CountMinutesOpen extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create function count_minutes_open(p_id uuid, p_election uuid, p_contest text, p_area uuid, p_unit uuid)
returns jsonb language plpgsql volatile as $fn$
declare
  m count_minutes;
begin
  insert into count_minutes (id, election_id, contest, polling_area_id, unit_id, round, status)
  values (p_id, p_election, p_contest, p_area, p_unit, 'first', 'draft')
  on conflict (polling_area_id, contest, round) do update set updated_at = count_minutes.updated_at
  returning * into m;
  return jsonb_build_object('minutes', to_jsonb(m), 'entries',
    (select coalesce(jsonb_agg(to_jsonb(e) order by e.slot), '[]'::jsonb) from count_minutes_entry e where e.minutes_id = m.id));
end
$fn$`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop function if exists count_minutes_open(uuid, uuid, text, uuid, uuid)`);
  }
}
