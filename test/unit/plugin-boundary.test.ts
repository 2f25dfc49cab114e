// The import boundary: plugins import only core/plugin-api/index.ts, their own files and packages (ARCHITECTURE.md).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findBoundaryViolations } from '../helpers/plugin-boundary.js';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

describe('plugin import boundary', () => {
  it('the real plugins/ directory has no violations', () => {
    expect(findBoundaryViolations(repoRoot)).toEqual([]);
  });

  describe('on a fake repository with a misbehaving plugin', () => {
    let root: string;

    const write = (rel: string, text: string) => {
      const file = path.join(root, rel);
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, text);
    };

    beforeAll(() => {
      root = fs.mkdtempSync(path.join(os.tmpdir(), 'baucu-boundary-'));
      write('core/plugin-api/index.ts', 'export const x = 1;\n');
      write('core/admin-tree/x.ts', 'export const y = 2;\n');
      write('plugins/national-assembly/plugin.ts', "import { x } from '../../core/plugin-api/index.js';\nexport default x;\n");
      write(
        'plugins/bad-plugin/plugin.ts',
        [
          "import { x } from '../../core/plugin-api/index.js';",
          "import { z } from 'zod';",
          "import { readFileSync } from 'node:fs';",
          "import { helper } from './helper.js';",
          "import { y } from '../../core/admin-tree/x.js';",
          'export default [x, y, z, readFileSync, helper];',
          '',
        ].join('\n'),
      );
      write('plugins/bad-plugin/helper.ts', "export { default as helper } from '../national-assembly/plugin.js';\n");
      write(
        'plugins/bad-plugin/sneaky.ts',
        [
          "export type T = import('../../core/admin-tree/x.js').Y;",
          "export const load = () => import('../../config/config.js');",
          'export const loadAny = (m: string) => import(m);',
          '',
        ].join('\n'),
      );
      write('plugins/bad-plugin/test/plugin.test.ts', "import '../../../test/helpers/env.js';\nimport '../plugin.js';\n");
    });

    afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

    it('reports the core-internal import and the import from another plugin', () => {
      const v = findBoundaryViolations(root);
      expect(v).toContainEqual({
        file: 'plugins/bad-plugin/plugin.ts',
        line: 5,
        specifier: '../../core/admin-tree/x.js',
        kind: 'core-internal',
      });
      expect(v).toContainEqual({
        file: 'plugins/bad-plugin/helper.ts',
        line: 1,
        specifier: '../national-assembly/plugin.js',
        kind: 'other-plugin',
      });
    });

    it('also catches import types, dynamic imports and computed specifiers, and allows packages, own files and test helpers in tests', () => {
      const v = findBoundaryViolations(root);
      expect(v.map(({ file, specifier, kind }) => `${file} ${kind} ${specifier}`).sort()).toEqual([
        'plugins/bad-plugin/helper.ts other-plugin ../national-assembly/plugin.js',
        'plugins/bad-plugin/plugin.ts core-internal ../../core/admin-tree/x.js',
        'plugins/bad-plugin/sneaky.ts core-internal ../../core/admin-tree/x.js',
        'plugins/bad-plugin/sneaky.ts dynamic-specifier import(m)',
        'plugins/bad-plugin/sneaky.ts outside-plugin ../../config/config.js',
      ]);
    });
  });
});
