// Report engine and verifiable print: each artefact records its format, the scope it belongs to (ancestor chain of
// the report's target, for listing by the actor's scope), its election if any, and for PDFs the short verification
// code printed on the document (QR + /v/<code>). The kind becomes the report id; versions of one document are the
// artefacts of one kind, format and parameters.
import { Migration } from '@mikro-orm/migrations';

export class Migration20261129000700Reports extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table artefact
      add column format text null check (format in ('pdf', 'xlsx', 'csv')),
      add column verify_code text null,
      add column scope_path text[] null,
      add column election_id uuid null`);
    this.addSql(`create unique index artefact_verify_code_uq on artefact (verify_code) where verify_code is not null`);
    this.addSql(`create index artefact_versions_idx on artefact (kind, format, created_at desc)`);
    this.addSql(`create index artefact_scope_path_idx on artefact using gin (scope_path)`);
    // Artefacts from before the engine: the province list, as PDF, scoped to its province.
    this.addSql(`update artefact set kind = 'core.reports.province-communes' where kind = 'province-communes'`);
    this.addSql(`update artefact set format = lower(substring(path from '\\.([A-Za-z]+)$')) where format is null and lower(substring(path from '\\.([A-Za-z]+)$')) in ('pdf', 'xlsx', 'csv')`);
    this.addSql(`update artefact set scope_path = case when params->>'provinceCode' is not null then array['nation:VN', 'province:' || (params->>'provinceCode')] else array['nation:VN'] end where scope_path is null`);
  }

  override async down(): Promise<void> {
    this.addSql(`update artefact set kind = 'province-communes' where kind = 'core.reports.province-communes'`);
    this.addSql(`drop index if exists artefact_scope_path_idx`);
    this.addSql(`drop index if exists artefact_versions_idx`);
    this.addSql(`drop index if exists artefact_verify_code_uq`);
    this.addSql(`alter table artefact
      drop column if exists election_id,
      drop column if exists scope_path,
      drop column if exists verify_code,
      drop column if exists format`);
  }
}
