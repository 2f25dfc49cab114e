// Official lists module (issue 5 points 4–7): allocation of candidates to electoral units and the official lists
// (rule 17), the candidate import job, the XLSX exports and the structure statistics page. Wires its messages,
// its job and its routes; the rules themselves live in allocation.ts / rules.ts.
import { z } from 'zod';
import type { CoreModule, KernelDeps } from '../../kernel/module.js';
import type { PluginRegistry } from '../../plugin-host/registry.js';
import { PermanentJobError } from '../../jobs/job-types.js';
import { LISTS_MESSAGES } from './lists-messages.js';
import { IMPORT_JOB, executeImport, markFailed } from './import.service.js';
import { listsRoutes } from './lists.routes.js';

const payload = z.object({ runId: z.string().uuid() });
const LAST_ATTEMPT = 3;

export function createCandidateListsModule(d: KernelDeps, registry: PluginRegistry): CoreModule {
  return {
    id: 'candidate-lists',
    messages: LISTS_MESSAGES,
    jobs: {
      [IMPORT_JOB]: async (raw, ctx) => {
        const p = payload.safeParse(raw);
        if (!p.success) throw new PermanentJobError('payload: {runId: uuid} expected');
        try {
          return await executeImport(ctx.em, p.data.runId, { registry, log: ctx.log, progress: ctx.progress });
        } catch (e) {
          if (e instanceof PermanentJobError || ctx.attempt >= LAST_ATTEMPT) {
            await markFailed(ctx.em.fork(), p.data.runId, e instanceof Error ? e.message : String(e)).catch(() => undefined);
          }
          throw e;
        }
      },
    },
    routes: (render) => listsRoutes({ config: d.config, jobs: d.jobs, access: d.access, registry })(render),
  };
}
