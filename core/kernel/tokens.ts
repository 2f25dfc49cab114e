// Service identifiers of the composition root (core/kernel/container.ts).
export const TOKENS = {
  Config: Symbol.for('Config'),
  Logger: Symbol.for('Logger'),
  Clock: Symbol.for('Clock'),
  Orm: Symbol.for('Orm'),
  I18n: Symbol.for('I18n'),
  Views: Symbol.for('Views'),
  Plugins: Symbol.for('Plugins'),
  PluginStates: Symbol.for('PluginStates'),
  JobRouter: Symbol.for('JobRouter'),
  Jobs: Symbol.for('Jobs'),
  Browser: Symbol.for('Browser'),
  Reports: Symbol.for('Reports'),
  Metrics: Symbol.for('Metrics'),
  Lifecycle: Symbol.for('Lifecycle'),
  // request / job scope
  EntityManager: Symbol.for('EntityManager'),
  RequestInfo: Symbol.for('RequestInfo'),
} as const;
