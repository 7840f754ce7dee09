import type { TokenProvider } from '../auth/token-provider.js';
import type {
  Association,
  Company,
  Contact,
  CrmName,
  Deal,
  DealStageChange,
  LineItem,
  ObjectType,
  Owner,
  Product,
  PropertyDefinition,
} from '../domain/records.js';
import type { Tenant } from '../domain/tenant.js';
import type { TokenGrant } from '../domain/tokens.js';
import type { Clock } from '../lib/clock.js';
import type { Logger } from '../lib/logger.js';
import type { SyncCursor } from '../store/repositories/sync-cursors.js';
import type { ApiUsageLedger } from './api-usage.js';
import type { CrmWriter } from './crm-writer.js';
import type { RateLimiter } from './rate-limiter.js';

/**
 * The port every CRM connector implements (`connectors/<crm>/`). Connectors talk to the CRM and map its
 * records into the canonical model; they never touch the store. The sync runner (`src/sync/`) drives their
 * streams, applies each page and its cursor in one transaction, and so makes every sync resumable.
 */
export interface CrmConnector {
  readonly crm: CrmName;
  /** The streams a sync reads, in the order they should run. */
  streams(): SyncStream[];
  /** Write-back into the CRM (fields, tasks, triggers); absent while a connector is read-only. */
  writer?(): CrmWriter;
  /**
   * The current state of a few records, for recomputes triggered by webhooks: each record (with its associations,
   * and stage history for deals) as upserts, or as a removal when the CRM no longer has it (deleted, or merged into
   * another: `mergedInto`). Reads in the CRM's batch endpoints, within the same budget as sync.
   */
  readRecords?(refs: ReadonlyArray<{ type: ObjectType; id: string }>): Promise<RecordChanges>;
  /** How many streams the runner may read at once (a CRM with separate budgets gains from more). Default 1. */
  readonly streamConcurrency?: number;
}

/**
 * A CRM's connector as the composition root sees it: built once from configuration (client id and secret),
 * it identifies accounts, renews tokens and creates a tenant-bound connector per run.
 */
export interface CrmConnectorModule {
  readonly crm: CrmName;
  /** Whose account a token opens: the CRM's account id (hub id / org id), a display name, and the API base. */
  identify(args: { apiBaseUrl: string; accessToken: string; fetch: typeof fetch }): Promise<CrmAccount>;
  /** Trades a refresh token for new tokens; throws NeedsReauthError when the CRM refuses it for good. */
  refresh?(args: { tenant: Tenant; refreshToken: string; fetch: typeof fetch }): Promise<TokenGrant>;
  /** The CRM's OAuth authorize URL for an install (marketplace app); absent when the module has no OAuth app. */
  authorizeUrl?(args: {
    redirectUri: string;
    state: string;
    codeChallenge: string;
    scopes: string[];
    optionalScopes: string[];
  }): string;
  /** Trades an authorization code for tokens and says whose account they open. */
  exchangeCode?(args: { code: string; redirectUri: string; codeVerifier: string; fetch: typeof fetch }): Promise<{
    grant: TokenGrant;
    account: CrmAccount;
  }>;
  create(context: ConnectorContext): CrmConnector;
}

export interface CrmAccount {
  externalId: string;
  name: string;
  apiBaseUrl: string;
  /** The CRM user the token acts as (Salesforce: crm-agent's integration user), when the CRM says. */
  userId?: string;
}

/** Everything a tenant-bound connector may use; nothing else (no store, no config). */
export interface ConnectorContext {
  tenant: Tenant;
  tokens: TokenProvider;
  /** The tenant's shared request budget (see RateLimiter). */
  limiter: RateLimiter;
  fetch: typeof fetch;
  clock: Clock;
  logger: Logger;
  /** Tenant settings that bound API use, e.g. the share of Salesforce's daily allocation crm-agent may take. */
  settings: Record<string, unknown>;
  /** crm-agent's own API use of this tenant, persisted: what a share of a daily allocation is measured against. */
  usage?: ApiUsageLedger;
}

export type SyncMode = 'full' | 'incremental';

export interface StreamReadContext {
  mode: SyncMode;
  /** What the last checkpointed page left; undefined on the very first sync of this stream. */
  cursor: SyncCursor | undefined;
  /** Aborted when the run is cancelled (shutdown, uninstall); a stream stops at the next page boundary. */
  signal: AbortSignal;
  /**
   * Of some changed records, which ones crm-agent's own write-back alone changed: absent when nothing is known.
   * A stream that can see a changed record's values cheaply (HubSpot search, a Salesforce query row) asks before
   * reading it by id, and neither reads nor hands out the ones named (their local copy is already what the CRM holds).
   */
  ownWrites?: OwnWriteCheck;
}

/**
 * A changed record as the CRM just reported it, before any read by id: its modified time and its values mapped into
 * the canonical model, with only the fields the stream could tell from what it saw (a field it cannot know, such as
 * one derived from associations it did not read, is left out and not compared). Fields every write moves (modified
 * dates, last-modified-by) are left out too.
 */
export interface OwnWriteCandidate {
  id: string;
  /** The CRM's modified time of the record (ISO-8601). */
  modifiedAt: string;
  record: Record<string, unknown> & { properties?: Record<string, string | null> };
}

/** The ids of the candidates whose only change since the local copy is crm-agent's own recent write. */
export type OwnWriteCheck = (type: ObjectType, candidates: readonly OwnWriteCandidate[]) => Promise<Set<string>>;

/**
 * One resumable read, like an Airbyte stream: an async generator of pages. Each page's `cursor` must be
 * enough to resume right after that page, because the runner persists it with the page's records.
 */
export interface SyncStream {
  readonly name: string;
  read(context: StreamReadContext): AsyncIterable<StreamPage>;
}

export interface StreamPage {
  changes: RecordChanges;
  cursor: SyncCursor;
  /** Requests this page cost, for the run's summary. */
  requests?: number;
  /** Of those, how many the CRM throttled (HubSpot 429s) and were retried. */
  throttled?: number;
}

/** What one page changes in the local copy of the CRM. */
export interface RecordChanges {
  contacts?: Contact[];
  companies?: Company[];
  deals?: Deal[];
  lineItems?: LineItem[];
  products?: Product[];
  owners?: Owner[];
  /** For each group: the associations from `fromIds` to `toType` become exactly `links`. */
  associations?: Array<{ fromType: ObjectType; fromIds: string[]; toType: ObjectType; links: Association[] }>;
  /**
   * Links seen from their target's side (applied before `associations`): for each group, local links from
   * `fromType` into `toIds` that are not in `links` are removed (a link removed in the CRM without touching the
   * record that owns it locally).
   */
  associationTargets?: Array<{
    fromType: ObjectType;
    toType: ObjectType;
    toIds: string[];
    links: Array<{ fromId: string; toId: string }>;
  }>;
  stageHistory?: DealStageChange[];
  /** Records deleted (archived) in the CRM, or merged into `mergedInto`: kept locally, flagged. */
  removals?: Array<{ type: ObjectType; id: string; at: string; mergedInto?: string | null }>;
  /** Records to erase entirely (privacy deletion). */
  erasures?: Array<{ type: ObjectType; id: string }>;
  /**
   * After a full pass: every record of `type` not written since `notSyncedSince` is gone from the CRM
   * and gets archived locally (how a full sync notices deletions it never saw as events).
   */
  sweep?: { type: ObjectType; notSyncedSince: string; at: string };
  /** For each group: the field definitions of `objectType` become exactly `definitions`. */
  propertyDefinitions?: Array<{ objectType: ObjectType; definitions: PropertyDefinition[] }>;
  /** Records the stream could not map: reported in the run summary, the sync goes on. */
  rejected?: Array<{ type: ObjectType; id: string; reason: string }>;
  /**
   * The CRM account's currency settings (HubSpot account-info, Salesforce Organization/CurrencyType): stored on the
   * tenant, every amount is read in them.
   */
  currency?: { currency: string; exchangeRates?: Record<string, number>; others?: string[] };
  /**
   * What the stream left out and the sync went on without (a field of a type the connector does not read), one
   * line each: they go into the run's data-health report.
   */
  warnings?: string[];
}
