import { describe, expect, it } from '@jest/globals';
import { createLogger } from '../../../src/lib/logger.js';
import { Capture } from '../../helpers/capture.js';

describe('createLogger', () => {
  const logged = (fn: (logger: ReturnType<typeof createLogger>) => void) => {
    const out = new Capture();
    fn(createLogger({ level: 'info', format: 'json', destination: out }));
    return out;
  };

  it('writes JSON lines with the context of child loggers', () => {
    const out = logged((logger) => logger.child({ tenantId: 't1' }).info({ records: 3 }, 'synced'));
    expect(out.records).toEqual([expect.objectContaining({ level: 30, tenantId: 't1', records: 3, msg: 'synced' })]);
  });

  it('redacts tokens, client secrets and Authorization headers at any depth', () => {
    const out = logged((logger) =>
      logger.info(
        {
          accessToken: 'at-1',
          tenant: { credentials: { refresh_token: 'rt-1', client_secret: 'cs-1' } },
          req: { headers: { authorization: 'Bearer at-2', Authorization: 'Bearer at-3', host: 'x' } },
          list: [{ access_token: 'at-4' }],
          clientSecret: 'cs-2',
        },
        'request',
      ),
    );
    const line = out.text;
    for (const secret of ['at-1', 'rt-1', 'cs-1', 'at-2', 'at-3', 'at-4', 'cs-2']) expect(line).not.toContain(secret);
    expect(out.records[0]).toMatchObject({ req: { headers: { host: 'x', authorization: '[redacted]' } } });
  });

  it('redacts secrets inside messages and serialised errors', () => {
    const error = Object.assign(new Error('401 for Bearer abc.def and https://u:pw@db/x?access_token=zzz'), {
      config: { headers: { Authorization: 'Bearer abc.def' } },
    });
    const out = logged((logger) => {
      logger.error({ err: error }, 'call failed with token Bearer qqq');
      logger.warn('refresh_token=rrr leaked? https://api/x?refresh_token=rrr');
    });
    expect(out.text).not.toMatch(/abc\.def|:pw@|zzz|qqq|rrr/);
    expect(out.records[0]).toMatchObject({
      msg: 'call failed with token Bearer [redacted]',
      err: { type: 'Error', message: expect.stringContaining('401 for Bearer [redacted]'), stack: expect.any(String) },
    });
  });

  it('redacts what child bindings carry (they skip the object redaction) and secrets inside logged bodies', () => {
    const out = logged((logger) => {
      logger
        .child({ req: { headers: { cookie: 'crm_agent_session=sess-1', 'x-csrf-token': 'csrf-1' } } })
        .child({ url: '/cb?code=code-1&state=state-1&hapikey=hk-1' })
        .warn(
          { body: '{"refresh_token": "rt-9", "ok": true}', form: 'a=1&password=pw-9&client_secret=cs-9' },
          'Authorization: Basic YmFzaWM6cHc= refused; x-hubspot-signature-v3 sig-1',
        );
      logger.child({ 'x-hubspot-signature-v3': 'sig-2', 'X-HubSpot-Signature': 'sig-3' }).info('signed');
    });
    expect(out.text).not.toMatch(/sess-1|csrf-1|code-1|state-1|hk-1|rt-9|pw-9|cs-9|YmFzaWM6cHc|sig-2|sig-3/);
    expect(out.records[0]).toMatchObject({ url: '/cb?code=[redacted]&state=[redacted]&hapikey=[redacted]' });
    expect(out.records).toHaveLength(2);
  });

  it('redacts the per-org secret of a Salesforce outbound-message URL, at any level', () => {
    const secret = 'Zk3q9Xr2bW7mN4pT8vL1cY6dH0sJ5gA-_eQ';
    const out = new Capture();
    const logger = createLogger({ level: 'debug', format: 'json', destination: out });
    logger.debug({ req: { url: `/webhooks/salesforce/${secret}` } }, `POST /webhooks/salesforce/${secret} 200`);
    expect(out.text).not.toContain(secret);
    expect(out.records[0]).toMatchObject({ req: { url: '/webhooks/salesforce/[redacted]' } });
  });

  it('writes human-readable lines in pretty mode', () => {
    const out = new Capture();
    createLogger({ level: 'info', format: 'pretty', destination: out }).info({ accessToken: 'x1' }, 'hello');
    expect(out.text).toContain('hello');
    expect(out.text.trim().startsWith('{')).toBe(false);
    expect(out.text).not.toContain('x1');
  });

  it('chooses pretty only for a terminal in auto mode', () => {
    const out = new Capture();
    createLogger({ level: 'info', format: 'auto', destination: out, isTTY: false }).info('plain');
    expect(out.records).toHaveLength(1);
  });
});
