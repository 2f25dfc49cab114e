// Process logger (pino). Personal data never goes into logs: log ids, not records.
import { pino, type Logger } from 'pino';
import type { Config } from '../../config/config.js';

export type { Logger };

export function createLogger(config: Pick<Config, 'logLevel' | 'version'>, name = 'baucu'): Logger {
  return pino({ name, level: config.logLevel, base: { version: config.version, pid: process.pid } });
}
