import type { Kysely } from 'kysely';
import type { StoreDialect } from '../store-dialect.js';
import * as m0001 from './0001-initial.js';
import * as m0002 from './0002-rate-budget-and-property-definitions.js';
import * as m0003 from './0003-api-usage.js';
import * as m0004 from './0004-schedules-oauth-sessions.js';
import * as m0005 from './0005-privacy-and-lookup-indexes.js';
import * as m0006 from './0006-bounded-results.js';
import * as m0009 from './0009-endpoint-secrets.js';
import * as m0015 from './0015-process-locks.js';
import * as m0016 from './0016-tenant-models.js';
import * as m0017 from './0017-holdout-history.js';
import * as m0023 from './0023-associations-to-covering.js';

/** A schema change. `version` is its place in the order; the schema version is the highest applied. */
export interface SchemaMigration {
  version: number;
  name: string;
  // biome-ignore lint/suspicious/noExplicitAny: migrations describe the schema as it was, not the current types
  up(db: Kysely<any>, dialect: StoreDialect): Promise<void>;
}

/** Every migration, in order. Append only: a shipped migration never changes. */
export const MIGRATIONS: readonly SchemaMigration[] = [
  { version: 1, name: 'initial', up: m0001.up },
  { version: 2, name: 'rate_budget_and_property_definitions', up: m0002.up },
  { version: 3, name: 'api-usage', up: m0003.up },
  { version: 4, name: 'schedules_oauth_sessions', up: m0004.up },
  { version: 5, name: 'privacy_and_lookup_indexes', up: m0005.up },
  { version: 6, name: 'bounded_results', up: m0006.up },
  { version: 9, name: 'endpoint_secrets', up: m0009.up },
  { version: 15, name: 'process_locks', up: m0015.up },
  { version: 16, name: 'tenant_models', up: m0016.up },
  { version: 17, name: 'holdout_history', up: m0017.up },
  { version: 23, name: 'associations_to_covering', up: m0023.up },
];

export function migrationId(migration: SchemaMigration): string {
  return `${String(migration.version).padStart(4, '0')}_${migration.name}`;
}
