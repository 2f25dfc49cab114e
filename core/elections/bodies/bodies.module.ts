// Election bodies module (issue 4 point 3): provincial and commune election committees, one election board per
// electoral unit, one election team per polling area, their members and rule 7. Wires its messages, the import job,
// the formation checks the legal calendar shows (rule 9: committees, boards, teams formed) and its pages.
import { z } from 'zod';
import type { CoreModule, KernelDeps } from '../../kernel/module.js';
import type { PluginRegistry } from '../../plugin-host/registry.js';
import { PermanentJobError } from '../../jobs/job-types.js';
import { registerDeadlineCheck } from '../calendar/completeness.js';
import { BODIES_MESSAGES } from './messages.js';
import { BODY_CHECKS } from './completeness.js';
import { BODIES_IMPORT_JOB, executeImport, markFailed } from './import.service.js';
import { bodiesRoutes } from './bodies.routes.js';

const payload = z.object({ runId: z.string().uuid() });
/** The last attempt (BullMQ and the in-process runner both stop at 3). */
const LAST_ATTEMPT = 3;

export function createBodiesModule(d: KernelDeps, registry: PluginRegistry): CoreModule {
  // Module-level functions: a second app booted in the same process registers the same ones again (a no-op).
  for (const [id, check] of Object.entries(BODY_CHECKS)) registerDeadlineCheck(id, check);
  return {
    id: 'bodies',
    messages: BODIES_MESSAGES,
    jobs: {
      [BODIES_IMPORT_JOB]: async (raw, ctx) => {
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
    // d.access is read when the routes are built (after the access module exists).
    routes: (render) => bodiesRoutes({ config: d.config, jobs: d.jobs, access: d.access, registry })(render),
  };
}
