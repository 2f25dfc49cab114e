// Process entry point for `npm start` (ROLE=all), `npm run web` and `npm run worker`: reads the environment once,
// boots, and shuts down in order on SIGTERM/SIGINT.
import 'reflect-metadata';
import { loadConfig, ConfigError } from '../config/config.js';
import { boot } from '../core/kernel/boot.js';

const roleArg = process.argv.find((a) => a.startsWith('--role='))?.slice('--role='.length);
let config;
try {
  config = loadConfig({ ...process.env, ...(roleArg ? { ROLE: roleArg } : {}) });
} catch (e) {
  if (e instanceof ConfigError) {
    process.stderr.write(e.message + '\n');
    process.exit(78); // EX_CONFIG
  }
  throw e;
}

const app = await boot(config).catch((e) => {
  process.stderr.write(`Không khởi động được / failed to start: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});

let stopping = false;
for (const sig of ['SIGTERM', 'SIGINT'] as const) {
  process.on(sig, () => {
    if (stopping) return;
    stopping = true;
    app.log.info({ signal: sig }, 'Đang dừng… / shutting down');
    const force = setTimeout(() => process.exit(1), 60_000);
    force.unref();
    app.stop().then(() => process.exit(0), () => process.exit(1));
  });
}
