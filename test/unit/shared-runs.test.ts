// sharedRuns (core/shared/coalesce.ts): the audit seal and the coalesced job dispatch share one run among concurrent
// callers, and every caller must be answered by a run that STARTED after its call.
import { describe, it, expect } from 'vitest';
import { sharedRuns, sharedRunsByKey } from '../../core/shared/coalesce.js';

const tick = () => new Promise((r) => setTimeout(r, 5));

describe('sharedRuns', () => {
  it('a burst of calls costs two runs; each call is answered by a run that started after it', async () => {
    const share = sharedRuns<number>();
    let runs = 0;
    const starts: number[] = [];
    const run = async () => {
      starts.push(performance.now());
      runs++;
      await tick();
      return runs;
    };
    const calledAt: number[] = [];
    const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => {
      calledAt[i] = performance.now();
      return share(run);
    }));
    // The first call starts a run at once; the 19 made after that start share the next one.
    expect(runs).toBe(2);
    expect(answers).toEqual([1, ...Array(19).fill(2)]);
    expect(starts[1]).toBeGreaterThanOrEqual(calledAt[19]);
    // Calls made while a run is in flight join the next one (started after they were made).
    const first = share(run);
    const lateAt = performance.now();
    const late = Promise.all([share(run), share(run)]);
    expect(await first).toBe(3);
    expect(await late).toEqual([4, 4]);
    expect(starts[3]).toBeGreaterThanOrEqual(lateAt);
    expect(runs).toBe(4);
  });

  it('a failed run rejects the calls it served; those waiting still get their run', async () => {
    const share = sharedRuns<string>();
    let n = 0;
    const a = share(async () => {
      await tick();
      throw new Error('boom');
    });
    const b = share(async () => `ok ${++n}`);
    await expect(a).rejects.toThrow('boom');
    expect(await b).toBe('ok 1');
  });

  it('by key: different keys never share a run', async () => {
    const share = sharedRunsByKey<string, string>();
    const [x, y] = await Promise.all([share('a', async () => 'A'), share('b', async () => 'B')]);
    expect([x, y]).toEqual(['A', 'B']);
  });
});
