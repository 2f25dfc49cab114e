// Audit module: the core.audit.checkpoint job (verify the chain since the last checkpoint, then sign its head) and its
// schedule, every 10 minutes on the clock, in processes that run the worker; the audit viewer and its CSV export.
import type { CoreModule, KernelDeps } from '../kernel/module.js';
import { PermanentJobError } from '../jobs/job-types.js';
import { loadAuditKeys, type AuditKeys } from './checkpoint-key.js';
import { AUDIT_CHECKPOINT_CRON, AUDIT_CHECKPOINT_JOB, AuditChainBroken, writeCheckpoint } from './checkpoint.service.js';
import { AUDIT_MESSAGES } from './messages.js';
import { auditRoutes } from './audit.routes.js';

export function createAuditModule(d: KernelDeps): CoreModule {
  const log = d.log.child({ module: 'audit' });
  let keys: AuditKeys | undefined;
  const getKeys = (): AuditKeys => (keys ??= loadAuditKeys(d.config, { create: true, log }));
  return {
    id: 'audit',
    messages: AUDIT_MESSAGES,
    // d.access is read when the routes are built (after the access module exists), not when this module is created.
    routes: (render) => auditRoutes({ pipeline: d.access.pipeline })(render),
    jobs: {
      [AUDIT_CHECKPOINT_JOB]: async (_payload, ctx) => {
        try {
          return await writeCheckpoint(ctx.em, getKeys(), { now: () => d.clock.now(), log: ctx.log });
        } catch (e) {
          // Retrying cannot repair a broken chain: fail once, loudly; the next scheduled run reports it again.
          if (e instanceof AuditChainBroken) throw new PermanentJobError(e.message);
          throw e;
        }
      },
    },
    async start() {
      if (!d.runsWorker) return;
      const k = getKeys();
      log.info({ keyId: k.signer?.keyId, publicKey: k.signer?.publicKeyHex, source: k.signer?.source }, 'audit checkpoint key');
      await d.jobs.upsertSchedule({ id: AUDIT_CHECKPOINT_JOB, job: AUDIT_CHECKPOINT_JOB, cron: AUDIT_CHECKPOINT_CRON, payload: {} });
    },
  };
}
