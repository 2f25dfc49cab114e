// Reports module (placeholder wiring; the browser pool and the first PDF are built in this directory).
import type { CoreModule, KernelDeps } from '../kernel/module.js';

export function createReportsModule(_d: KernelDeps): CoreModule {
  return { id: 'reports' };
}
