import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { loadConfig } from '../../src/config/load-config.js';
import { createApp } from '../../src/http/create-app.js';
import { securityOptionsFor } from '../../src/http/security-headers.js';
import { randomToken, sha256 } from '../../src/install/pkce.js';
import { createLogger } from '../../src/lib/logger.js';
import { createRuntime, type Runtime } from '../../src/main.js';
import type { CrmConnectorModule } from '../../src/ports/crm-connector.js';
import { Capture } from '../helpers/capture.js';
import { tempDir } from '../helpers/temp-dir.js';

/** Every value below is a secret: none may appear in any log line, whatever the level and path. */
const S = {
  session: 'SESSION-COOKIE-VALUE-1',
  bearer: 'BEARER-TOKEN-VALUE-2',
  basic: 'QkFTSUMtVVNFUjpQQVNTLTM=',
  csrf: 'CSRF-HEADER-VALUE-4',
  sigV1: 'SIGNATURE-V1-VALUE-5',
  sigV3: 'SIGNATURE-V3-VALUE-6',
  accessToken: 'ACCESS-TOKEN-QUERY-7',
  refreshToken: 'REFRESH-TOKEN-QUERY-8',
  clientSecret: 'CLIENT-SECRET-QUERY-9',
  code: 'OAUTH-CODE-QUERY-10',
  password: 'PASSWORD-QUERY-11',
  state: 'OAUTH-STATE-QUERY-12',
  signedRequest: 'SIGNED-REQUEST-BODY-13',
  errorSecret: 'CLIENT-SECRET-IN-ERROR-14',
  errorToken: 'ACCESS-TOKEN-IN-ERROR-BODY-15',
  errorCode: 'OAUTH-CODE-16',
  installState: 'unused',
};

describe('log redaction through the real app', () => {
  const dir = tempDir();
  const out = new Capture();
  let runtime: Runtime;
  let app: ReturnType<typeof createApp>;
  let tenantId: string;
  let sessionId: string;

  const hubspot: CrmConnectorModule = {
    crm: 'hubspot',
    identify: async () => ({ externalId: 'x', name: 'x', apiBaseUrl: 'x' }),
    create: () => ({ crm: 'hubspot', streams: () => [] }),
    authorizeUrl: ({ state }) => `https://app.hubspot.example/oauth/authorize?state=${state}`,
    exchangeCode: async ({ code }) => {
      // The kind of error a token endpoint call raises: the URL with its query, and the body it answered.
      throw new Error(
        `POST https://api.hubapi.example/oauth/v1/token?grant_type=authorization_code&code=${code}&client_secret=${S.errorSecret} failed: 400 {"status":"BAD","access_token":"${S.errorToken}"}`,
      );
    },
  };

  beforeAll(async () => {
    const config = loadConfig({
      env: { DATA_DIR: dir.path, PUBLIC_URL: 'http://127.0.0.1:3000', HUBSPOT_CLIENT_SECRET: 'hs-secret' },
      cwd: dir.path,
      readDotEnv: false,
    });
    // The default level: every 4xx/5xx request is logged.
    runtime = await createRuntime(config, {
      logger: createLogger({ level: 'info', format: 'json', destination: out }),
      modules: { hubspot },
    });
    await runtime.store.migrate();
    tenantId = (await runtime.store.tenants.upsert({ crm: 'hubspot', externalId: '77', name: 'P', apiBaseUrl: 'x' }))
      .id;
    sessionId = randomToken();
    await runtime.store.sessions.grant(sha256(sessionId), tenantId, 'the-real-csrf', '2999-01-01T00:00:00.000Z');
    S.session = sessionId;
    app = createApp({
      store: runtime.store,
      logger: runtime.logger,
      version: 't',
      routers: runtime.routers(),
      security: securityOptionsFor(config, runtime.manifest),
    });
  });
  afterAll(async () => {
    await runtime.close();
    dir.remove();
  });

  it('writes none of the secrets requests carry, while still logging each refused request', async () => {
    const answers = [
      // Session cookie and a wrong CSRF token on a dashboard form (403).
      await request(app)
        .post(`/dashboard/t/${tenantId}/settings`)
        .set('cookie', `crm_agent_session=${S.session}; other=1`)
        .set('x-csrf-token', S.csrf)
        .type('form')
        .send({ budgetShare: '10' }),
      // Bearer and HubSpot signatures on a webhook (401).
      await request(app)
        .post('/webhooks/hubspot')
        .set('authorization', `Bearer ${S.bearer}`)
        .set('x-hubspot-signature', S.sigV1)
        .set('x-hubspot-signature-v3', S.sigV3)
        .set('x-hubspot-request-timestamp', '1')
        .send('[]'),
      // Basic credentials on an unknown path (404).
      await request(app).get('/admin').set('authorization', `Basic ${S.basic}`),
      // Tokens and a password in a query string (404).
      await request(app).get(
        `/nope?access_token=${S.accessToken}&refresh_token=${S.refreshToken}&client_secret=${S.clientSecret}&password=${S.password}`,
      ),
      // An OAuth callback with code and state (400: the state is unknown).
      await request(app).get(`/oauth/hubspot/callback?code=${S.code}&state=${S.state}`),
      // A Canvas signed request that does not verify (401).
      await request(app).post('/salesforce/card').type('form').send({ signed_request: S.signedRequest }),
    ];
    // An install whose token call fails with the URL and body in its error (logged at error level, 502).
    const begin = await request(app).get('/install/hubspot');
    const state = new URL(begin.headers.location!).searchParams.get('state')!;
    S.installState = state;
    const installCookie = (begin.headers['set-cookie'] as unknown as string[])[0]!.split(';')[0]!;
    answers.push(
      await request(app).get(`/oauth/hubspot/callback?code=${S.errorCode}&state=${state}`).set('cookie', installCookie),
    );
    expect(answers.map((a) => a.status)).toEqual([403, 401, 404, 404, 400, 401, 502]);

    const text = out.text;
    for (const [name, secret] of Object.entries(S)) {
      expect({ name, leaked: text.includes(secret) }).toEqual({ name, leaked: false });
    }
    // Each refused request still has its line: method, path and status, secrets replaced.
    const requests = out.records.filter((r) => r.msg === 'request completed' || r.msg === 'request errored');
    expect(requests.length).toBeGreaterThanOrEqual(answers.length);
    expect(requests.map((r) => (r.res as { statusCode: number }).statusCode)).toEqual(
      expect.arrayContaining([403, 401, 404, 400, 502]),
    );
    const urls = requests.map((r) => (r.req as { url: string }).url);
    expect(urls).toContain(
      '/nope?access_token=[redacted]&refresh_token=[redacted]&client_secret=[redacted]&password=[redacted]',
    );
    expect(urls).toContain('/oauth/hubspot/callback?code=[redacted]&state=[redacted]');
    expect(out.records.some((r) => r.msg === 'install failed')).toBe(true);
  });
});
