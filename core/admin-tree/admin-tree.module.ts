// Administrative tree module (placeholder wiring; the import, pages and search are built in this directory).
import type { CoreModule, KernelDeps, TreeCounts } from '../kernel/module.js';
import { sql } from '../persistence/db.js';

export function createAdminTreeModule(_d: KernelDeps): CoreModule & { treeCounts: TreeCounts } {
  return {
    id: 'admin-tree',
    treeCounts: async (req) => {
      const rows = await sql<{ level: string; n: string }>(req.scope.em, `select level, count(*)::text as n from admin_unit where valid_to is null group by level`);
      const get = (l: string) => Number(rows.find((r) => r.level === l)?.n ?? 0);
      return { provinces: get('province'), communes: get('commune') };
    },
  };
}
