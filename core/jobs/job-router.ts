// Job router: name → handler. Core registers `core.*` handlers, plugins `<pluginId>.*`; a duplicate name fails at boot.
import type { JobHandler } from './job-types.js';

export class JobRouter {
  private readonly handlers = new Map<string, { owner: string; handler: JobHandler }>();

  register(owner: string, name: string, handler: JobHandler): void {
    if (!name.startsWith(owner + '.')) throw new Error(`job "${name}" must start with "${owner}."`);
    if (this.handlers.has(name)) throw new Error(`job "${name}" registered twice`);
    this.handlers.set(name, { owner, handler });
  }

  get(name: string): { owner: string; handler: JobHandler } | undefined {
    return this.handlers.get(name);
  }

  names(): string[] {
    return [...this.handlers.keys()];
  }
}
