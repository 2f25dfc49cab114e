// Job handler of the administrative tree: `core.admin-tree.import`, payload {importRunId} (ids only: the file is
// on disk and its path in the import_run row). A bad file is not a job failure: the run is 'rejected' with its report
// and the job succeeds. Infrastructure errors are retried; after the last attempt the run is marked 'failed'.
import { z } from 'zod';
import type { MikroORM } from '@mikro-orm/postgresql';
import type { JobHandler } from '../jobs/job-types.js';
import { PermanentJobError } from '../jobs/job-types.js';
import type { JobService } from '../jobs/job.service.js';
import { executeImport, markImportFailed, prepareImport, queueChained, IMPORT_JOB } from './import.service.js';

const importPayload = z.object({ importRunId: z.string().uuid() });

/** The last attempt (BullMQ and the in-process runner both stop at 3). */
const LAST_ATTEMPT = 3;

export function adminTreeJobs(d: { orm: MikroORM; jobs: JobService }): Record<string, JobHandler> {
  return {
    [IMPORT_JOB]: async (payload, ctx) => {
      const p = importPayload.safeParse(payload);
      if (!p.success) throw new PermanentJobError('payload: {importRunId: uuid} expected');
      const id = p.data.importRunId;
      try {
        const prepared = await prepareImport(ctx.em, id);
        const out = await executeImport(ctx.em, prepared, { log: ctx.log, progress: ctx.progress });
        // The reference lists: provinces, then communes. Also on a retry of a run already done (crash in between).
        const next = await queueChained(d.orm, d.jobs, id);
        return { importRunId: out.importRunId, status: out.status, kind: out.kind, noChanges: out.noChanges, changed: out.changed, errors: out.errors, next };
      } catch (e) {
        if (e instanceof PermanentJobError || ctx.attempt >= LAST_ATTEMPT) {
          await markImportFailed(ctx.em.fork(), id, e instanceof Error ? e.message : String(e)).catch(() => undefined);
        }
        throw e;
      }
    },
  };
}
