// Where the repository and the reference data are, for benchmarks.
import path from 'node:path';
export const REPO_ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
export const REFERENCE_DATA_DIR = path.resolve(REPO_ROOT, '../shared/data');
export const BENCH_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/test';
export const BENCH_REDIS_URL = 'redis://127.0.0.1:6379';
