import type { Kysely } from 'kysely';
import type { Clock } from '../../lib/clock.js';
import type { Database } from '../schema.js';
import type { StoreDialect } from '../store-dialect.js';
import { ActionListRepository } from './action-list.js';
import { AdminSessionRepository } from './admin-sessions.js';
import { ApiUsageRepository } from './api-usage.js';
import { AuditLogRepository } from './audit-log.js';
import { CredentialRepository } from './credentials.js';
import { EndpointSecretRepository } from './endpoint-secrets.js';
import { OAuthStateRepository } from './oauth-states.js';
import { OutboxRepository } from './outbox.js';
import { OverviewRepository } from './overview.js';
import { PrivacyRepository } from './privacy.js';
import { PropertyDefinitionRepository } from './property-definitions.js';
import { RecordRepository } from './records.js';
import { ResultsRepository } from './results.js';
import { RunRepository } from './runs.js';
import { ScheduleSlotRepository } from './schedule-slots.js';
import { SyncCursorRepository } from './sync-cursors.js';
import { TenantModelRepository } from './tenant-models.js';
import { TenantRepository } from './tenants.js';
import { WebhookInboxRepository } from './webhook-inbox.js';
import { WorkflowCallbackRepository } from './workflow-callbacks.js';
import { WritebackRepository } from './writeback.js';

/** Every repository, bound to one connection or one transaction. */
export interface Repositories {
  tenants: TenantRepository;
  credentials: CredentialRepository;
  records: RecordRepository;
  cursors: SyncCursorRepository;
  runs: RunRepository;
  slots: ScheduleSlotRepository;
  inbox: WebhookInboxRepository;
  audit: AuditLogRepository;
  oauthStates: OAuthStateRepository;
  sessions: AdminSessionRepository;
  privacy: PrivacyRepository;
  results: ResultsRepository;
  writeback: WritebackRepository;
  outbox: OutboxRepository;
  callbacks: WorkflowCallbackRepository;
  apiUsage: ApiUsageRepository;
  propertyDefinitions: PropertyDefinitionRepository;
  endpointSecrets: EndpointSecretRepository;
  models: TenantModelRepository;
  overview: OverviewRepository;
  actionList: ActionListRepository;
}

export function createRepositories(
  db: Kysely<Database>,
  clock: Clock,
  dialect: StoreDialect,
  keepRunResults?: number,
): Repositories {
  return {
    tenants: new TenantRepository(db, clock),
    credentials: new CredentialRepository(db, clock),
    records: new RecordRepository(db, clock, dialect),
    cursors: new SyncCursorRepository(db, clock),
    runs: new RunRepository(db, clock),
    slots: new ScheduleSlotRepository(db, clock),
    inbox: new WebhookInboxRepository(db, clock),
    audit: new AuditLogRepository(db, clock, dialect),
    oauthStates: new OAuthStateRepository(db, clock),
    sessions: new AdminSessionRepository(db, clock),
    privacy: new PrivacyRepository(db, clock, dialect),
    results: new ResultsRepository(db, clock, keepRunResults),
    writeback: new WritebackRepository(db, clock),
    outbox: new OutboxRepository(db, clock),
    callbacks: new WorkflowCallbackRepository(db, clock),
    apiUsage: new ApiUsageRepository(db, clock),
    propertyDefinitions: new PropertyDefinitionRepository(db, clock),
    endpointSecrets: new EndpointSecretRepository(db, clock),
    models: new TenantModelRepository(db, clock),
    overview: new OverviewRepository(db, clock),
    actionList: new ActionListRepository(db),
  };
}
