// Sharing one run of an idempotent "catch up" call among concurrent callers (the audit batch seal, a coalesced job
// dispatch): under load many requests want the same call at once, and each one costs a round trip.

/**
 * Calls of the returned function share runs. A call made while no run is in flight starts one; a call made while a
 * run is in flight joins the NEXT run, which starts when the current one ends. So every caller is answered by a run
 * that started after its call — what a caller that has just committed needs ("chain what I committed", "make sure
 * a run starts after my commit") — and a burst of N calls costs about two runs instead of N. A run executes the `fn`
 * of the first call it serves (the calls of one sharer must be interchangeable). A failed run rejects the calls it
 * served; the next run is still started for those waiting.
 */
export function sharedRuns<T>(): (fn: () => Promise<T>) => Promise<T> {
  let running = false;
  let waiting: { fn: () => Promise<T>; resolve(v: T): void; reject(e: unknown): void }[] = [];
  const run = async (): Promise<void> => {
    running = true;
    const served = waiting;
    waiting = [];
    try {
      const v = await served[0].fn();
      for (const w of served) w.resolve(v);
    } catch (e) {
      for (const w of served) w.reject(e);
    } finally {
      running = false;
      if (waiting.length) void run();
    }
  };
  return (fn) => new Promise<T>((resolve, reject) => {
    waiting.push({ fn, resolve, reject });
    if (!running) void run();
  });
}

/** sharedRuns per key (a database, a coalescing key), created on first use. */
export function sharedRunsByKey<K extends object | string, T>(): (key: K, fn: () => Promise<T>) => Promise<T> {
  const byString = new Map<string, (fn: () => Promise<T>) => Promise<T>>();
  const byObject = new WeakMap<object, (fn: () => Promise<T>) => Promise<T>>();
  return (key, fn) => {
    let f = typeof key === 'string' ? byString.get(key) : byObject.get(key);
    if (!f) {
      f = sharedRuns<T>();
      if (typeof key === 'string') byString.set(key, f);
      else byObject.set(key, f);
    }
    return f(fn);
  };
}
