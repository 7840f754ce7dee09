import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { parseEnv } from 'node:util';
import { z } from 'zod';
import { ConfigError } from '../lib/errors.js';
import { redactString } from '../lib/redact.js';
import { DEFAULT_RETENTION } from '../store/retention.js';
import type { Config, DatabaseConfig } from './config.js';

export type Env = Record<string, string | undefined>;

/** Ports the local sandbox CRMs listen on by default. */
export const DEFAULT_SANDBOX_PORTS = { hubspot: 3101, salesforce: 3102 } as const;

const url = (what: string) =>
  z.string().refine((v) => URL.canParse(v) && /^https?:$/.test(new URL(v).protocol), `an http(s) URL ${what}`);
const optionalText = z
  .string()
  .optional()
  .transform((v) => (v === '' ? undefined : v));

/** Every environment variable crm-agent reads, with what it expects and its default. The README's table mirrors this. */
const envSchema = z.object({
  NODE_ENV: z
    .enum(['development', 'production', 'test'], 'one of development, production, test')
    .default('development'),
  HOST: z.string().min(1, 'a host name or address').default('127.0.0.1'),
  PORT: z.coerce
    .number('an integer port between 0 and 65535')
    .int('an integer port between 0 and 65535')
    .min(0, 'an integer port between 0 and 65535')
    .max(65535, 'an integer port between 0 and 65535')
    .default(3000),
  PUBLIC_URL: url('such as https://crm-agent.example.com').optional(),
  DATA_DIR: z.string().min(1, 'a directory path').default('./data'),
  DATABASE_URL: optionalText,
  LOG_LEVEL: z
    .enum(
      ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'],
      'one of fatal, error, warn, info, debug, trace, silent',
    )
    .default('info'),
  LOG_FORMAT: z.enum(['json', 'pretty', 'auto'], 'one of json, pretty, auto').default('auto'),
  HUBSPOT_API_URL: url('such as https://api.hubapi.com').default(`http://127.0.0.1:${DEFAULT_SANDBOX_PORTS.hubspot}`),
  HUBSPOT_AUTH_URL: url('such as https://app.hubspot.com').optional(),
  HUBSPOT_CLIENT_ID: optionalText,
  HUBSPOT_CLIENT_SECRET: optionalText,
  HUBSPOT_PREVIOUS_CLIENT_SECRETS: optionalText,
  HUBSPOT_APP_ID: optionalText,
  SALESFORCE_LOGIN_URL: url('such as https://login.salesforce.com').default(
    `http://127.0.0.1:${DEFAULT_SANDBOX_PORTS.salesforce}`,
  ),
  SALESFORCE_CLIENT_ID: optionalText,
  SALESFORCE_CLIENT_SECRET: optionalText,
  CRM_AGENT_ENCRYPTION_KEY: optionalText.refine(
    (v) => v === undefined || Buffer.from(v, 'base64').length === 32,
    '32 bytes, base64-encoded (e.g. `openssl rand -base64 32`)',
  ),
  CRM_AGENT_PREVIOUS_ENCRYPTION_KEYS: optionalText.refine(
    (v) => v === undefined || v.split(',').every((k) => Buffer.from(k.trim(), 'base64').length === 32),
    'a comma-separated list of 32-byte keys, base64-encoded',
  ),
  UNINSTALL_GRACE_DAYS: z.coerce
    .number('a number of days (0 or more)')
    .min(0, 'a number of days (0 or more)')
    .default(30),
  JOB_EXPIRE_SECONDS: z.coerce
    .number('a number of seconds (5 or more)')
    .int('a whole number of seconds (5 or more)')
    .min(5, 'a number of seconds (5 or more)')
    .default(7200),
  JOB_RETRY_SECONDS: z.coerce
    .number('a number of seconds (1 or more)')
    .int('a whole number of seconds (1 or more)')
    .min(1, 'a number of seconds (1 or more)')
    .default(30),
  RETAIN_RUN_RESULTS: count('runs', 1).default(DEFAULT_RETENTION.runResults),
  RETAIN_RUNS: count('runs', 1).default(DEFAULT_RETENTION.runs),
  RETAIN_RUNS_DAYS: days().default(DEFAULT_RETENTION.runDays),
  RETAIN_INBOX_DAYS: days().default(DEFAULT_RETENTION.inboxDays),
  RETAIN_OUTBOX_DAYS: days().default(DEFAULT_RETENTION.outboxDays),
  RETAIN_AUDIT_DAYS: days().default(DEFAULT_RETENTION.auditDays),
  RETAIN_HISTORY_DAYS: days().default(DEFAULT_RETENTION.historyDays),
  RETAIN_API_USAGE_DAYS: days().default(DEFAULT_RETENTION.apiUsageDays),
});

function count(what: string, min: number) {
  const expects = `a whole number of ${what} (${min} or more)`;
  return z.coerce.number(expects).int(expects).min(min, expects);
}

function days() {
  return z.coerce.number('a number of days (1 or more)').min(1, 'a number of days (1 or more)');
}

export interface LoadConfigOptions {
  /** The environment; the CLI passes `process.env`. */
  env: Env;
  /** Directory relative paths resolve against and `.env` is read from. */
  cwd: string;
  /** Read `<cwd>/.env` when present (values already in `env` win). Default true. */
  readDotEnv?: boolean;
}

/**
 * Reads and validates the configuration. Fails with a ConfigError whose message names each bad
 * variable and what it expects, e.g. `PORT must be an integer port between 0 and 65535 (got "abc")`.
 */
export function loadConfig({ env, cwd, readDotEnv = true }: LoadConfigOptions): Config {
  const merged: Env = { ...(readDotEnv ? readDotEnvFile(cwd) : {}), ...env };
  const parsed = envSchema.safeParse(merged);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => {
      const name = String(issue.path[0] ?? 'environment');
      const got = merged[name];
      const shown = got === undefined ? '' : ` (got ${JSON.stringify(redactString(got))})`;
      return `${name} must be ${issue.message}${shown}`;
    });
    throw new ConfigError(`Invalid configuration: ${problems.join('; ')}`);
  }
  const e = parsed.data;
  const dataDir = resolvePath(cwd, e.DATA_DIR);
  const port = e.PORT;
  return {
    nodeEnv: e.NODE_ENV,
    host: e.HOST,
    port,
    publicUrl: (e.PUBLIC_URL ?? `http://localhost:${port}`).replace(/\/+$/, ''),
    dataDir,
    database: parseDatabaseUrl(e.DATABASE_URL, dataDir, cwd),
    log: { level: e.LOG_LEVEL, format: e.LOG_FORMAT },
    hubspot: {
      apiUrl: trimSlash(e.HUBSPOT_API_URL),
      authUrl: trimSlash(e.HUBSPOT_AUTH_URL ?? e.HUBSPOT_API_URL),
      previousClientSecrets: (e.HUBSPOT_PREVIOUS_CLIENT_SECRETS ?? '')
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
      ...defined({ clientId: e.HUBSPOT_CLIENT_ID, clientSecret: e.HUBSPOT_CLIENT_SECRET, appId: e.HUBSPOT_APP_ID }),
    },
    salesforce: {
      loginUrl: trimSlash(e.SALESFORCE_LOGIN_URL),
      ...defined({ clientId: e.SALESFORCE_CLIENT_ID, clientSecret: e.SALESFORCE_CLIENT_SECRET }),
    },
    ...(e.CRM_AGENT_ENCRYPTION_KEY ? { encryptionKey: Buffer.from(e.CRM_AGENT_ENCRYPTION_KEY, 'base64') } : {}),
    previousEncryptionKeys: (e.CRM_AGENT_PREVIOUS_ENCRYPTION_KEYS ?? '')
      .split(',')
      .map((k) => k.trim())
      .filter(Boolean)
      .map((k) => Buffer.from(k, 'base64')),
    uninstallGraceMs: e.UNINSTALL_GRACE_DAYS * 86_400_000,
    jobs: { expireSeconds: e.JOB_EXPIRE_SECONDS, retrySeconds: e.JOB_RETRY_SECONDS },
    retention: {
      runResults: e.RETAIN_RUN_RESULTS,
      runs: e.RETAIN_RUNS,
      runDays: e.RETAIN_RUNS_DAYS,
      inboxDays: e.RETAIN_INBOX_DAYS,
      outboxDays: e.RETAIN_OUTBOX_DAYS,
      auditDays: e.RETAIN_AUDIT_DAYS,
      historyDays: e.RETAIN_HISTORY_DAYS,
      apiUsageDays: e.RETAIN_API_USAGE_DAYS,
    },
  };
}

/**
 * `DATABASE_URL` unset → SQLite at `<DATA_DIR>/crm-agent.db`; `sqlite:PATH` → SQLite at PATH;
 * `postgres://…` or `postgresql://…` → PostgreSQL.
 */
export function parseDatabaseUrl(value: string | undefined, dataDir: string, cwd: string): DatabaseConfig {
  const expected = 'a postgres://user@host:5432/database URL or sqlite:path/to/file.db';
  if (value === undefined) return { kind: 'sqlite', path: join(dataDir, 'crm-agent.db') };
  if (value.startsWith('sqlite:')) {
    const path = value.slice('sqlite:'.length).replace(/^\/\/(?=\/)/, '');
    if (path === '') throw new ConfigError(`Invalid configuration: DATABASE_URL must be ${expected} (got "sqlite:")`);
    return { kind: 'sqlite', path: path === ':memory:' ? path : resolvePath(cwd, path) };
  }
  const shown = JSON.stringify(redactString(value));
  if (!URL.canParse(value))
    throw new ConfigError(`Invalid configuration: DATABASE_URL must be ${expected} (got ${shown})`);
  const parsed = new URL(value);
  if (parsed.protocol !== 'postgres:' && parsed.protocol !== 'postgresql:') {
    throw new ConfigError(`Invalid configuration: DATABASE_URL must be ${expected} (got ${shown})`);
  }
  if (parsed.hostname === '' || parsed.pathname.replace(/^\//, '') === '') {
    throw new ConfigError(
      `Invalid configuration: DATABASE_URL must name a host and a database, as in ${expected} (got ${shown})`,
    );
  }
  return { kind: 'postgres', url: value };
}

function readDotEnvFile(cwd: string): Env {
  const file = join(cwd, '.env');
  if (!existsSync(file)) return {};
  try {
    return parseEnv(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new ConfigError(`Invalid configuration: cannot read ${file}`, { cause: error });
  }
}

function resolvePath(cwd: string, path: string): string {
  return isAbsolute(path) ? path : resolve(cwd, path);
}

function trimSlash(value: string): string {
  return value.replace(/\/+$/, '');
}

/** Drops undefined members, for `exactOptionalPropertyTypes`. */
function defined<T extends Record<string, unknown>>(values: T): { [K in keyof T]?: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(values).filter(([, v]) => v !== undefined)) as {
    [K in keyof T]?: Exclude<T[K], undefined>;
  };
}
