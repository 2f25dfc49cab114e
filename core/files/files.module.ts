// Stored uploads as a core module: contributes the files.* messages and, at start in the worker process, removes
// files left without a record by rolled-back transactions. The FileStore itself is built once in
// core/kernel/boot.ts and handed to modules as KernelDeps.files.
import type { EntityManager } from '@mikro-orm/postgresql';
import type { CoreModule, KernelDeps } from '../kernel/module.js';
import { FILES_MESSAGES } from './messages.js';

export function createFilesModule(d: KernelDeps): CoreModule {
  return {
    id: 'files',
    messages: FILES_MESSAGES,
    async start() {
      if (!d.runsWorker) return;
      // In the background: a large store must not delay start-up.
      void d.files.sweepOrphans(d.orm.em.fork() as EntityManager).catch((e) => d.log.warn({ err: e }, 'sweeping stored files failed'));
    },
  };
}
