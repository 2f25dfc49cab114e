// The explicit list of core templates (no directory globbing). Adding a page = one line here.
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const VIEWS_DIR = path.dirname(fileURLToPath(import.meta.url));

export const CORE_TEMPLATES = {
  layouts: ['main', 'print'],
  partials: ['nav', 'pagination', 'progress', 'flash'],
  pages: [
    'home',
    'errors/error',
    'jobs/index',
    'jobs/show',
    'elections/index',
    'elections/plugins',
    'elections/new',
    'elections/show',
    'elections/edit',
    'elections/calendar',
    'elections/calendar-edit',
    'auth/login',
    'auth/two-factor',
    'auth/enrol',
    'auth/recovery-codes',
    'auth/password',
    'auth/account',
    'auth/tokens',
    'users/index',
    'users/new',
    'users/show',
    'users/bulk',
    'audit/index',
    'reports/index',
    'reports/verify',
    'jobs/queues',
    'tree/index',
    'tree/province',
    'tree/import',
    'tree/import-report',
  ],
};
