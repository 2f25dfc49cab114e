// Child process of bench/http-load.ts: runs autocannon (open model) over a prepared list of requests and prints the
// figures as JSON on stdout.
import fs from 'node:fs';
import autocannon from 'autocannon';
import type { LoadRequest, OpenLoadResult } from './http-load.js';

const spec = JSON.parse(fs.readFileSync(process.argv[2], 'utf8')) as { url: string; connections: number; rate: number; seconds: number; requests: LoadRequest[] };
let next = 0;
const statuses: Record<string, number> = {};
let done!: (r: autocannon.Result) => void;
const finished = new Promise<autocannon.Result>((r) => (done = r));
const instance = autocannon({
  url: spec.url, connections: spec.connections, duration: spec.seconds, overallRate: spec.rate,
  requests: [{
    setupRequest: (req: Record<string, unknown>) => {
      const r = spec.requests[next++ % spec.requests.length];
      return { ...req, method: r.method, path: r.path, headers: r.headers, body: r.body };
    },
  }],
} as unknown as autocannon.Options, (e, r) => {
  if (e) throw e;
  done(r);
});
instance.on('response', (_client: unknown, statusCode: number) => {
  if (statusCode >= 300) statuses[statusCode] = (statuses[statusCode] ?? 0) + 1;
});
const result = await finished;
const out: OpenLoadResult = {
  ok: result['2xx'], non2xx: result.non2xx, errors: result.errors, timeouts: result.timeouts, seconds: spec.seconds,
  latency: { p50: result.latency.p50, p97_5: result.latency.p97_5, p99: result.latency.p99, max: result.latency.max },
  statuses,
};
process.stdout.write(JSON.stringify(out));
process.exit(0);
