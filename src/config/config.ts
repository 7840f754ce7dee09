import type { LogFormat, LogLevel } from '../lib/logger.js';
import type { RetentionSettings } from '../store/retention.js';

/** Where crm-agent keeps its data: an embedded SQLite file, or a PostgreSQL server. */
export type DatabaseConfig = { kind: 'sqlite'; path: string } | { kind: 'postgres'; url: string };

/**
 * The whole validated configuration, built once by `loadConfig` at the edge and passed in from there.
 * Nothing below the CLI reads `process.env`.
 */
export interface Config {
  nodeEnv: 'development' | 'production' | 'test';
  host: string;
  port: number;
  /** The URL the CRMs and browsers reach crm-agent at: OAuth redirects and webhook targets derive from it. */
  publicUrl: string;
  dataDir: string;
  database: DatabaseConfig;
  log: { level: LogLevel; format: LogFormat };
  hubspot: {
    /** REST API base (https://api.hubapi.com in production; the local sandbox by default). */
    apiUrl: string;
    /** Where the OAuth authorize page lives (https://app.hubspot.com in production). */
    authUrl: string;
    clientId?: string;
    clientSecret?: string;
    /** Secrets still accepted on incoming signatures while a client-secret rotation is under way. */
    previousClientSecrets: string[];
    appId?: string;
  };
  salesforce: {
    /** OAuth login host (https://login.salesforce.com in production; the local sandbox by default). */
    loginUrl: string;
    clientId?: string;
    clientSecret?: string;
  };
  /** Key that wraps each tenant's data key (AES-256-GCM), 32 bytes; absent only in the embedded demo. */
  encryptionKey?: Buffer;
  /** Keys still accepted for unwrapping while a rotation is under way. */
  previousEncryptionKeys: Buffer[];
  /** How long an uninstalled (or unauthorised) tenant's data is kept before it is purged. */
  uninstallGraceMs: number;
  /**
   * pg-boss jobs across workers: how long a job may run before it counts as lost (its worker killed) and is handed
   * to another worker, and the first retry delay of a failed or lost job.
   */
  jobs: { expireSeconds: number; retrySeconds: number };
  /** What is pruned when (the `gc` command and the hourly sweep). */
  retention: RetentionSettings;
}
