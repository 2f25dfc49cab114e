// Writes docs/rules.md from the rule catalogue (npm run docs:rules); test/unit/count-minutes.rules.test.ts checks it.
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { renderRulesDoc } from '../core/elections/count-minutes/rules-doc.js';

const file = fileURLToPath(new URL('../docs/rules.md', import.meta.url));
fs.writeFileSync(file, renderRulesDoc());
console.log(`wrote ${file}`);
