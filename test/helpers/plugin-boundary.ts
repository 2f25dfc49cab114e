// The plugin import-boundary checker: a plugin may import core/plugin-api/index.ts, its own files and packages — nothing else.
import fs from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

/** Why an import crosses the boundary. */
export type BoundaryViolationKind =
  /** A core module other than core/plugin-api/index.ts. */
  | 'core-internal'
  /** A file in another plugin's directory. */
  | 'other-plugin'
  /** A repository file outside plugins/ and core/ (config, jobs, views…): plugin code gets these through its context. */
  | 'outside-plugin'
  /** import()/require() of a computed specifier, which no static check can follow. */
  | 'dynamic-specifier';

/** One import that crosses a plugin's boundary. */
export interface BoundaryViolation {
  /** File path relative to rootDir, with forward slashes. */
  file: string;
  line: number;
  specifier: string;
  kind: BoundaryViolationKind;
}

const SOURCE_EXTENSIONS = ['.ts', '.mts', '.cts', '.tsx'];
const PLUGIN_API_ENTRY = 'core/plugin-api/index';

/**
 * Scans every TypeScript file under `<rootDir>/plugins/` and returns the imports (static, type-only, re-exports,
 * dynamic import(), require() and import('x').T types) that leave the plugin other than to the plugin API or a package.
 */
export function findBoundaryViolations(rootDir: string): BoundaryViolation[] {
  const pluginsDir = path.join(rootDir, 'plugins');
  if (!fs.existsSync(pluginsDir)) return [];
  const violations: BoundaryViolation[] = [];
  for (const file of sourceFiles(pluginsDir)) {
    const rel = toPosix(path.relative(rootDir, file));
    const ownPlugin = rel.split('/')[1]!;
    const isTestFile = rel.split('/').includes('test') || /\.test\.[cm]?tsx?$/.test(rel);
    const text = fs.readFileSync(file, 'utf8');
    const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
    for (const { specifier, node } of moduleReferences(source)) {
      const line = source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1;
      if (specifier === undefined) {
        violations.push({ file: rel, line, specifier: node.getText(source), kind: 'dynamic-specifier' });
        continue;
      }
      const kind = classify(rootDir, file, ownPlugin, isTestFile, specifier);
      if (kind) violations.push({ file: rel, line, specifier, kind });
    }
  }
  return violations;
}

/** Where a specifier points, judged from the importing plugin; undefined when it is allowed. */
function classify(
  rootDir: string,
  file: string,
  ownPlugin: string,
  isTestFile: boolean,
  specifier: string,
): BoundaryViolationKind | undefined {
  // Packages and node: built-ins are allowed; only paths into the repository can cross a module boundary.
  if (!specifier.startsWith('.') && !path.isAbsolute(specifier)) return undefined;
  const target = toPosix(path.relative(rootDir, path.resolve(path.dirname(file), specifier)));
  const [top, second] = target.split('/');
  if (top === 'core') return stripExtension(target) === PLUGIN_API_ENTRY ? undefined : 'core-internal';
  if (top === 'plugins') return second === ownPlugin ? undefined : 'other-plugin';
  // A plugin's tests may use the shared test helpers (a test environment, fixtures); its runtime code may not.
  if (top === 'test' && isTestFile) return undefined;
  return 'outside-plugin';
}

/** Every module specifier in a file; `specifier` is undefined when it is computed at run time. */
function moduleReferences(source: ts.SourceFile): { specifier: string | undefined; node: ts.Node }[] {
  const found: { specifier: string | undefined; node: ts.Node }[] = [];
  const literal = (e: ts.Node | undefined) =>
    e && (ts.isStringLiteral(e) || ts.isNoSubstitutionTemplateLiteral(e)) ? e.text : undefined;
  const visit = (node: ts.Node): void => {
    if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier) {
      found.push({ specifier: literal(node.moduleSpecifier), node });
    } else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference)) {
      found.push({ specifier: literal(node.moduleReference.expression), node });
    } else if (ts.isCallExpression(node)) {
      const isImport = node.expression.kind === ts.SyntaxKind.ImportKeyword;
      const isRequire = ts.isIdentifier(node.expression) && node.expression.text === 'require';
      if (isImport || isRequire) found.push({ specifier: literal(node.arguments[0]), node });
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) {
      found.push({ specifier: literal(node.argument.literal), node });
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      if (entry.name !== 'node_modules') out.push(...sourceFiles(full));
    } else if (SOURCE_EXTENSIONS.some((ext) => entry.name.endsWith(ext))) {
      out.push(full);
    }
  }
  return out.sort();
}

/** Imports name the emitted .js file (NodeNext); compare modules without their extension. */
function stripExtension(p: string): string {
  return p.replace(/\.(?:[cm]?[jt]s|tsx|jsx)$/, '');
}

function toPosix(p: string): string {
  return p.split(path.sep).join('/');
}
