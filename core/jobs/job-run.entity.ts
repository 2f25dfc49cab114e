// job_run: the database record of every job (queued → running → succeeded | failed | cancelled) with its progress;
// BullMQ (or the in-process runner) is only the transport, so the progress page reads the same table either way.
import { EntitySchema } from '@mikro-orm/core';

export type JobStatus = 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled';

export class JobRun {
  id!: string;
  name!: string;
  status!: JobStatus;
  progressDone!: number;
  progressTotal!: number;
  payload!: unknown;
  result?: unknown;
  error?: string | null;
  attempts!: number;
  createdBy!: string;
  electionId?: string | null;
  createdAt!: Date;
  startedAt?: Date | null;
  finishedAt?: Date | null;
  updatedAt!: Date;
}

export const JobRunSchema = new EntitySchema<JobRun>({
  class: JobRun,
  tableName: 'job_run',
  properties: {
    id: { type: 'uuid', primary: true },
    name: { type: 'string' },
    status: { type: 'string' },
    progressDone: { type: 'integer', fieldName: 'progress_done' },
    progressTotal: { type: 'integer', fieldName: 'progress_total' },
    payload: { type: 'json' },
    result: { type: 'json', nullable: true },
    error: { type: 'text', nullable: true },
    attempts: { type: 'integer' },
    createdBy: { type: 'string', fieldName: 'created_by' },
    electionId: { type: 'uuid', nullable: true, fieldName: 'election_id' },
    createdAt: { type: 'Date', fieldName: 'created_at' },
    startedAt: { type: 'Date', nullable: true, fieldName: 'started_at' },
    finishedAt: { type: 'Date', nullable: true, fieldName: 'finished_at' },
    updatedAt: { type: 'Date', fieldName: 'updated_at' },
  },
});

export const JOB_ENTITIES = [JobRunSchema];
