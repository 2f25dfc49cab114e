// Count minutes module (issue 6 points 2–8): entry with the rule catalogue, double entry or single entry plus
// verification, resolution of differences, corrections under the two-person rule, scans, the commune's to-do list
// and the submission API. Wires its messages and routes; the rules and their texts are registered at boot.
import type { CoreModule, KernelDeps } from '../../kernel/module.js';
import type { PluginRegistry } from '../../plugin-host/registry.js';
import type { PluginStateService } from '../../plugin-host/plugin-state.service.js';
import { COUNT_MINUTES_PAGE_MESSAGES } from './page-messages.js';
import { countMinutesRoutes } from './routes.js';

export function createCountMinutesModule(d: KernelDeps, registry: PluginRegistry, pluginStates: PluginStateService): CoreModule {
  return {
    id: 'count-minutes',
    messages: COUNT_MINUTES_PAGE_MESSAGES,
    routes: (render) => countMinutesRoutes({ registry, pluginStates, jobs: d.jobs, access: d.access, files: d.files, orm: d.orm })(render),
  };
}
