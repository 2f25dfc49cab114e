// After `tsc`, copies the non-TypeScript assets next to the compiled files so `node dist/jobs/main.js` finds them:
// Handlebars templates (core views and each plugin's views/) and the public/ directory.
import fs from 'node:fs';
import path from 'node:path';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const dist = path.join(root, 'dist');
const copy = (from, to) => fs.cpSync(path.join(root, from), path.join(dist, to), { recursive: true, filter: (s) => !s.endsWith('.ts') });
copy('views', 'views');
copy('public', 'public');
for (const p of fs.readdirSync(path.join(root, 'plugins'))) {
  if (fs.existsSync(path.join(root, 'plugins', p, 'views'))) copy(`plugins/${p}/views`, `plugins/${p}/views`);
}
console.log('assets copied to dist/');
