// artefact: a generated document (PDF, XLSX, CSV) stored under DATA_DIR, with who made it, when, parameters and hash.
import { EntitySchema } from '@mikro-orm/core';

export class Artefact {
  id!: string;
  kind!: string;
  title!: string;
  params!: unknown;
  path!: string;
  sha256!: string;
  size!: number;
  mime!: string;
  createdBy!: string;
  createdAt!: Date;
  jobRunId?: string | null;
  /** 'pdf' | 'xlsx' | 'csv'. */
  format?: string | null;
  /** Short code printed on a PDF (QR + link to /v/<code>); null for other formats and older artefacts. */
  verifyCode?: string | null;
  /** Ancestors of the report's target, `type:code` from the target up to `nation:VN`: who may list it. */
  scopePath?: string[] | null;
  electionId?: string | null;
}

export const ArtefactSchema = new EntitySchema<Artefact>({
  class: Artefact,
  tableName: 'artefact',
  properties: {
    id: { type: 'uuid', primary: true },
    kind: { type: 'string' },
    title: { type: 'string' },
    params: { type: 'json' },
    path: { type: 'string' },
    sha256: { type: 'string' },
    size: { type: 'integer' },
    mime: { type: 'string' },
    createdBy: { type: 'string', fieldName: 'created_by' },
    createdAt: { type: 'Date', fieldName: 'created_at' },
    jobRunId: { type: 'uuid', nullable: true, fieldName: 'job_run_id' },
    format: { type: 'string', nullable: true },
    verifyCode: { type: 'string', nullable: true, fieldName: 'verify_code' },
    scopePath: { type: 'string[]', nullable: true, fieldName: 'scope_path' },
    electionId: { type: 'uuid', nullable: true, fieldName: 'election_id' },
  },
});

export const REPORT_ENTITIES = [ArtefactSchema];
