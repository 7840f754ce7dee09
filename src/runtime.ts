import type { Writable } from 'node:stream';
import type { Router } from 'express';
import type { ModelCache } from './analyse/model-cache.js';
import type { CredentialStore } from './auth/credential-store.js';
import type { AppManifest } from './config/app-manifest.js';
import type { Config } from './config/config.js';
import type { CrmName } from './domain/records.js';
import type { Tenant } from './domain/tenant.js';
import type { Scheduler } from './jobs/scheduler.js';
import type { Clock } from './lib/clock.js';
import type { Logger } from './lib/logger.js';
import type { CrmConnector, CrmConnectorModule } from './ports/crm-connector.js';
import type { JobQueue } from './ports/job-queue.js';
import type { RateLimiter } from './ports/rate-limiter.js';
import type { Store } from './store/open-store.js';

/**
 * What the composition root (`src/main.ts`) builds and hands down: configuration turned into live dependencies.
 * Kept apart from `main.ts` so jobs, write-back and the CLI can name it without importing the composition root
 * (which imports them: that was an import cycle).
 */
export interface Runtime {
  config: Config;
  manifest: AppManifest;
  logger: Logger;
  clock: Clock;
  store: Store;
  version: string;
  fetch: typeof fetch;
  limiter: RateLimiter;
  /** Background work: in-process in the embedded setup, pg-boss on PostgreSQL. */
  queue: JobQueue;
  scheduler: Scheduler;
  /** The last few tenants' parsed stored models, for incremental rescoring. */
  modelCache: ModelCache;
  /** Tenants' tokens, encrypted at rest (the master key is resolved on first use). */
  credentials(): CredentialStore;
  /** The connector module of a CRM; throws NotBuiltError while that CRM has none. */
  module(crm: CrmName): CrmConnectorModule;
  /** A connector bound to one tenant: its tokens, its budget, its settings. */
  connectorFor(tenant: Tenant): CrmConnector;
  /** The feature routers the HTTP app mounts (webhooks, install; the dashboard as it lands). */
  routers(): Router[];
  /** After an OAuth install: schedule the tenant and queue its first full cycle. */
  onInstalled(tenant: Tenant): Promise<void>;
  close(): Promise<void>;
}

export interface RuntimeOverrides {
  clock?: Clock;
  logger?: Logger;
  /** Where log lines go when no logger is given (the CLI passes stderr). */
  logDestination?: Writable & { isTTY?: boolean };
  fetch?: typeof fetch;
  /** Demo only: the one-time token of the dashboard's sign-in link. */
  demoSignInToken?: string;
  /** Replaces the connector modules (tests plug in fakes). */
  modules?: Partial<Record<CrmName, CrmConnectorModule>>;
}
