// config/: one zod-validated object from the environment; a bad value stops the process naming the variable.
import { describe, it, expect } from 'vitest';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { loadConfig, ConfigError } from '../../config/config.js';
import { REPO_ROOT } from '../helpers/test-app.js';

describe('config', () => {
  it('has the documented defaults', () => {
    const c = loadConfig({}, '/srv/baucu');
    expect(c.port).toBe(3000);
    expect(c.chromePath).toBe('/usr/bin/chromium');
    expect(c.dataDir).toBe('/srv/baucu/data');
    expect(c.referenceDataDir).toBe(path.resolve('/srv/baucu', '../shared/data'));
    expect(c.role).toBe('all');
    expect(c.logLevel).toBe('info');
    expect(c.databaseUrl).toBeUndefined();
    expect(c.redisUrl).toBeUndefined();
  });

  it.each([
    ['PORT', 'abc'],
    ['PORT', '70000'],
    ['DATABASE_URL', 'mysql://x'],
    ['REDIS_URL', 'http://localhost'],
    ['ROLE', 'both'],
    ['LOG_LEVEL', 'loud'],
    ['SESSION_SECRET', 'short'],
    ['DATABASE_SCHEMA', 'Bad-Schema'],
  ])('rejects %s=%s naming the variable', (variable, value) => {
    try {
      loadConfig({ [variable]: value });
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      expect((e as ConfigError).issues.map((i) => i.variable)).toContain(variable);
      expect((e as Error).message).toContain(variable);
    }
  });

  it('treats empty strings as unset', () => {
    expect(loadConfig({ DATABASE_URL: '', REDIS_URL: ' ' }).databaseUrl).toBeUndefined();
  });

  it('a bad value stops the process at start with a message naming the variable', () => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'jobs/main.ts'], {
      cwd: REPO_ROOT,
      env: { PATH: process.env.PATH, PORT: 'not-a-port', HOME: process.env.HOME },
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(r.status).toBe(78);
    expect(r.stderr).toContain('PORT');
    expect(r.stderr).not.toMatch(/at .*\.ts:\d+/);
  });

  it('no module other than config/ reads process.env', async () => {
    const { execSync } = await import('node:child_process');
    const out = execSync(`grep -rln "process\\.env" core plugins jobs views || true`, { cwd: REPO_ROOT, encoding: 'utf8' });
    // jobs/main.ts and jobs/db-migrate.ts are entry points: they hand process.env to loadConfig and nothing else.
    const offenders = out.split('\n').filter(Boolean).filter((f) => !['jobs/main.ts', 'jobs/db-migrate.ts', 'jobs/audit-verify.ts', 'jobs/seed-national.ts'].includes(f));
    expect(offenders).toEqual([]);
  });
});
