// Rule 23, ballot-paper inventory per polling area: received from the board = issued + unused (sealed) + spoiled
// (exchanged, sealed). Three optional counts on each version of the count minutes; null = not given (the contest's
// `ballot-inventory` setting decides whether they are required). Entries keep them in their jsonb data.
import { Migration } from '@mikro-orm/migrations';

export class Migration20261129000980BallotInventory extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table count_minutes_version
      add column ballots_from_board int null check (ballots_from_board >= 0),
      add column ballots_unused int null check (ballots_unused >= 0),
      add column ballots_spoiled int null check (ballots_spoiled >= 0)`);
  }

  override async down(): Promise<void> {
    this.addSql('alter table count_minutes_version drop column if exists ballots_from_board, drop column if exists ballots_unused, drop column if exists ballots_spoiled');
  }
}
