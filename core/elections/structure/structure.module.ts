// Election structure module (issue 4): electoral units per contest, their compositions, council sizes, polling areas
// and their unit per contest. Wires its messages, the import job, the scope resolvers that let roles scoped to a unit
// (board) or a polling area (team) work, and its pages: the structure browser, the check report, imports and exports.
import type { CoreModule, KernelDeps } from '../../kernel/module.js';
import type { PluginRegistry } from '../../plugin-host/registry.js';
import type { PluginStateService } from '../../plugin-host/plugin-state.service.js';
import { PermanentJobError } from '../../jobs/job-types.js';
import { z } from 'zod';
import { STRUCTURE_MESSAGES } from './messages.js';
import { registerScopeResolvers } from './scope.js';
import { executeImport, markFailed, STRUCTURE_IMPORT_JOB } from './import.service.js';
import { structureRoutes } from './structure.routes.js';

const payload = z.object({ runId: z.string().uuid() });
/** The last attempt (BullMQ and the in-process runner both stop at 3). */
const LAST_ATTEMPT = 3;

export function createStructureModule(d: KernelDeps, registry: PluginRegistry, pluginStates: PluginStateService): CoreModule {
  registerScopeResolvers(d.access.scopes);
  return {
    id: 'structure',
    messages: STRUCTURE_MESSAGES,
    jobs: {
      [STRUCTURE_IMPORT_JOB]: async (raw, ctx) => {
        const p = payload.safeParse(raw);
        if (!p.success) throw new PermanentJobError('payload: {runId: uuid} expected');
        try {
          return await executeImport(ctx.em, p.data.runId, { registry, pluginStates, log: ctx.log, progress: ctx.progress });
        } catch (e) {
          if (e instanceof PermanentJobError || ctx.attempt >= LAST_ATTEMPT) {
            await markFailed(ctx.em.fork(), p.data.runId, e instanceof Error ? e.message : String(e)).catch(() => undefined);
          }
          throw e;
        }
      },
    },
    routes: structureRoutes({ config: d.config, orm: d.orm, jobs: d.jobs, clock: d.clock, log: d.log, access: d.access, registry, pluginStates }),
  };
}
