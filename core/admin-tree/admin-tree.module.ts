// Administrative tree module: nation → province → commune-level unit with official codes, versioned by effective
// date. Wires its messages, its import jobs, its pages/API, the home-page counts, and at start the re-queueing of
// interrupted uploads and the automatic import of the reference lists into an empty tree.
import fs from 'node:fs';
import path from 'node:path';
import type { CoreModule, KernelDeps, TreeCounts } from '../kernel/module.js';
import { sql } from '../persistence/db.js';
import { ADMIN_TREE_MESSAGES } from './messages.js';
import { adminTreeJobs } from './import.job.js';
import { adminTreeRoutes } from './admin-tree.routes.js';
import { REFERENCE_FILES, requestReferenceImport, requeueOrphans, treeCountsAt } from './import.service.js';
import { vnToday } from './tree.queries.js';

export function createAdminTreeModule(d: KernelDeps): CoreModule & { treeCounts: TreeCounts } {
  return {
    id: 'admin-tree',
    messages: ADMIN_TREE_MESSAGES,
    jobs: adminTreeJobs({ orm: d.orm, jobs: d.jobs }),
    routes: adminTreeRoutes({ config: d.config, orm: d.orm, jobs: d.jobs, clock: d.clock, log: d.log, access: d.access }),
    treeCounts: async (req) => {
      const c = await treeCountsAt(req.scope.em, vnToday(d.clock));
      return { provinces: c.provinces, communes: c.communes };
    },
    async start() {
      // Any role may enqueue; a worker (this process or another) runs the job. Failures here must not stop the
      // boot: the job rows are the record and a later start (or the worker's recover()) picks them up.
      try {
        const n = await requeueOrphans(d.orm, d.jobs);
        if (n) d.log.info({ count: n }, 'import runs re-queued');
        if (!d.config.autoImportReference) return;
        const [{ n: units }] = await sql<{ n: number }>(d.orm.em.fork(), 'select count(*)::int as n from admin_unit');
        if (units > 0) return;
        const dir = d.config.referenceDataDir;
        const missing = Object.values(REFERENCE_FILES).filter((f) => !fs.existsSync(path.join(dir, f)));
        if (missing.length) {
          d.log.warn({ dir, missing }, 'Không có danh sách đơn vị hành chính tham chiếu: hãy tải lên tại /tree/import / reference lists not found, upload them at /tree/import');
          return;
        }
        // Fixed run ids: two processes starting at once enqueue one import.
        const queued = await requestReferenceImport(d.orm, d.jobs, dir);
        if (queued) d.log.info({ jobRunId: queued.jobRunId, dir }, 'Tự động nhập danh sách đơn vị hành chính tham chiếu / reference import queued');
      } catch (e) {
        d.log.error({ err: e instanceof Error ? e.message : String(e) }, 'admin tree start: reference import not queued');
      }
    },
  };
}
