import { describe, expect, it } from '@jest/globals';
import { loadConfig } from '../../../src/config/load-config.js';
import { DEFAULT_RETENTION } from '../../../src/store/retention.js';

const load = (env: Record<string, string>) => loadConfig({ env, cwd: '/srv/app', readDotEnv: false });

describe('retention settings', () => {
  it('default to bounded values and are read from RETAIN_* variables', () => {
    expect(load({}).retention).toEqual({
      runResults: 20,
      runs: 1000,
      runDays: 30,
      inboxDays: 7,
      outboxDays: 30,
      auditDays: 365,
      historyDays: 180,
      apiUsageDays: 7,
    });
    expect(DEFAULT_RETENTION).toEqual(load({}).retention);
    expect(
      load({ RETAIN_INBOX_DAYS: '2', RETAIN_RUN_RESULTS: '5', RETAIN_AUDIT_DAYS: '3650' }).retention,
    ).toMatchObject({
      inboxDays: 2,
      runResults: 5,
      auditDays: 3650,
    });
  });

  it.each([
    ['RETAIN_RUN_RESULTS', '0', /RETAIN_RUN_RESULTS must be a whole number of runs \(1 or more\) \(got "0"\)/],
    ['RETAIN_INBOX_DAYS', 'soon', /RETAIN_INBOX_DAYS must be a number of days \(1 or more\)/],
    ['RETAIN_AUDIT_DAYS', '0', /RETAIN_AUDIT_DAYS must be a number of days \(1 or more\)/],
  ])('refuses %s=%s with one line naming it', (name, value, message) => {
    expect(() => load({ [name]: value })).toThrow(message);
  });
});
