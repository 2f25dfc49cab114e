// Process entry point for `npm start` (ROLE=all), `npm run web` and `npm run worker`: reads the environment once,
// boots, and shuts down in order on SIGTERM/SIGINT. With ROLE=web and WEB_PROCESSES=n > 1 this process is a
// node:cluster primary that runs no application itself: it starts one web process (which applies the migrations),
// then the other n − 1 once the first listens; they share the port, and one that dies is replaced (docs/operations.md).
import 'reflect-metadata';
import cluster from 'node:cluster';
import { loadConfig, ConfigError, type Config } from '../config/config.js';
import { boot } from '../core/kernel/boot.js';

const roleArg = process.argv.find((a) => a.startsWith('--role='))?.slice('--role='.length);
let config: Config;
try {
  config = loadConfig({ ...process.env, ...(roleArg ? { ROLE: roleArg } : {}) });
} catch (e) {
  if (e instanceof ConfigError) {
    process.stderr.write(e.message + '\n');
    process.exit(78); // EX_CONFIG
  }
  throw e;
}

if (config.role === 'web' && config.webProcesses > 1 && cluster.isPrimary) {
  await runPrimary(config.webProcesses);
} else {
  await runApp(config);
}

async function runApp(config: Config): Promise<void> {
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
}

async function runPrimary(n: number): Promise<void> {
  let stopping = false;
  const say = (m: string) => process.stderr.write(`[web primary] ${m}\n`);
  const fork = () => new Promise<void>((resolve, reject) => {
    const w = cluster.fork();
    w.once('listening', () => resolve());
    w.once('exit', (code) => reject(new Error(`web process exited with ${code} before listening`)));
  });
  cluster.on('exit', (w, code, signal) => {
    if (stopping) return;
    say(`tiến trình web ${w.process.pid} dừng (${signal ?? code}), khởi động lại / web process ${w.process.pid} exited (${signal ?? code}), restarting`);
    fork().catch((e) => say(String(e)));
  });
  try {
    await fork(); // the first applies migrations alone
    await Promise.all(Array.from({ length: n - 1 }, fork));
  } catch (e) {
    say(`Không khởi động được / failed to start: ${e instanceof Error ? e.message : String(e)}`);
    process.exit(1);
  }
  say(`${n} tiến trình web đang chạy / ${n} web processes listening`);
  for (const sig of ['SIGTERM', 'SIGINT'] as const) {
    process.on(sig, () => {
      if (stopping) return;
      stopping = true;
      const workers = Object.values(cluster.workers ?? {});
      for (const w of workers) w?.process.kill('SIGTERM');
      const force = setTimeout(() => process.exit(1), 65_000);
      force.unref();
      Promise.all(workers.map((w) => new Promise((r) => (w?.isDead() ? r(null) : w?.once('exit', r))))).then(() => process.exit(0));
    });
  }
}
