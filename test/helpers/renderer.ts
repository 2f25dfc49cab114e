// A report renderer without the application (the forms' and the batch split's PDF tests): the reports' and forms'
// messages, a two-page Chromium pool, a fixed clock (16 March 2026, 10:00 Vietnam time) and a scratch DATA_DIR.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { I18n } from '../../core/shared/i18n.js';
import { BrowserPool } from '../../core/reports/browser-pool.js';
import { ReportRenderer } from '../../core/reports/render.service.js';
import { REPORT_MESSAGES } from '../../core/reports/messages.js';
import { FORM_MESSAGES } from '../../core/reports/forms/messages.js';

export interface StandaloneRenderer {
  pool: BrowserPool;
  renderer: ReportRenderer;
  i18n: I18n;
  /** The scratch DATA_DIR. */
  work: string;
  close(): Promise<void>;
}

export function standaloneRenderer(prefix: string): StandaloneRenderer {
  const log = pino({ level: 'silent' });
  const i18n = new I18n();
  i18n.add('reports', REPORT_MESSAGES);
  i18n.add('forms', FORM_MESSAGES);
  const pool = new BrowserPool({ chromePath: process.env.CHROME_PATH ?? '/usr/bin/chromium', size: 2, log });
  const work = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  const renderer = new ReportRenderer({ pool, i18n, log, clock: { now: () => new Date('2026-03-16T03:00:00Z') } as never, dataDir: work });
  return {
    pool, renderer, i18n, work,
    async close() {
      await pool.close();
      fs.rmSync(work, { recursive: true, force: true });
    },
  };
}
