// Results without hot rows (issue 7, docs/results.md "Aggregation"): the incremental jobs store unit rows only
// (with the unit's commune committee and province), and `results_total` becomes a view that derives the commune,
// province and nation rows by summing them at read time — no row every job must lock. Rows stored at a higher level
// are hand corrections (the view adds them; the reconciler reports them as drift and removes them).
import { Migration } from '@mikro-orm/migrations';

const FIELDS = ['voters_total', 'voters_voted', 'ballots_issued', 'ballots_received', 'ballots_valid', 'ballots_invalid'];
const COLS = [...FIELDS, 'minutes_accepted'];

export class Migration20261129000951ResultsHotRows extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table results_total rename to results_total_base`);
    this.addSql(`alter table results_total_base rename constraint results_total_pkey to results_total_base_pkey`);
    this.addSql(`alter table results_total_base add column commune_code text null, add column province_code text null`);
    // Existing unit rows get their scopes (same rule as aggregation.ts UNIT_SCOPE_SQL); derived rows are dropped.
    this.addSql(`update results_total_base t set commune_code = case when u.parent_level = 'commune' then u.parent_code end,
      province_code = case when u.parent_level = 'province' then u.parent_code else coalesce(
        (select a.parent_code from admin_unit a where a.code = u.parent_code and a.valid_from <= e.election_day
          and (a.valid_to is null or a.valid_to > e.election_day) order by a.valid_from desc limit 1),
        (select a.parent_code from admin_unit a where a.code = u.parent_code order by a.valid_from desc limit 1), '-') end
      from electoral_unit u join election e on e.id = u.election_id
      where t.scope_level = 'unit' and u.id::text = t.scope_code`);
    this.addSql(`delete from results_total_base where scope_level <> 'unit'`);
    this.addSql(`create index results_total_base_unit_idx on results_total_base (election_id, contest, round) where scope_level = 'unit'`);
    const sums = COLS.map((c) => `sum(${c})::${c === 'minutes_accepted' ? 'int' : 'bigint'} as ${c}`).join(', ');
    const cols = COLS.join(', ');
    // One branch per level; the outer grouping lets a filter on scope_level / scope_code reach each branch.
    this.addSql(`create view results_total as
      select election_id, contest, round, scope_level, scope_code, ${sums}, max(updated_at) as updated_at from (
        select election_id, contest, round, scope_level, scope_code, ${cols}, updated_at from results_total_base
        union all
        select election_id, contest, round, 'commune', commune_code, ${cols}, updated_at from results_total_base where scope_level = 'unit' and commune_code is not null
        union all
        select election_id, contest, round, 'province', coalesce(province_code, '-'), ${cols}, updated_at from results_total_base where scope_level = 'unit'
        union all
        select election_id, contest, round, 'nation', 'VN', ${cols}, updated_at from results_total_base where scope_level = 'unit'
      ) x group by election_id, contest, round, scope_level, scope_code`);
    // An UPDATE of a view row (a hand correction) adds its difference to the stored row of that level and code.
    this.addSql(`create function results_total_update() returns trigger language plpgsql as $$
      begin
        insert into results_total_base (election_id, contest, round, scope_level, scope_code, ${cols})
        values (new.election_id, new.contest, new.round, new.scope_level, new.scope_code, ${COLS.map((c) => `new.${c} - old.${c}`).join(', ')})
        on conflict (election_id, contest, round, scope_level, scope_code) do update set
          ${COLS.map((c) => `${c} = results_total_base.${c} + excluded.${c}`).join(', ')}, updated_at = now();
        return new;
      end $$`);
    this.addSql(`create trigger results_total_update instead of update on results_total for each row execute function results_total_update()`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop trigger if exists results_total_update on results_total`);
    this.addSql(`drop function if exists results_total_update()`);
    this.addSql(`drop view if exists results_total`);
    this.addSql(`drop index if exists results_total_base_unit_idx`);
    this.addSql(`alter table results_total_base drop column commune_code, drop column province_code`);
    this.addSql(`alter table results_total_base rename constraint results_total_base_pkey to results_total_pkey`);
    this.addSql(`alter table results_total_base rename to results_total`);
  }
}
