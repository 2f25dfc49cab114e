// The explicit list of benchmarks `npm run bench` runs, in order.
import type { Bench } from './lib.js';
import { coldStartBench } from './cold-start.bench.js';
import { treeBench } from './tree.bench.js';
import { auditBench } from './audit.bench.js';
import { loginBench } from './login.bench.js';
import { structureBench } from './structure.bench.js';
import { candidatesBench } from './candidates.bench.js';
import { turnoutBench } from './turnout.bench.js';
import { countMinutesBench } from './count-minutes.bench.js';
import { resultsBench } from './results.bench.js';
import { reportsBench } from './reports.bench.js';

// One bench per line: adding a bench is one import and one line.
export const BENCHES: Bench[] = [
  treeBench,
  coldStartBench,
  auditBench,
  loginBench,
  structureBench,
  candidatesBench,
  turnoutBench,
  countMinutesBench,
  resultsBench,
  reportsBench,
];
