// Runs once before the test files: fails early, with the fix, when PostgreSQL or Redis is not answering.
import net from 'node:net';

function reachable(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host, port, timeout: 2000 }, () => {
      s.end();
      resolve(true);
    });
    s.on('error', () => resolve(false));
    s.on('timeout', () => {
      s.destroy();
      resolve(false);
    });
  });
}

export default async function setup(): Promise<void> {
  const pg = await reachable('127.0.0.1', 5432);
  const redis = await reachable('127.0.0.1', 6379);
  const missing = [!pg && 'PostgreSQL (127.0.0.1:5432)', !redis && 'Redis (127.0.0.1:6379)'].filter(Boolean);
  if (missing.length) throw new Error(`Tests need ${missing.join(' and ')}: run bash .ci/run, which starts them.`);
}
