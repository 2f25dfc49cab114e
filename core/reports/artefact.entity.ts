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
  },
});

export const REPORT_ENTITIES = [ArtefactSchema];
