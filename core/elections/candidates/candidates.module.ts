// Candidates module (issue 5 points 1–3): dossiers, documents, consultation. Wires its messages, the scope resolver
// that places a candidate in the tree for the policy (scope.ts) and its pages. The file store comes from the
// kernel (deps.files).
import type { CoreModule, KernelDeps } from '../../kernel/module.js';
import type { PluginRegistry } from '../../plugin-host/registry.js';
import { candidatesMessages } from './messages.js';
import { registerCandidateScope } from './scope.js';
import { candidatesRoutes } from './candidates.routes.js';

export function createCandidatesModule(d: KernelDeps, registry: PluginRegistry): CoreModule {
  registerCandidateScope(d.access.scopes);
  return {
    id: 'candidates',
    messages: candidatesMessages,
    // d.access is read when the routes are built (after the access module exists).
    routes: (render) => candidatesRoutes({ access: d.access, registry, files: () => d.files })(render),
  };
}
