// The explicit entity registration list (no directory globbing). Each module defines its EntitySchemas; the ORM reads this list.
import { ADMIN_TREE_ENTITIES } from '../admin-tree/admin-unit.entity.js';
import { JOB_ENTITIES } from '../jobs/job-run.entity.js';
import { PLUGIN_HOST_ENTITIES } from '../plugin-host/plugin-state.entity.js';
import { AUDIT_ENTITIES } from '../audit/audit-event.entity.js';
import { REPORT_ENTITIES } from '../reports/artefact.entity.js';

export const ENTITIES = [
  ...ADMIN_TREE_ENTITIES,
  ...JOB_ENTITIES,
  ...PLUGIN_HOST_ENTITIES,
  ...AUDIT_ENTITIES,
  ...REPORT_ENTITIES,
];
