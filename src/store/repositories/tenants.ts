import { randomUUID } from 'node:crypto';
import type { Kysely, Selectable } from 'kysely';
import type { CrmName } from '../../domain/records.js';
import type { Tenant, TenantStatus } from '../../domain/tenant.js';
import { type Clock, isoAt } from '../../lib/clock.js';
import type { Database, TenantsTable } from '../schema.js';
import { fromJson, toJson } from './json.js';

export interface TenantInput {
  crm: CrmName;
  externalId: string;
  name: string;
  apiBaseUrl: string;
  settings?: Record<string, unknown>;
}

/** Installations. A reinstall of the same CRM account updates its row and keeps its id. */
export class TenantRepository {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly clock: Clock,
  ) {}

  async upsert(input: TenantInput): Promise<Tenant> {
    const now = isoAt(this.clock);
    const row = await this.db
      .insertInto('tenants')
      .values({
        id: randomUUID(),
        crm: input.crm,
        externalId: input.externalId,
        name: input.name,
        status: 'active',
        apiBaseUrl: input.apiBaseUrl,
        settings: toJson(input.settings ?? {}),
        createdAt: now,
        updatedAt: now,
        disabledAt: null,
      })
      .onConflict((oc) =>
        oc.columns(['crm', 'externalId']).doUpdateSet({
          name: input.name,
          apiBaseUrl: input.apiBaseUrl,
          status: 'active',
          updatedAt: now,
          disabledAt: null,
          ...(input.settings ? { settings: toJson(input.settings) } : {}),
        }),
      )
      .returningAll()
      .executeTakeFirstOrThrow();
    return toTenant(row);
  }

  async get(id: string): Promise<Tenant | undefined> {
    const row = await this.db.selectFrom('tenants').selectAll().where('id', '=', id).executeTakeFirst();
    return row && toTenant(row);
  }

  async findByExternalId(crm: CrmName, externalId: string): Promise<Tenant | undefined> {
    const row = await this.db
      .selectFrom('tenants')
      .selectAll()
      .where('crm', '=', crm)
      .where('externalId', '=', externalId)
      .executeTakeFirst();
    return row && toTenant(row);
  }

  /** Salesforce ids come in 15- and 18-character forms: this finds an org by its first 15 characters. */
  async findByExternalIdPrefix(crm: CrmName, prefix: string): Promise<Tenant | undefined> {
    const row = await this.db
      .selectFrom('tenants')
      .selectAll()
      .where('crm', '=', crm)
      .where('externalId', 'like', `${prefix.replace(/[%_\\]/g, '')}%`)
      .orderBy('createdAt')
      .executeTakeFirst();
    return row && toTenant(row);
  }

  async list(): Promise<Tenant[]> {
    const rows = await this.db.selectFrom('tenants').selectAll().orderBy('createdAt').orderBy('id').execute();
    return rows.map(toTenant);
  }

  async setStatus(id: string, status: TenantStatus): Promise<void> {
    const now = isoAt(this.clock);
    await this.db
      .updateTable('tenants')
      .set({ status, updatedAt: now, disabledAt: status === 'disabled' ? now : null })
      .where('id', '=', id)
      .execute();
  }

  /** Salesforce orgs can move: a token response may name a new instance URL. */
  async setApiBaseUrl(id: string, apiBaseUrl: string): Promise<void> {
    await this.db
      .updateTable('tenants')
      .set({ apiBaseUrl, updatedAt: isoAt(this.clock) })
      .where('id', '=', id)
      .execute();
  }

  async updateSettings(id: string, settings: Record<string, unknown>): Promise<void> {
    await this.db
      .updateTable('tenants')
      .set({ settings: toJson(settings), updatedAt: isoAt(this.clock) })
      .where('id', '=', id)
      .execute();
  }
}

function toTenant(row: Selectable<TenantsTable>): Tenant {
  return { ...row, settings: fromJson<Record<string, unknown>>(row.settings, {}) };
}
