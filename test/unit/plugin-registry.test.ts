// The plugin registry: builds the installed plugins, and refuses to build on every kind of invalid graph.
import fs from 'node:fs';
import path from 'node:path';
import Handlebars from 'handlebars';
import { describe, expect, it } from 'vitest';
import { INSTALLED_PLUGINS } from '../../core/kernel/plugins.js';
import { PluginRegistry } from '../../core/plugin-host/registry.js';
import { definePlugin, type PluginManifest, type PluginRegistrar, type PluginRequestContext } from '../../core/plugin-api/index.js';
import { I18n } from '../../core/shared/i18n.js';

const ROLES = ['system-admin', 'nec-official', 'province-official', 'commune-official', 'board-member', 'team-member', 'observer'];
const IDS = ['national-assembly', 'provincial-council', 'commune-council'];

/** A minimal valid plugin; `extra` adds declarations (valid or not) to its register(). */
function fakePlugin(id: string, extra?: (r: PluginRegistrar) => void, manifest: Partial<PluginManifest> = {}): PluginManifest {
  return definePlugin({
    id,
    version: '1.0.0',
    titleKey: `${id}.title`,
    register(r) {
      r.messages({ vi: { [`${id}.title`]: 'Tiêu đề', [`${id}.perm`]: 'Quyền' }, en: {} });
      r.permissions({ id: `${id}.thing.view`, level: 'nation', titleKey: `${id}.perm`, roles: ['observer'] });
      r.jobs({ name: `${id}.job`, handle: async () => ({ ok: true }) });
      extra?.(r);
    },
    ...manifest,
  });
}

const build = (...manifests: PluginManifest[]) => PluginRegistry.build(manifests, { roles: ROLES });
const contestOf = (id: string) => PluginRegistry.build(INSTALLED_PLUGINS).contestType(id)!;

/** What the kernel hands a route handler, reduced to what the overview pages read. */
function requestContext(registry: PluginRegistry, pluginId: string): PluginRequestContext {
  return {
    pluginId,
    lang: 'vi',
    t: (key: string, params?: Record<string, unknown>) => registry.i18n.t('vi', key, params),
    now: () => new Date('2026-03-15T00:00:00Z'),
    log: { info() {}, warn() {}, error() {} },
    sql: async () => [],
    settings: registry.settingDefaults(pluginId),
    params: {},
    query: {},
    body: undefined,
  };
}

describe('PluginRegistry.build with the installed plugins', () => {
  const registry = PluginRegistry.build(INSTALLED_PLUGINS, { roles: ROLES });

  it('lists the three plugins in installation order', () => {
    expect(registry.plugins().map((p) => p.id)).toEqual(IDS);
    expect(registry.plugins().every((p) => p.version && registry.i18n.has(p.titleKey))).toBe(true);
  });

  it('has one contest type per plugin, with the plugin id', () => {
    expect(registry.contestTypes().map((c) => c.id)).toEqual(IDS);
    for (const id of IDS) expect(registry.contestType(id)?.id).toBe(id);
    expect(registry.contestType('no-such-plugin')).toBeUndefined();
  });

  it('declares the five permissions of each plugin, owned by it', () => {
    for (const id of IDS) {
      expect(
        registry
          .permissions()
          .filter((p) => p.owner === id)
          .map((p) => p.id)
          .sort(),
      ).toEqual(
        ['candidates.manage', 'contest.view', 'count-minutes.submit', 'results.view', 'units.manage'].map((s) => `${id}.${s}`),
      );
    }
  });

  it('routes each plugin job by name, and the job is a harmless no-op', async () => {
    for (const id of IDS) {
      const job = registry.jobs().get(`${id}.recompute-structure-report`);
      expect(job?.pluginId).toBe(id);
      await expect(job!.def.handle({}, {} as never)).resolves.toEqual({ ok: true });
    }
  });

  it('schedules the job daily at 02:00', () => {
    for (const id of IDS) {
      expect(registry.schedules(id)).toEqual([
        { id: `${id}.recompute-structure-report.daily`, job: `${id}.recompute-structure-report`, cron: '0 2 * * *' },
      ]);
    }
  });

  it('gives each plugin a GET / route and a menu item, both guarded by <id>.contest.view', () => {
    for (const id of IDS) {
      expect(registry.routes(id).map((r) => [r.method, r.path, r.permission])).toEqual([['get', '/', `${id}.contest.view`]]);
      expect(registry.menu(id).map((m) => [m.path, m.permission])).toEqual([['/', `${id}.contest.view`]]);
    }
  });

  it('has settings with defaults: the invalid-share threshold (0–100) and rule 23\'s ballot inventory (off / optional / required)', () => {
    for (const id of IDS) {
      expect(registry.settingDefaults(id)).toEqual({ [`${id}.invalid-share-warning-percent`]: 5, [`${id}.ballot-inventory`]: 'optional' });
      const inv = registry.settings(id).find((s) => s.id === `${id}.ballot-inventory`)!;
      expect(inv.options).toEqual(['off', 'optional', 'required']);
      expect(registry.settings(id).find((s) => s.id === `${id}.invalid-share-warning-percent`)).toMatchObject({ min: 0, max: 100 });
    }
  });

  it('refuses a setting whose default is not among its options or outside its bounds', () => {
    const bad = (s: Record<string, unknown>) => () => build(fakePlugin('x-plugin', (r) => {
      r.messages({ vi: { [String(s.titleKey)]: 'Thiết lập' }, en: {} });
      r.settings(s as never);
    }));
    expect(bad({ id: 'x-plugin.mode', titleKey: 'x-plugin.mode', type: 'string', options: ['a', 'b'], default: 'c' })).toThrow(/options/);
    expect(bad({ id: 'x-plugin.pct', titleKey: 'x-plugin.pct', type: 'number', min: 0, max: 100, default: 101 })).toThrow(/min\/max/);
  });

  it('points at each plugin views directory, which holds overview.hbs', () => {
    const dirs = registry.viewsDirs();
    expect(dirs.map((d) => d.pluginId)).toEqual(IDS);
    for (const d of dirs) expect(fs.existsSync(path.join(d.dir, 'overview.hbs'))).toBe(true);
  });

  it('renders each overview page: contest parameters, every label translated', async () => {
    for (const { pluginId, dir } of registry.viewsDirs()) {
      const res = await registry.routes(pluginId)[0]!.handle(requestContext(registry, pluginId));
      expect(res).toMatchObject({ view: `${pluginId}/overview`, data: { seats: registry.contestType(pluginId)!.seats } });
      if (!('view' in res)) throw new Error('expected a view');
      const template = Handlebars.create().compile(fs.readFileSync(path.join(dir, 'overview.hbs'), 'utf8'), { strict: true });
      const html = template(res.data);
      const c = registry.contestType(pluginId)!;
      expect(html).toContain(`${c.seats.min}–${c.seats.max}`);
      expect(html).toContain(`${c.boardSize.min}–${c.boardSize.max}`);
      expect(html).toContain(c.dossierForms.application);
      // A key left untranslated shows itself: none may reach the page.
      expect(html).not.toContain(`${pluginId}.`);
    }
  });

  it('shows the binding NA structure targets, and none for the councils', async () => {
    const render = async (pluginId: string) => {
      const res = await registry.routes(pluginId)[0]!.handle(requestContext(registry, pluginId));
      if (!('view' in res)) throw new Error('expected a view');
      const dir = registry.get(pluginId)!.viewsDir!;
      return Handlebars.create().compile(fs.readFileSync(path.join(dir, 'overview.hbs'), 'utf8'))(res.data);
    };
    const na = await render('national-assembly');
    expect(na).toContain('Phụ nữ: ≥ 35 % (bắt buộc)');
    expect(na).toContain('Người dân tộc thiểu số: ≥ 18 % (bắt buộc)');
    expect(na).toContain('Hội đồng bầu cử quốc gia');
    for (const id of ['provincial-council', 'commune-council']) {
      const html = await render(id);
      expect(html).toContain('Không có chỉ tiêu cơ cấu bắt buộc');
      expect(html).toContain('chưa đủ 2/3 số đại biểu');
    }
  });

  it('merges every plugin catalogue into the given I18n, next to core keys', () => {
    const i18n = new I18n();
    i18n.add('core', { vi: { 'core.title': 'Bầu cử' }, en: { 'core.title': 'Elections' } });
    PluginRegistry.build(INSTALLED_PLUGINS, { i18n });
    expect(i18n.t('vi', 'national-assembly.title')).toBe('Bầu cử đại biểu Quốc hội');
    expect(i18n.t('en', 'commune-council.title')).toBe("Commune People's Council election");
    expect(i18n.t('vi', 'core.title')).toBe('Bầu cử');
  });

  it('accepts core permissions and jobs under the owner "core"', () => {
    const r = PluginRegistry.build(INSTALLED_PLUGINS);
    r.registerCore({
      permissions: [{ id: 'core.users.manage', level: 'nation', titleKey: 'core.perm.users', roles: ['system-admin'] }],
      jobs: [{ name: 'core.audit.verify', handle: async () => undefined }],
    });
    expect(r.permissions().find((p) => p.id === 'core.users.manage')?.owner).toBe('core');
    expect(r.jobs().get('core.audit.verify')?.pluginId).toBe('core');
  });

  it('offers only declaring methods to register(): no I/O reaches a plugin', () => {
    let keys: string[] = [];
    PluginRegistry.build([fakePlugin('spy', (r) => (keys = Object.keys(r).sort()))]);
    expect(keys).toEqual(['contestType', 'jobs', 'menu', 'messages', 'permissions', 'reports', 'routes', 'rules', 'schedules', 'settings', 'vetoDisable', 'views']);
  });
});

describe('PluginRegistry.build refuses an invalid graph', () => {
  it('a duplicate plugin id', () => {
    expect(() => build(fakePlugin('alpha'), fakePlugin('alpha'))).toThrow(/plugin "alpha": duplicate plugin id "alpha"/);
  });

  it('a plugin id that is not kebab-case', () => {
    expect(() => build(fakePlugin('Alpha_Plugin'))).toThrow(/plugin "Alpha_Plugin": plugin id must be kebab-case/);
  });

  it('the reserved plugin id "core"', () => {
    expect(() => build(fakePlugin('core'))).toThrow(/reserved/);
  });

  it('a duplicate permission', () => {
    const p = { id: 'alpha.thing.view', level: 'nation' as const, titleKey: 'alpha.perm', roles: ['observer'] };
    expect(() => build(fakePlugin('alpha', (r) => r.permissions(p)))).toThrow(
      /plugin "alpha": duplicate permission "alpha.thing.view"/,
    );
  });

  it('a permission not owned by the plugin', () => {
    const p = { id: 'beta.thing.edit', level: 'nation' as const, titleKey: 'alpha.perm', roles: ['observer'] };
    expect(() => build(fakePlugin('alpha', (r) => r.permissions(p)), fakePlugin('beta'))).toThrow(
      /plugin "alpha": permission "beta.thing.edit" is not owned by "alpha"/,
    );
  });

  it('a permission that is not <owner>.<subject>.<action>', () => {
    const p = { id: 'alpha.edit', level: 'nation' as const, titleKey: 'alpha.perm', roles: ['observer'] };
    expect(() => build(fakePlugin('alpha', (r) => r.permissions(p)))).toThrow(/plugin "alpha": permission "alpha.edit" must be/);
  });

  it('a permission granting an unknown role', () => {
    const p = { id: 'alpha.thing.edit', level: 'nation' as const, titleKey: 'alpha.perm', roles: ['superuser'] };
    expect(() => build(fakePlugin('alpha', (r) => r.permissions(p)))).toThrow(/unknown role "superuser"/);
  });

  it.each([
    ['job', (r: PluginRegistrar) => r.jobs({ name: 'other.job', handle: async () => 1 }), /job "other.job" is not owned by "alpha"/],
    [
      'setting',
      (r: PluginRegistrar) => r.settings({ id: 'other.x', titleKey: 'alpha.perm', type: 'number', default: 1 }),
      /setting "other.x" is not owned by "alpha"/,
    ],
    [
      'schedule',
      (r: PluginRegistrar) => r.schedules({ id: 'other.daily', job: 'alpha.job', cron: '0 2 * * *' }),
      /schedule "other.daily" is not owned by "alpha"/,
    ],
    [
      'menu item',
      (r: PluginRegistrar) => r.menu({ id: 'other.menu', titleKey: 'alpha.perm', path: '/', permission: 'alpha.thing.view' }),
      /menu item "other.menu" is not owned by "alpha"/,
    ],
    [
      'route permission',
      (r: PluginRegistrar) => r.routes({ method: 'get', path: '/', permission: 'beta.thing.view', handle: async () => ({ json: 1 }) }),
      /route GET \/ uses permission "beta.thing.view", which is not owned by "alpha"/,
    ],
  ])('an un-owned %s id', (_kind, extra, message) => {
    expect(() => build(fakePlugin('alpha', extra), fakePlugin('beta'))).toThrow(message);
  });

  it('a duplicate job, setting, schedule or menu id', () => {
    const job = { name: 'alpha.job', handle: async () => 1 };
    expect(() => build(fakePlugin('alpha', (r) => r.jobs(job)))).toThrow(/plugin "alpha": duplicate job "alpha.job"/);
    const s = { id: 'alpha.x', titleKey: 'alpha.perm', type: 'number' as const, default: 1 };
    expect(() => build(fakePlugin('alpha', (r) => r.settings(s, s)))).toThrow(/duplicate setting "alpha.x"/);
    const sch = { id: 'alpha.daily', job: 'alpha.job', cron: '0 2 * * *' };
    expect(() => build(fakePlugin('alpha', (r) => r.schedules(sch, sch)))).toThrow(/duplicate schedule "alpha.daily"/);
    const m = { id: 'alpha.menu', titleKey: 'alpha.perm', path: '/', permission: 'alpha.thing.view' };
    expect(() => build(fakePlugin('alpha', (r) => r.menu(m, m)))).toThrow(/duplicate menu item "alpha.menu"/);
  });

  it('a route referencing an undeclared permission', () => {
    const route = { method: 'get' as const, path: '/', permission: 'alpha.thing.edit', handle: async () => ({ json: 1 }) };
    expect(() => build(fakePlugin('alpha', (r) => r.routes(route)))).toThrow(
      /plugin "alpha": route GET \/ uses undeclared permission "alpha.thing.edit"/,
    );
  });

  it('a menu item referencing an undeclared permission', () => {
    const item = { id: 'alpha.menu', titleKey: 'alpha.perm', path: '/', permission: 'alpha.thing.edit' };
    expect(() => build(fakePlugin('alpha', (r) => r.menu(item)))).toThrow(
      /plugin "alpha": menu item "alpha.menu" uses undeclared permission "alpha.thing.edit"/,
    );
  });

  it('a schedule referencing an unknown job', () => {
    const s = { id: 'alpha.daily', job: 'alpha.nope', cron: '0 2 * * *' };
    expect(() => build(fakePlugin('alpha', (r) => r.schedules(s)))).toThrow(
      /plugin "alpha": schedule "alpha.daily" references job "alpha.nope", which this plugin does not declare/,
    );
  });

  it('a schedule with neither or both of every and cron', () => {
    expect(() => build(fakePlugin('alpha', (r) => r.schedules({ id: 'alpha.s', job: 'alpha.job' })))).toThrow(/exactly one of/);
    expect(() => build(fakePlugin('alpha', (r) => r.schedules({ id: 'alpha.s', job: 'alpha.job', cron: '* *' })))).toThrow(
      /must have 5 fields/,
    );
  });

  it('a required plugin that is not installed', () => {
    expect(() => build(fakePlugin('alpha', undefined, { requires: ['beta'] }))).toThrow(
      /plugin "alpha": requires plugin "beta", which is not installed/,
    );
    expect(() => build(fakePlugin('alpha', undefined, { requires: ['beta'] }), fakePlugin('beta'))).not.toThrow();
  });

  it('two contest types in one plugin', () => {
    const na = contestOf('national-assembly');
    expect(() =>
      build(
        fakePlugin('national-assembly', (r) => {
          r.contestType(na);
          r.contestType(na);
        }),
      ),
    ).toThrow(
      /plugin "national-assembly": registers 2 contest types/,
    );
  });

  it('a contest type whose id is not the plugin id', () => {
    const na = contestOf('national-assembly');
    expect(() => build(fakePlugin('alpha', (r) => r.contestType(na)))).toThrow(
      /plugin "alpha": contest type id "national-assembly" must equal the plugin id/,
    );
  });

  it('a contest type whose surplus rules leave a seat count uncovered', () => {
    const broken = { ...contestOf('national-assembly'), surplus: [{ seatsFrom: 1, seatsTo: 2, minSurplus: 2 }] };
    expect(() => build(fakePlugin('national-assembly', (r) => r.contestType(broken)))).toThrow(
      /plugin "national-assembly": contest type "national-assembly": no surplus rules for 3 seat\(s\)/,
    );
  });

  it('an i18n key collision inside the plugins', () => {
    expect(() => build(fakePlugin('alpha', (r) => r.messages({ vi: { 'alpha.title': 'Lại' }, en: {} })))).toThrow(
      /plugin "alpha": i18n: duplicate key "alpha.title"/,
    );
  });

  it('an i18n key collision with a key already in the given catalogue', () => {
    const i18n = new I18n();
    i18n.add('core', { vi: { 'alpha.title': 'Của core' }, en: {} });
    expect(() => PluginRegistry.build([fakePlugin('alpha')], { i18n })).toThrow(/plugin "alpha": i18n: duplicate key "alpha.title"/);
  });

  it('a message key outside the plugin namespace', () => {
    expect(() => build(fakePlugin('alpha', (r) => r.messages({ vi: { 'core.title': 'x' }, en: {} })))).toThrow(
      /plugin "alpha": message key "core.title" \(vi\) must start with "alpha."/,
    );
  });

  it('a title key with no message', () => {
    const s = { id: 'alpha.x', titleKey: 'alpha.missing', type: 'number' as const, default: 1 };
    expect(() => build(fakePlugin('alpha', (r) => r.settings(s)))).toThrow(/message key "alpha.missing" is used but not/);
  });

  it('an asynchronous register()', () => {
    const manifest = { ...fakePlugin('alpha'), register: (async () => undefined) as unknown as PluginManifest['register'] };
    expect(() => build(manifest)).toThrow(/plugin "alpha": register\(\) must be synchronous/);
  });

  it('a registrar used after register() returned', () => {
    let kept: PluginRegistrar | undefined;
    build(fakePlugin('alpha', (r) => (kept = r)));
    expect(() => kept!.permissions({ id: 'alpha.late.add', level: 'nation', titleKey: 'alpha.perm', roles: [] })).toThrow(
      /registrar used after register\(\) returned/,
    );
  });

  it('a relative views directory', () => {
    expect(() => build(fakePlugin('alpha', (r) => r.views('views')))).toThrow(/views directory "views" must be absolute/);
  });

  it('core ids outside "core." or already declared', () => {
    const r = build(fakePlugin('alpha'));
    expect(() => r.registerCore({ permissions: [{ id: 'alpha.users.manage', level: 'nation', titleKey: 'x', roles: [] }] })).toThrow(
      /core: permission "alpha.users.manage" is not owned by "core"/,
    );
    expect(() => r.registerCore({ jobs: [{ name: 'audit.verify', handle: async () => 1 }] })).toThrow(
      /core: job "audit.verify" is not owned by "core"/,
    );
    r.registerCore({ jobs: [{ name: 'core.audit.verify', handle: async () => 1 }] });
    expect(() => r.registerCore({ jobs: [{ name: 'core.audit.verify', handle: async () => 1 }] })).toThrow(
      /core: duplicate job "core.audit.verify"/,
    );
  });

  it('asks about an unknown plugin id loudly', () => {
    expect(() => build(fakePlugin('alpha')).routes('beta')).toThrow(/unknown plugin "beta"/);
  });
});
