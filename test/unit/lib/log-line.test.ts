import { describe, expect, it } from '@jest/globals';
import { cronLogger } from '../../../src/jobs/cron-logger.js';
import { formatLogLine } from '../../../src/lib/log-line.js';
import { createLogger, usePrettyFormat } from '../../../src/lib/logger.js';
import { Capture } from '../../helpers/capture.js';

/** Without the terminal's colour codes. */
const plain = (text: string) =>
  text
    .split('\x1b[')
    .map((part, i) => (i === 0 ? part : part.replace(/^\d+m/, '')))
    .join('');

const at = new Date(2026, 11, 5, 9, 7, 3).getTime(); // local time: the console shows the reader's clock

describe('formatLogLine: one readable console line per log event', () => {
  it('shows time, level, message and the scalar fields as key=value', () => {
    expect(
      formatLogLine({
        level: 30,
        time: at,
        pid: 42,
        hostname: 'h',
        tenantId: 't-1',
        seconds: 1.5,
        partial: false,
        msg: 'sync succeeded',
      }),
    ).toBe('09:07:03 INFO  sync succeeded tenantId=t-1 seconds=1.5 partial=false');
  });

  it('shows an error by its message, a request by its line and status, and quotes values with spaces', () => {
    const line = formatLogLine({
      level: 50,
      time: at,
      err: { type: 'Error', message: 'boom happened', stack: 'Error: boom\n    at x' },
      req: { id: 'r1', method: 'GET', url: '/dashboard/t/1', headers: { host: 'x' } },
      res: { statusCode: 500 },
      reason: 'no such tenant',
      counts: { contact: 3 },
      msg: 'request errored',
    });
    expect(line).toBe(
      '09:07:03 ERROR request errored err="boom happened" GET /dashboard/t/1 status=500 reason="no such tenant"',
    );
    expect(line).not.toContain('stack');
    expect(line).not.toContain('{');
  });

  it('never spans two lines, and colours only when asked', () => {
    const record = { level: 40, time: at, msg: 'first\nsecond', note: 'a\nb' };
    expect(formatLogLine(record)).not.toContain('\n');
    expect(formatLogLine(record)).toContain('first\\nsecond');
    expect(formatLogLine(record)).not.toContain('\x1b[');
    expect(formatLogLine(record, { colours: true })).toContain('\x1b[33mWARN \x1b[0m');
  });
});

describe('the console format: readable lines on a terminal, JSON otherwise or when asked', () => {
  it.each([
    ['auto', true, true],
    ['auto', false, false],
    ['json', true, false],
    ['json', false, false],
    ['pretty', false, true],
  ] as const)('format %s with a terminal %s: readable %s', (format, isTTY, readable) => {
    expect(usePrettyFormat(format, isTTY)).toBe(readable);
    const out = new Capture();
    createLogger({ level: 'info', format, destination: out, isTTY }).child({ tenantId: 't-9' }).info('hello');
    const lines = out.text.trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    if (readable) expect(plain(lines[0]!)).toMatch(/^\d\d:\d\d:\d\d INFO {2}hello tenantId=t-9$/);
    else expect(JSON.parse(lines[0]!)).toMatchObject({ level: 30, msg: 'hello', tenantId: 't-9' });
  });

  it('redacts secrets in readable lines as in JSON ones', () => {
    const out = new Capture();
    createLogger({ level: 'info', format: 'pretty', destination: out }).warn({ accessToken: 'at-1' }, 'Bearer abc');
    expect(out.text).not.toMatch(/at-1|abc/);
  });

  it("routes node-cron's messages through the logger (component node-cron), not the console", () => {
    const out = new Capture();
    const log = cronLogger(createLogger({ level: 'info', format: 'json', destination: out }));
    log.warn('missed execution at 10:00!');
    log.error('Task failed with error!', new Error('kaput'));
    expect(out.records).toEqual([
      expect.objectContaining({ level: 40, component: 'node-cron', msg: 'missed execution at 10:00!' }),
      expect.objectContaining({
        level: 50,
        component: 'node-cron',
        err: expect.objectContaining({ message: 'kaput' }),
      }),
    ]);
  });
});
