// Candidate dossiers and consultation (issue 5 points 1–3): the documents filed with a dossier (scans and the 4×6
// photo, stored through the file store), whether the nominee is for a full-time post (rule 19: health certificate),
// the consultation conferences of each council (rounds 1–3) and the voter conferences per candidate (rule 24
// percentages are computed, never stored). The candidate table itself is the shared contract (…000800).
import { Migration } from '@mikro-orm/migrations';

export const DOCUMENT_KINDS = ['application', 'cv', 'biography', 'asset-declaration', 'photo', 'health-certificate', 'other'] as const;

export class Migration20261129000810CandidateDossiers extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table candidate add column full_time_post boolean not null default false`);
    this.addSql(`create table candidate_document (
      id uuid primary key,
      candidate_id uuid not null references candidate(id) on delete cascade,
      kind text not null check (kind in (${DOCUMENT_KINDS.map((k) => `'${k}'`).join(', ')})),
      set_no int not null default 1 check (set_no between 1 and 9),
      file_id uuid not null references stored_file(id),
      uploaded_by text not null,
      uploaded_at timestamptz not null default now()
    )`);
    this.addSql(`create index candidate_document_candidate_idx on candidate_document (candidate_id, kind, set_no)`);
    // One row per consultation conference of a council (its level's Fatherland Front committee convenes it):
    // round 1 one row per nominating body (structure, composition, number of nominees), rounds 2 and 3 the
    // conference that drew up the preliminary / qualified list.
    this.addSql(`create table consultation_round (
      id uuid primary key,
      election_id uuid not null references election(id) on delete cascade,
      contest text not null,
      council_code text not null,
      round int not null check (round between 1 and 3),
      held_on date not null,
      nominating_body text null,
      composition text null,
      nominees int null check (nominees is null or nominees >= 0),
      note text null,
      recorded_by text not null,
      recorded_at timestamptz not null default now(),
      check (round <> 1 or (nominating_body is not null and nominees is not null))
    )`);
    this.addSql(`create index consultation_round_council_idx on consultation_round (election_id, contest, council_code, round)`);
    this.addSql(`create table voter_conference (
      id uuid primary key,
      candidate_id uuid not null references candidate(id) on delete cascade,
      kind text not null check (kind in ('workplace', 'residence')),
      held_on date not null,
      invited int not null check (invited > 0),
      attending int not null check (attending >= 0 and attending <= invited),
      confidence int not null check (confidence >= 0 and confidence <= attending),
      recorded_by text not null,
      recorded_at timestamptz not null default now()
    )`);
    this.addSql(`create index voter_conference_candidate_idx on voter_conference (candidate_id, held_on)`);
  }

  override async down(): Promise<void> {
    this.addSql('drop table if exists voter_conference');
    this.addSql('drop table if exists consultation_round');
    this.addSql('drop table if exists candidate_document');
    this.addSql('alter table candidate drop column if exists full_time_post');
  }
}
