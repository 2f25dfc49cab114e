// Plugin state per election: enabling shows and serves the plugin's routes and menu and upserts its schedules;
// disabling hides and refuses them, keeps the data, and a plugin may veto it. Every change is audited.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { randomUUID } from 'node:crypto';
import { startTestApp, type TestApp } from '../helpers/test-app.js';
import { sql } from '../../core/persistence/db.js';
import { PluginRegistry } from '../../core/plugin-host/registry.js';
import { PluginStateService } from '../../core/plugin-host/plugin-state.service.js';
import { I18n } from '../../core/shared/i18n.js';
import { definePlugin, err } from '../../core/plugin-api/index.js';
import { INSTALLED_PLUGINS } from '../../core/kernel/plugins.js';
import { TestClient, createUser, type TestUser } from '../helpers/client.js';

let app: TestApp;
let admin: TestClient;
let adminUser: TestUser;
const electionId = randomUUID();
const base = () => `/elections/${electionId}`;

beforeAll(async () => {
  app = await startTestApp('plugins');
  const em = app.orm.em.fork();
  await sql(em, `insert into election (id, name, election_day) values (?, 'Bầu cử thử nghiệm', '2026-03-15')`, [electionId]);
  adminUser = await createUser(em, { roles: [{ role: 'system-admin', scopeType: 'nation', scopeCode: 'VN' }], totp: true });
  admin = new TestClient(app.url);
  await admin.login(adminUser, em);
});
afterAll(async () => {
  await app?.close();
});

async function toggle(pluginId: string, enabled: boolean, client = admin) {
  return client.post(`${base()}/plugins/${pluginId}`, { enabled: String(enabled) });
}

describe('plugin host', () => {
  it('a disabled plugin: its route is refused with a Vietnamese message and its menu entry hidden', async () => {
    const res = await admin.get(`${base()}/p/national-assembly`);
    expect(res.status).toBe(404);
    expect(await res.text()).toContain('chưa được bật');
    const page = await admin.text(`${base()}/plugins`);
    expect(page).not.toContain(`/elections/${electionId}/p/national-assembly`);
  });

  it('enabling serves the route, shows the menu entry and upserts the schedule; all audited', async () => {
    const res = await toggle('national-assembly', true);
    expect(res.status).toBe(303);
    const page = await admin.get(`${base()}/p/national-assembly`);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('Quốc hội');
    expect(html).toContain(`/elections/${electionId}/p/national-assembly`);
    const schedules = await app.jobs.listSchedules();
    expect(schedules.map((s) => s.id)).toContain(`national-assembly.recompute-structure-report.daily:${electionId}`);
    const audit = await sql(app.orm.em.fork(), `select action, result, actor from audit_event where target_id = ?`, [`${electionId}:national-assembly`]);
    expect(audit).toEqual([{ action: 'core.plugin.set-enabled', result: 'success', actor: adminUser.id }]);
  });

  it('other plugins of the same election stay disabled', async () => {
    expect((await admin.get(`${base()}/p/commune-council`)).status).toBe(404);
  });

  it('disabling refuses the route again, removes the schedule and keeps the data', async () => {
    await sql(app.orm.em.fork(), `update plugin_state set settings = '{"national-assembly.invalid-share-warning-percent": 7}' where election_id = ? and plugin_id = 'national-assembly'`, [electionId]);
    expect((await toggle('national-assembly', false)).status).toBe(303);
    expect((await admin.get(`${base()}/p/national-assembly`)).status).toBe(404);
    const schedules = await app.jobs.listSchedules();
    expect(schedules.map((s) => s.id)).not.toContain(`national-assembly.recompute-structure-report.daily:${electionId}`);
    const [row] = await sql(app.orm.em.fork(), `select enabled, settings from plugin_state where election_id = ? and plugin_id = 'national-assembly'`, [electionId]);
    expect(row.enabled).toBe(false);
    expect(row.settings).toEqual({ 'national-assembly.invalid-share-warning-percent': 7 });
  });

  it('an unknown plugin or election gets a clear 404', async () => {
    const res = await toggle('no-such-plugin', true);
    expect(res.status).toBe(404);
    expect(await res.text()).toContain('Không có loại hình bầu cử');
  });

  it('only a system administrator may switch plugins; others are denied and the denial audited', async () => {
    const em = app.orm.em.fork();
    const official = await createUser(em, { roles: [{ role: 'commune-official', scopeType: 'commune', scopeCode: '26734' }] });
    const c = new TestClient(app.url);
    await c.login(official, em);
    const res = await toggle('commune-council', true, c);
    expect(res.status).toBe(403);
    const anon = new TestClient(app.url);
    expect((await toggle('commune-council', true, anon)).status).toBe(401);
    const denied = await sql(em, `select actor from audit_event where action = 'core.plugin.set-enabled' and result = 'denied'`);
    expect(denied.map((d) => d.actor)).toContain(official.id);
    expect((await admin.get(`${base()}/p/commune-council`)).status).toBe(404);
  });

  it('a plugin may veto being disabled; the refusal is audited and the plugin stays enabled', async () => {
    const vetoing = definePlugin({
      id: 'veto-test',
      version: '0.0.1',
      titleKey: 'veto-test.title',
      register(r) {
        r.messages({ vi: { 'veto-test.title': 'Thử', 'veto-test.veto': 'Còn dữ liệu' }, en: { 'veto-test.title': 'Test', 'veto-test.veto': 'Has data' } });
        r.vetoDisable(async () => err({ code: 'HAS_DATA', messageKey: 'veto-test.veto', status: 409 }));
      },
    });
    const registry = PluginRegistry.build([...INSTALLED_PLUGINS, vetoing], { i18n: new I18n() });
    const states = new PluginStateService(app.orm, registry, app.jobs, registry.i18n, app.log);
    expect((await states.setEnabled(electionId, 'veto-test', true, { actor: 'test' })).ok).toBe(true);
    const r = await states.setEnabled(electionId, 'veto-test', false, { actor: 'test' });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.code).toBe('HAS_DATA');
    expect(await states.isEnabled(app.orm.em.fork(), electionId, 'veto-test')).toBe(true);
    const audit = await sql(app.orm.em.fork(), `select action, result from audit_event where target_id = ? order by seq`, [`${electionId}:veto-test`]);
    expect(audit.map((a) => a.result)).toEqual(['success', 'rejected']);
  });
});

describe('settings of a contest type per election (the [U] rules: invalid-share threshold, rule 23 ballot inventory)', () => {
  const settingsPath = (plugin = 'provincial-council') => `${base()}/plugins/${plugin}/settings`;
  const stored = async (plugin = 'provincial-council') =>
    (await sql<{ settings: Record<string, unknown> }>(app.orm.em.fork(), `select settings from plugin_state where election_id = ? and plugin_id = ?`, [electionId, plugin]))[0]?.settings;

  it('the plugins page shows each plugin\'s settings with their values and defaults (rule 23 as a choice of three)', async () => {
    const html = await admin.text(`${base()}/plugins`);
    expect(html).toContain('Kiểm kê phiếu bầu trong biên bản kiểm phiếu (quy tắc 23)');
    expect(html).toContain('name="provincial-council.ballot-inventory"');
    expect(html).toMatch(/<option value="optional" selected>Kiểm tra khi có đủ ba số<\/option>/);
    expect(html).toContain('name="provincial-council.invalid-share-warning-percent"');
  });

  it('rule 23: an administrator sets the ballot inventory to "required" and the threshold to 7.5; stored, audited with before and after', async () => {
    const res = await admin.post(settingsPath(), { 'provincial-council.ballot-inventory': 'required', 'provincial-council.invalid-share-warning-percent': '7,5' });
    expect(res.status).toBe(303);
    expect(await stored()).toEqual({ 'provincial-council.ballot-inventory': 'required', 'provincial-council.invalid-share-warning-percent': 7.5 });
    const [ev] = await sql<{ before: Record<string, unknown>; after: Record<string, unknown> }>(app.orm.em.fork(),
      `select before, after from audit_event where action = 'core.plugin.settings' and result = 'success' and target_id = ?`, [`${electionId}:provincial-council`]);
    expect(ev.before['provincial-council.ballot-inventory']).toBe('optional');
    expect(ev.after['provincial-council.ballot-inventory']).toBe('required');
    expect(await admin.text(`${base()}/plugins`)).toMatch(/<option value="required" selected>/);
  });

  it('bad values are refused with a Vietnamese message naming the setting, and nothing is written', async () => {
    for (const [form, text] of [
      [{ 'provincial-council.invalid-share-warning-percent': '150' }, '«Ngưỡng cảnh báo tỷ lệ phiếu không hợp lệ (%)» phải là một số từ 0 đến 100.'],
      [{ 'provincial-council.invalid-share-warning-percent': 'mười' }, 'phải là một số từ 0 đến 100'],
      [{ 'provincial-council.ballot-inventory': 'sometimes' }, '«Kiểm kê phiếu bầu trong biên bản kiểm phiếu (quy tắc 23)» phải là một trong các lựa chọn có sẵn.'],
      [{ 'provincial-council.no-such-setting': '1' }, 'Không có thiết lập «provincial-council.no-such-setting»'],
      [{ 'provincial-council.ballot-inventory': 'off', 'provincial-council.invalid-share-warning-percent': '-1' }, 'Thiết lập chưa được lưu: có 1 giá trị không hợp lệ.'],
    ] as const) {
      const before = await stored();
      const res = await admin.post(settingsPath(), form as Record<string, string>);
      expect(res.status, JSON.stringify(form)).toBe(400);
      expect(await res.text()).toContain(text);
      expect(await stored()).toEqual(before);
    }
    const [{ n }] = await sql<{ n: number }>(app.orm.em.fork(), `select count(*)::int as n from audit_event where action = 'core.plugin.settings' and result = 'rejected'`);
    expect(n).toBe(5);
  });

  it('only who manages plugins may change settings: a commune official is denied (403, audited); the page shows no save button', async () => {
    const em = app.orm.em.fork();
    const official = await createUser(em, { roles: [{ role: 'nec-official', scopeType: 'nation', scopeCode: 'VN' }], totp: true });
    const c = new TestClient(app.url);
    await c.login(official, em);
    const before = await stored();
    expect((await c.post(settingsPath(), { 'provincial-council.ballot-inventory': 'off' })).status).toBe(403);
    expect(await stored()).toEqual(before);
    const html = await c.text(`${base()}/plugins`);
    expect(html).not.toContain('Lưu thiết lập');
  });
});
