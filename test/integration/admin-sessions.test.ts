import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { loadConfig } from '../../src/config/load-config.js';
import { createApp } from '../../src/http/create-app.js';
import { readAdminSession } from '../../src/http/session/admin-session.js';
import { randomToken, sha256 } from '../../src/install/pkce.js';
import { silentLogger } from '../../src/lib/logger.js';
import { createRuntime, type Runtime } from '../../src/main.js';
import type { CrmConnectorModule } from '../../src/ports/crm-connector.js';
import { FixedClock } from '../helpers/fixed-clock.js';
import { tempDir } from '../helpers/temp-dir.js';

/** The session cookie a response sets (its value; '' when it clears it). */
function sessionCookieOf(res: request.Response): string | undefined {
  const cookies = (res.headers['set-cookie'] as unknown as string[] | undefined) ?? [];
  const cookie = cookies.find((c) => c.startsWith('crm_agent_session='));
  return cookie === undefined ? undefined : cookie.split(';')[0]!.slice('crm_agent_session='.length);
}

describe('admin sessions: fixation, sign-out, revocation, sign-in links', () => {
  const dir = tempDir();
  const clock = new FixedClock(Date.parse('2026-11-01T08:00:00.000Z'));
  const demoToken = 'demo-sign-in-token-for-tests';
  let runtime: Runtime;
  let app: ReturnType<typeof createApp>;
  let portal = 1000;

  const hubspot: CrmConnectorModule = {
    crm: 'hubspot',
    identify: async () => ({ externalId: 'x', name: 'x', apiBaseUrl: 'x' }),
    create: () => ({ crm: 'hubspot', streams: () => [] }),
    authorizeUrl: ({ state }) => `https://app.hubspot.example/oauth/authorize?state=${state}`,
    exchangeCode: async ({ code }) => ({
      grant: { accessToken: `a-${code}`, refreshToken: `r-${code}`, expiresInSeconds: 1800, scopes: ['oauth'] },
      account: { externalId: code, name: `Portal ${code}`, apiBaseUrl: 'https://api.hubapi.example' },
    }),
  };

  beforeAll(async () => {
    const config = loadConfig({
      env: { DATA_DIR: dir.path, LOG_LEVEL: 'silent', PUBLIC_URL: 'http://127.0.0.1:3000' },
      cwd: dir.path,
      readDotEnv: false,
    });
    runtime = await createRuntime(config, {
      clock,
      logger: silentLogger(),
      modules: { hubspot },
      demoSignInToken: demoToken,
    });
    // Installs queue a first run: nothing processes it here.
    runtime.onInstalled = async () => {};
    await runtime.store.migrate();
    app = createApp({ store: runtime.store, logger: silentLogger(), version: 't', routers: runtime.routers() });
  });
  afterAll(async () => {
    await runtime.close();
    dir.remove();
  });

  /** Installs a new portal through the OAuth callback in a browser carrying `cookie`; returns the new session id. */
  async function install(cookie = ''): Promise<{ sessionId: string; tenantId: string }> {
    const begin = await request(app).get('/install/hubspot').set('cookie', cookie);
    const state = new URL(begin.headers.location!).searchParams.get('state')!;
    const installCookie = (begin.headers['set-cookie'] as unknown as string[])[0]!.split(';')[0]!;
    portal += 1;
    const res = await request(app)
      .get(`/oauth/hubspot/callback?code=${portal}&state=${state}`)
      .set('cookie', [installCookie, cookie].filter(Boolean).join('; '));
    expect(res.status).toBe(303);
    const tenantId = new URL(res.headers.location!, 'http://x').searchParams.get('installed')!;
    return { sessionId: sessionCookieOf(res)!, tenantId };
  }
  const sessionOf = (id: string) => readAdminSession({ headers: { cookie: `crm_agent_session=${id}` } }, runtime.store);

  it('issues a new session id at every install: a planted id gains nothing', async () => {
    // The attacker's own session (a tenant of theirs), planted in the victim's browser.
    const attacker = await install();
    const victim = await install(`crm_agent_session=${attacker.sessionId}`);
    expect(victim.sessionId).toBeTruthy();
    expect(victim.sessionId).not.toBe(attacker.sessionId);
    expect(await sessionOf(attacker.sessionId)).toBeUndefined();
    expect(
      (
        await request(app)
          .get(`/dashboard/t/${victim.tenantId}`)
          .set('cookie', `crm_agent_session=${attacker.sessionId}`)
      ).status,
    ).toBe(401);
    // The browser's session moved to the new id (an admin installing a second account keeps the first).
    expect((await sessionOf(victim.sessionId))?.tenantIds).toEqual(
      expect.arrayContaining([attacker.tenantId, victim.tenantId]),
    );
    // And the dashboard opens on the tenant just installed.
    const landing = await request(app)
      .get(`/dashboard?installed=${victim.tenantId}`)
      .set('cookie', `crm_agent_session=${victim.sessionId}`);
    expect(landing.headers.location).toBe(`/dashboard/t/${victim.tenantId}`);
  });

  it('issues a new session id at sign-in by link, and a used or unknown link explains how to get a new one', async () => {
    const planted = randomToken();
    const mine = await install();
    await runtime.store.sessions.grant(sha256(planted), mine.tenantId, 'c', '2999-01-01T00:00:00.000Z');
    const res = await request(app)
      .get(`/dashboard/demo-sign-in?token=${demoToken}`)
      .set('cookie', `crm_agent_session=${planted}`);
    expect(res.status).toBe(303);
    const id = sessionCookieOf(res)!;
    expect(id).not.toBe(planted);
    expect(await sessionOf(planted)).toBeUndefined();
    expect((await sessionOf(id))?.tenantIds).toContain(mine.tenantId);

    const used = await request(app).get(`/dashboard/demo-sign-in?token=${demoToken}`);
    expect(used.status).toBe(410);
    expect(used.text).toContain('already used');
    expect(used.text).toContain('npm start');
    const unknown = await request(app).get('/dashboard/demo-sign-in?token=from-an-earlier-start');
    expect(unknown.status).toBe(401);
    expect(unknown.text).toContain('expired');
    expect(unknown.text).toContain('npx crm-agent demo');
    expect(unknown.text).toContain('/install/hubspot');
  });

  it('signs out with the CSRF token: the session is deleted server-side and the cookie cleared', async () => {
    const { sessionId, tenantId } = await install();
    const cookie = `crm_agent_session=${sessionId}`;
    const page = await request(app).get(`/dashboard/t/${tenantId}/settings`).set('cookie', cookie);
    expect(page.status).toBe(200);
    const csrf = /name="_csrf" value="([^"]+)"/.exec(page.text)![1]!;
    expect(page.text).toContain('action="/dashboard/sign-out"');

    const forged = await request(app).post('/dashboard/sign-out').set('cookie', cookie).type('form').send({});
    expect(forged.status).toBe(403);
    expect(await sessionOf(sessionId)).toBeDefined();

    const out = await request(app).post('/dashboard/sign-out').set('cookie', cookie).type('form').send({ _csrf: csrf });
    expect(out.status).toBe(303);
    expect(out.headers.location).toBe('/dashboard/signed-out');
    expect(sessionCookieOf(out)).toBe('');
    expect((out.headers['set-cookie'] as unknown as string[]).join()).toMatch(/Max-Age=0/);
    expect(await sessionOf(sessionId)).toBeUndefined();
    expect((await request(app).get(`/dashboard/t/${tenantId}`).set('cookie', cookie)).status).toBe(401);
    expect((await request(app).get('/dashboard/signed-out')).text).toContain('signed out');
  });

  it('drops a revoked tenant from the session at once, and signs out a session with no tenant left', async () => {
    const first = await install();
    const second = await install(`crm_agent_session=${first.sessionId}`);
    const cookie = `crm_agent_session=${second.sessionId}`;
    expect((await request(app).get(`/dashboard/t/${first.tenantId}`).set('cookie', cookie)).status).toBe(200);

    await runtime.store.tenants.setStatus(first.tenantId, 'disabled'); // uninstalled
    expect((await request(app).get(`/dashboard/t/${first.tenantId}`).set('cookie', cookie)).status).toBe(404);
    const other = await request(app).get(`/dashboard/t/${second.tenantId}`).set('cookie', cookie);
    expect(other.status).toBe(200);
    expect((await sessionOf(second.sessionId))?.tenantIds).toEqual([second.tenantId]);

    await runtime.store.tenants.setStatus(second.tenantId, 'purging'); // queued for purge
    const gone = await request(app).get(`/dashboard/t/${second.tenantId}`).set('cookie', cookie);
    expect(gone.status).toBe(401);
    expect(sessionCookieOf(gone)).toBe('');
    expect(await runtime.store.sessions.get(sha256(second.sessionId))).toBeUndefined();
    // Reinstalling signs in again (the tenant is active once more).
    await runtime.store.tenants.setStatus(second.tenantId, 'active');
    expect((await request(app).get(`/dashboard/t/${second.tenantId}`).set('cookie', cookie)).status).toBe(401);
  });
});
