// Entry point of `npm run results -- --type <contest type> --input <file.csv> [--format json|csv]`: wires the
// process's streams and file system to the results tool (core/elections/results/results-tool.ts).
import { readFile } from 'node:fs/promises';
import { runResultsTool } from '../core/elections/results/results-tool.js';

// exitCode rather than process.exit(): a large result piped to another program must be flushed first.
process.exitCode = await runResultsTool(process.argv.slice(2), {
  stdout: (text) => void process.stdout.write(text),
  stderr: (text) => void process.stderr.write(text),
  readFile: (path) => readFile(path),
});
