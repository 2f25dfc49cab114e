// Counting round trips: the statement texts sent to PostgreSQL (each pg Client.query call is one message) while `f`
// runs, whitespace collapsed. Observes the real driver; nothing is replaced.
import pg from 'pg';

export async function statementsSent(f: () => Promise<unknown>, keep: (text: string) => boolean = () => true): Promise<string[]> {
  const seen: string[] = [];
  const proto = pg.Client.prototype as unknown as { query: (...a: unknown[]) => unknown };
  const orig = proto.query;
  proto.query = function (this: unknown, ...a: unknown[]) {
    const q = a[0] as string | { text: string };
    const text = (typeof q === 'string' ? q : q.text).replace(/\s+/g, ' ').trim();
    if (keep(text)) seen.push(text);
    return orig.apply(this, a);
  };
  try {
    await f();
  } finally {
    proto.query = orig;
  }
  return seen;
}
