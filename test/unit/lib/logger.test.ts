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
