// Without Chromium the PDF job fails at once with the installation command, and everything else keeps working.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { startTestApp, waitFor, type TestApp } from '../helpers/test-app.js';
import { insertUnits, referenceUnits } from '../helpers/admin-units-fixture.js';
import { assertTokenAccepted, createTokenUser, type TokenUser } from '../helpers/token-user.js';

let app: TestApp;
let user: TokenUser;
beforeAll(async () => {
  app = await startTestApp('reports_nochrome', { CHROME_PATH: '/nonexistent/chromium' });
  await insertUnits(app.orm.em.fork(), referenceUnits(['79']));
  user = await createTokenUser(app.orm.em.fork(), 'hcmc', 'province-official', 'province', '79');
  await assertTokenAccepted(app.url, user);
});
afterAll(async () => {
  await app?.close();
});

describe('PDF job without Chromium', () => {
  it('fails with a Vietnamese + English message naming the install command; /healthz stays ok', async () => {
    const res = await fetch(app.url + '/reports/province-communes', { method: 'POST', headers: user.headers, body: new URLSearchParams({ provinceCode: '79' }), redirect: 'manual' });
    expect(res.status).toBe(303);
    const location = res.headers.get('location')!;
    const job = await waitFor(async () => {
      const j = await (await fetch(app.url + location, { headers: { accept: 'application/json', ...user.headers } })).json();
      return j.status === 'failed' || j.status === 'succeeded' ? j : undefined;
    });
    expect(job.status).toBe('failed');
    expect(job.error).toContain('Không tìm thấy trình duyệt Chromium tại /nonexistent/chromium');
    expect(job.error).toContain('Chromium was not found');
    expect(job.error).toContain('apt-get install -y chromium fonts-noto-core fonts-liberation2');
    const run = await app.jobs.get(job.id);
    expect(run!.attempts).toBe(1); // permanent: not retried

    // The job page shows the message to the person who asked.
    expect(await (await fetch(app.url + location, { headers: user.headers })).text()).toContain('apt-get install -y chromium fonts-noto-core fonts-liberation2');

    const health = await fetch(app.url + '/healthz');
    expect(health.status).toBe(200);
    expect((await health.json()).status).toBe('ok');
    expect((await fetch(app.url + '/reports', { headers: user.headers })).status).toBe(200);
    expect((await fetch(app.url + '/')).status).toBe(200);
  });
});
