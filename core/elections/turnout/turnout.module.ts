// Turnout progress module (issue 6 point 1, rule 34): report times per election, figures per polling area, contest
// and time, live totals, completeness and the chart. Wires its messages and its pages and API route.
import type { CoreModule, KernelDeps } from '../../kernel/module.js';
import type { PluginRegistry } from '../../plugin-host/registry.js';
import { TURNOUT_MESSAGES } from './messages.js';
import { turnoutRoutes } from './turnout.routes.js';

export function createTurnoutModule(d: KernelDeps, registry: PluginRegistry): CoreModule {
  return {
    id: 'turnout',
    messages: TURNOUT_MESSAGES,
    // d.access is read when the routes are built (after the access module exists).
    routes: (render) => turnoutRoutes({ access: d.access, registry, clock: d.clock, orm: d.orm })(render),
  };
}
