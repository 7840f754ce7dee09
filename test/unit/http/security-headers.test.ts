import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { loadConfig } from '../../../src/config/load-config.js';
import { createApp } from '../../../src/http/create-app.js';
import { securityOptionsFor } from '../../../src/http/security-headers.js';
import { createLogger } from '../../../src/lib/logger.js';
import { createRuntime, type Runtime } from '../../../src/main.js';
import { Capture } from '../../helpers/capture.js';
import { tempDir } from '../../helpers/temp-dir.js';

describe('the HTTP app: security headers and client errors', () => {
  const dir = tempDir();
  const log = new Capture();
  let runtime: Runtime;
  const appFor = (publicUrl: string) => {
    const config = { ...runtime.config, publicUrl };
    return createApp({
      store: runtime.store,
      logger: runtime.logger,
      version: 't',
      routers: runtime.routers(),
      security: securityOptionsFor(config, runtime.manifest),
    });
  };

  beforeAll(async () => {
    const config = loadConfig({
      env: {
        DATA_DIR: dir.path,
        PUBLIC_URL: 'http://127.0.0.1:3000',
        HUBSPOT_API_URL: 'http://127.0.0.1:3101',
        SALESFORCE_LOGIN_URL: 'http://127.0.0.1:3102',
      },
      cwd: dir.path,
      readDotEnv: false,
    });
    runtime = await createRuntime(config, {
      logger: createLogger({ level: 'info', format: 'json', destination: log }),
    });
    await runtime.store.migrate();
  });
  afterAll(async () => {
    await runtime.close();
    dir.remove();
  });

  it('sends a CSP with local scripts only, no framing, nosniff and no referrer on dashboard pages', async () => {
    const res = await request(appFor('http://127.0.0.1:3000')).get('/dashboard');
    const csp = res.headers['content-security-policy']!;
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toMatch(/script-src[^;]*unsafe/);
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain("object-src 'none'");
    expect(csp).not.toContain('upgrade-insecure-requests');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['referrer-policy']).toBe('no-referrer');
    expect(res.headers['x-frame-options']).toBe('DENY');
    expect(res.headers['strict-transport-security']).toBeUndefined();
    // Also on answers no router gave (404) and on the health check.
    for (const path of ['/nope', '/healthz']) {
      const other = await request(appFor('http://127.0.0.1:3000')).get(path);
      expect(other.headers['content-security-policy']).toContain("frame-ancestors 'none'");
      expect(other.headers['x-content-type-options']).toBe('nosniff');
    }
  });

  it('lets only the CRMs (and the configured sandboxes) frame the card paths', async () => {
    const res = await request(appFor('http://127.0.0.1:3000'))
      .post('/salesforce/card')
      .type('form')
      .send({ signed_request: 'x.y' });
    const ancestors = /frame-ancestors ([^;]*)/.exec(res.headers['content-security-policy']!)![1]!.split(' ');
    expect(ancestors).toEqual(
      expect.arrayContaining([
        'https://*.hubspot.com',
        'https://*.force.com',
        'https://*.salesforce.com',
        'https://*.lightning.force.com',
        'http://127.0.0.1:3101',
        'http://127.0.0.1:3102',
      ]),
    );
    expect(ancestors).not.toContain("'none'");
    expect(ancestors).not.toContain('*');
    expect(res.headers['x-frame-options']).toBeUndefined();
  });

  it('sends HSTS only when the public URL is https', async () => {
    const res = await request(appFor('https://agent.example.com')).get('/healthz');
    expect(res.headers['strict-transport-security']).toMatch(/max-age=\d{7,}/);
    expect(res.headers['content-security-policy']).toContain('upgrade-insecure-requests');
    const plain = await request(appFor('http://127.0.0.1:3000')).get('/healthz');
    expect(plain.headers['strict-transport-security']).toBeUndefined();
  });

  const big = 'x'.repeat(300 * 1024);
  it.each([
    ['an oversized HubSpot workflow-action body', 'post', '/hubspot/workflow-actions/next-best-action', big, 413],
    ['an oversized HubSpot card body', 'post', '/hubspot/card', big, 413],
    ['an oversized Salesforce canvas body', 'post', '/salesforce/card', `signed_request=${big}`, 413],
    ['__proto__ as a static file', 'get', '/dashboard/static/__proto__', '', 404],
    ['constructor as a static file', 'get', '/dashboard/static/constructor', '', 404],
    ['hasOwnProperty as a static file', 'get', '/dashboard/static/hasOwnProperty', '', 404],
    ['a badly encoded static path', 'get', '/dashboard/static/%E0%A4%A', '', 400],
    ['a badly encoded tenant path', 'get', '/dashboard/t/%E0%A4%A/settings', '', 400],
    ['a badly encoded path', 'get', '/%E0%A4%A', '', 404],
  ])('answers %s with a short 4xx, no stack trace', async (_what, method, path, body, status) => {
    const before = log.records.length;
    const app = appFor('http://127.0.0.1:3000');
    const call = method === 'post' ? request(app).post(path).type('form').send(body) : request(app).get(path);
    const res = await call;
    expect(res.status).toBe(status);
    expect(res.text.length).toBeLessThan(200);
    expect(res.text).not.toMatch(/\bat \S+ \(|node_modules|Error:/);
    const lines = log.records.slice(before);
    expect(lines.some((l) => l.level === 50)).toBe(false);
    expect(JSON.stringify(lines)).not.toContain('"stack"');
  });
});
