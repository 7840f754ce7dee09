import type { Generated } from 'kysely';
import type { TenantStatus } from '../domain/tenant.js';

/**
 * The database as Kysely sees it (camelCase here, snake_case in SQL through CamelCasePlugin).
 * One schema for SQLite and PostgreSQL, so every column type is one both agree on:
 * timestamps are ISO-8601 UTC text, booleans are 0/1 integers, structured values are JSON text.
 * Every table that holds tenant data has a `tenantId` column: purging a tenant walks them all.
 */
export interface Database {
  tenants: TenantsTable;
  credentials: CredentialsTable;
  syncCursors: SyncCursorsTable;
  runCheckpoints: RunCheckpointsTable;
  contacts: ContactsTable;
  companies: CompaniesTable;
  deals: DealsTable;
  dealStageHistory: DealStageHistoryTable;
  lineItems: LineItemsTable;
  products: ProductsTable;
  owners: OwnersTable;
  associations: AssociationsTable;
  runs: RunsTable;
  runStages: RunStagesTable;
  segments: SegmentsTable;
  segmentMembers: SegmentMembersTable;
  scores: ScoresTable;
  forecasts: ForecastsTable;
  actions: ActionsTable;
  writebackLedger: WritebackLedgerTable;
  outbox: OutboxTable;
  webhookInbox: WebhookInboxTable;
  auditLog: AuditLogTable;
  scheduleSlots: ScheduleSlotsTable;
  oauthStates: OauthStatesTable;
  adminSessions: AdminSessionsTable;
  privacyTombstones: PrivacyTombstonesTable;
  runArtifacts: RunArtifactsTable;
  recommendations: RecommendationsTable;
  workflowCallbacks: WorkflowCallbacksTable;
  apiUsage: ApiUsageTable;
  rateLimitEvents: RateLimitEventsTable;
  propertyDefinitions: PropertyDefinitionsTable;
  endpointSecrets: EndpointSecretsTable;
  processLocks: ProcessLocksTable;
  tenantModels: TenantModelsTable;
  actionHistory: ActionHistoryTable;
  holdoutHistory: HoldoutHistoryTable;
  resultHistory: ResultHistoryTable;
  auditLogAnchors: AuditLogAnchorsTable;
}

/** One installation of crm-agent in one CRM account: a HubSpot portal (hub id) or a Salesforce org (org id). */
export interface TenantsTable {
  id: string;
  crm: 'hubspot' | 'salesforce';
  /** The CRM's own account id: HubSpot hub id / Salesforce org id. Unique per CRM. */
  externalId: string;
  name: string;
  status: TenantStatus;
  /** API base for this tenant: HubSpot's API host, or the Salesforce org's instance_url. */
  apiBaseUrl: string;
  /** JSON: schedule, outputs to write, API budget share, dry-run mode. */
  settings: string;
  createdAt: string;
  updatedAt: string;
  disabledAt: string | null;
}

/** OAuth or static tokens. The token columns hold ciphertext only (AES-256-GCM under the tenant's data key). */
export interface CredentialsTable {
  tenantId: string;
  kind: 'oauth' | 'static';
  accessTokenCt: string;
  refreshTokenCt: string | null;
  expiresAt: string | null;
  scopes: string;
  /** The tenant's data key, wrapped by the key from the environment. */
  wrappedKey: string;
  keyId: string;
  updatedAt: string;
}

/** Where an object stream's incremental sync stands (watermark) and a full sync's resumable position. */
export interface SyncCursorsTable {
  tenantId: string;
  stream: string;
  watermark: string | null;
  /** JSON: stream-specific state, e.g. the `after` of the last checkpointed page. */
  state: string;
  updatedAt: string;
}

/** Per-run, per-step state so a killed run resumes where it stopped. */
export interface RunCheckpointsTable {
  tenantId: string;
  runId: string;
  step: string;
  state: string;
  updatedAt: string;
}

/** Columns every canonical record has: the CRM's id and timestamps, and how it left the CRM. */
interface RecordColumns {
  tenantId: string;
  /** The CRM's id of the record. */
  id: string;
  createdAt: string | null;
  updatedAt: string | null;
  archived: number;
  archivedAt: string | null;
  /** Set when the CRM merged this record into another: the surviving record's id. */
  mergedInto: string | null;
  /** JSON: CRM properties not mapped to a column, kept for reasons and write-back diffs. */
  properties: string;
  syncedAt: string;
}

export interface ContactsTable extends RecordColumns {
  /** The CRM object the row came from: HubSpot `contact`; Salesforce `Contact` or `Lead`. */
  crmObject: string;
  email: string | null;
  firstName: string | null;
  lastName: string | null;
  companyId: string | null;
  ownerId: string | null;
  lifecycleStage: string | null;
  leadStatus: string | null;
  jobTitle: string | null;
  country: string | null;
  lastActivityAt: string | null;
  emailOpens: number | null;
  pageViews: number | null;
}

export interface CompaniesTable extends RecordColumns {
  name: string | null;
  domain: string | null;
  industry: string | null;
  employees: number | null;
  annualRevenue: number | null;
  country: string | null;
  ownerId: string | null;
}

export interface DealsTable extends RecordColumns {
  name: string | null;
  amount: number | null;
  currency: string | null;
  pipeline: string | null;
  stage: string | null;
  isClosed: number;
  isWon: number;
  closeDate: string | null;
  ownerId: string | null;
  companyId: string | null;
  lastActivityAt: string | null;
  activityCount: number | null;
}

export interface DealStageHistoryTable {
  tenantId: string;
  dealId: string;
  stage: string;
  enteredAt: string;
  amount: number | null;
}

export interface LineItemsTable extends RecordColumns {
  dealId: string | null;
  productId: string | null;
  name: string | null;
  quantity: number | null;
  unitPrice: number | null;
  amount: number | null;
}

export interface ProductsTable extends RecordColumns {
  name: string | null;
  sku: string | null;
  unitPrice: number | null;
}

export interface OwnersTable extends RecordColumns {
  email: string | null;
  name: string | null;
  active: number;
}

export interface AssociationsTable {
  tenantId: string;
  fromType: string;
  fromId: string;
  toType: string;
  toId: string;
  /** The CRM's association type or label (e.g. HubSpot type id 4), '' for the default. */
  label: string;
}

export type RunStatus = 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled';

export interface RunsTable {
  id: string;
  tenantId: string;
  kind: string;
  trigger: string;
  status: RunStatus;
  startedAt: string;
  finishedAt: string | null;
  error: string | null;
  /** JSON summary: counts, requests, timings. */
  summary: string;
}

export interface RunStagesTable {
  tenantId: string;
  runId: string;
  stage: string;
  status: RunStatus;
  startedAt: string;
  finishedAt: string | null;
  detail: string;
}

export interface SegmentsTable {
  tenantId: string;
  runId: string;
  /** Stable across runs: new centres are matched to old ones so CRM values do not flip. */
  segmentKey: string;
  name: string;
  size: number;
  valueShare: number;
  profile: string;
}

/** A record's current segment (one row per record; `runId` is the run that last changed it). */
export interface SegmentMembersTable {
  tenantId: string;
  runId: string;
  objectType: string;
  recordId: string;
  segmentKey: string;
}

/** A record's current score per kind (one row per record and kind; `runId` is the run that last changed it). */
export interface ScoresTable {
  tenantId: string;
  runId: string;
  objectType: string;
  recordId: string;
  /** `win` for deals, `churn` / `conversion` for contacts. */
  kind: string;
  probability: number;
  /** JSON: top reasons in words, with their contributions. */
  reasons: string;
  modelVersion: string;
}

export interface ForecastsTable {
  tenantId: string;
  runId: string;
  /** e.g. `revenue:total`, `pipeline:default`. */
  series: string;
  /** YYYY-MM. */
  period: string;
  kind: 'actual' | 'forecast';
  value: number;
  lo80: number | null;
  hi80: number | null;
  lo95: number | null;
  hi95: number | null;
  model: string;
}

/** A record's current next-best-action (one row per record; `runId` is the run that last changed it). */
export interface ActionsTable {
  tenantId: string;
  runId: string;
  objectType: string;
  recordId: string;
  /** Deterministic key of the action (tenant, record, action): a retry or re-run yields the same key. */
  actionKey: string;
  action: string;
  priority: string;
  dueDate: string | null;
  reason: string;
  status: string;
  outcome: string | null;
  /** The record's segment when the action was planned (the engine learns action worth per segment). */
  segmentKey: string | null;
  /** Expected worth the engine ranked by. */
  value: number;
  createdAt: string;
}

/** The last value crm-agent wrote to each CRM field: the write plan diffs against it. */
export interface WritebackLedgerTable {
  tenantId: string;
  objectType: string;
  recordId: string;
  field: string;
  value: string | null;
  runId: string;
  writtenAt: string;
}

export type OutboxStatus = 'pending' | 'in_flight' | 'sent' | 'failed' | 'dead' | 'superseded';

/** Planned CRM writes, stored before any call is made; sending drains it. */
export interface OutboxTable {
  id: string;
  tenantId: string;
  runId: string;
  kind: 'fields' | 'task' | 'task_close' | 'trigger';
  objectType: string;
  recordId: string;
  /** Unique per tenant: the same write planned twice is stored once. */
  idempotencyKey: string;
  payload: string;
  status: OutboxStatus;
  attempts: number;
  lastError: string | null;
  result: string | null;
  createdAt: string;
  updatedAt: string;
}

export type InboxStatus = 'pending' | 'processing' | 'done' | 'failed';

/** Webhook events as received, deduplicated by (provider, eventKey), processed in the background. */
export interface WebhookInboxTable {
  id: Generated<number>;
  provider: string;
  tenantId: string | null;
  eventKey: string;
  payload: string;
  receivedAt: string;
  status: InboxStatus;
  processedAt: string | null;
  error: string | null;
}

/**
 * Append-only (triggers refuse UPDATE, and DELETE except while the tenant is being purged). Each row
 * carries the hash of the previous one, so a removed or edited row breaks the chain.
 */
export interface AuditLogTable {
  id: Generated<number>;
  at: string;
  tenantId: string | null;
  actor: string;
  action: string;
  detail: string;
  prevHash: string;
  hash: string;
}

/** One row per (tenant, schedule kind, slot time): inserting it claims the slot, so a slot runs once across processes. */
export interface ScheduleSlotsTable {
  tenantId: string;
  kind: string;
  /** The slot's scheduled time, ISO, to the minute. */
  slot: string;
  status: 'running' | 'done' | 'failed';
  claimedBy: string;
  claimedAt: string;
  finishedAt: string | null;
}

/** A pending OAuth install: single use, expires, bound to the browser that started it. */
export interface OauthStatesTable {
  state: string;
  crm: string;
  /** SHA-256 of the random value in the installing browser's cookie. */
  browserHash: string;
  /** The PKCE verifier, sent with the code exchange. */
  codeVerifier: string;
  createdAt: string;
  expiresAt: string;
  usedAt: string | null;
}

/** Dashboard sign-ins: the cookie holds a random id, the table only its hash; one row per tenant it may see. */
export interface AdminSessionsTable {
  idHash: string;
  tenantId: string;
  csrfToken: string;
  createdAt: string;
  expiresAt: string;
}

/** A record erased on a privacy request: sync never writes it again, even from a stale page. */
export interface PrivacyTombstonesTable {
  tenantId: string;
  objectType: string;
  recordId: string;
  erasedAt: string;
}

/** A run's structured results that are not per record (data health, model quality, backtests, rules), as JSON. */
export interface RunArtifactsTable {
  tenantId: string;
  runId: string;
  name: string;
  payload: string;
}

/** Cross-sell recommendations per record (JSON list of products with the rule or neighbours behind each). */
/** (Current state: one row per record; `runId` is the run that last changed it.) */
export interface RecommendationsTable {
  tenantId: string;
  runId: string;
  objectType: string;
  recordId: string;
  items: string;
}

/** A HubSpot workflow-action execution answered BLOCK (no result yet), to complete once a run has one. */
export interface WorkflowCallbacksTable {
  tenantId: string;
  callbackId: string;
  objectType: string;
  recordId: string;
  createdAt: string;
  expiresAt: string;
  completedAt: string | null;
}

/** crm-agent's own API requests per tenant and budget key, in 5-minute buckets (a share of a daily allocation). */
export interface ApiUsageTable {
  tenantId: string;
  key: string;
  /** ISO-8601 start of the 5-minute bucket. */
  bucketStart: string;
  requests: number;
  /** The allocation the CRM reported last in this bucket. */
  allocation: number | null;
}

/** One request taken from a shared budget (PostgreSQL rate limiter); rows older than the window are dropped. */
export interface RateLimitEventsTable {
  /** The budget, e.g. `hubspot:<hubId>:burst`. */
  key: string;
  /** Milliseconds since the epoch: when taken, then when the request finished. */
  takenAt: number;
  /** Names the row, so its request can settle it. */
  lease: string;
}

/** A CRM field's definition per tenant and object type (labels, types, allowed values). */
export interface PropertyDefinitionsTable {
  tenantId: string;
  objectType: string;
  name: string;
  label: string;
  type: string;
  fieldType: string | null;
  groupName: string | null;
  /** JSON array of { value, label, hidden, metadata? }. */
  options: string;
  readOnly: number;
  custom: number;
  syncedAt: string;
}

/** A SHA-256 of a per-tenant secret that authenticates an inbound endpoint (the Salesforce outbound-message URL). */
export interface EndpointSecretsTable {
  tenantId: string;
  /** What the secret authenticates, e.g. `salesforce_outbound`. */
  purpose: string;
  /** Hex SHA-256 of the secret: the secret itself is never stored. */
  secretHash: string;
  createdAt: string;
}

/** A tenant's current stored models (one row per tenant, replaced by each full run). */
export interface TenantModelsTable {
  tenantId: string;
  /** `schemaVersion` of the body (MODELS_SCHEMA_VERSION when written). */
  schemaVersion: number;
  /** The full run that fitted them. */
  runId: string;
  createdAt: string;
  /** JSON text of the engine's StoredModels. */
  body: string;
}

/** Every action key ever planned for a record (first planning, outcome once known): what the engine learns from. */
export interface ActionHistoryTable {
  tenantId: string;
  actionKey: string;
  objectType: string;
  recordId: string;
  action: string;
  segmentKey: string | null;
  /** The run that first planned it. */
  runId: string;
  createdAt: string;
  outcome: string | null;
}

/** A control-group record and the action it would have had, first when (src/engine/lift/). */
export interface HoldoutHistoryTable {
  tenantId: string;
  objectType: string;
  recordId: string;
  action: string;
  segmentKey: string | null;
  /** The run that first held it out. */
  runId: string;
  createdAt: string;
}

/** What changed in a record's results and when: score probabilities, segment, action (not unchanged copies). */
export interface ResultHistoryTable {
  id: Generated<number>;
  tenantId: string;
  runId: string;
  at: string;
  objectType: string;
  recordId: string;
  /** `score:win`, `score:churn`, `score:conversion`, `segment`, `action`. */
  kind: string;
  /** The value before (null: none), and after (null: removed). */
  previous: string | null;
  value: string | null;
}

/** Where retention cut an audit chain: rows up to `throughId` are gone, the next row chains from `headHash`. */
export interface AuditLogAnchorsTable {
  /** The tenant id, or '' for system rows. */
  chain: string;
  tenantId: string | null;
  throughId: number;
  headHash: string;
  prunedAt: string;
}

/** A lease on a named lock held by one process sharing the SQLite file (see `src/store/process-lock.ts`). */
export interface ProcessLocksTable {
  name: string;
  /** Random per store instance: which holder the lease belongs to. */
  owner: string;
  host: string;
  pid: number;
  /** Wall-clock milliseconds: a holder that stopped renewing (crashed on another host) loses the lock then. */
  expiresAt: number;
}
