// Turnout (issue 6 point 1): a per-commune running total of the turnout reports, kept in the writer's transaction
// (core/elections/turnout/store.ts), so the province and national figures are a sum over ~3,300 rows per contest
// and slot instead of a group-by over up to 72,195 × 3 × 5 report rows (docs/turnout.md has the measurements).
import { Migration } from '@mikro-orm/migrations';

export class Migration20261129000910Turnout extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table turnout_commune_total (
      election_id uuid not null references election(id) on delete cascade,
      contest text not null,
      slot text not null,
      commune_code text not null,
      areas_reported int not null default 0 check (areas_reported >= 0),
      voted bigint not null default 0 check (voted >= 0),
      voters_reported bigint not null default 0 check (voters_reported >= 0),
      updated_at timestamptz not null default now(),
      primary key (election_id, contest, slot, commune_code)
    )`);
  }

  override async down(): Promise<void> {
    this.addSql('drop table if exists turnout_commune_total');
  }
}
