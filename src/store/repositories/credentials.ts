import type { Kysely, Selectable } from 'kysely';
import { type Clock, isoAt } from '../../lib/clock.js';
import type { CredentialsTable, Database } from '../schema.js';

export type CredentialRow = Selectable<CredentialsTable>;

/** Raw credential rows: ciphertext in, ciphertext out. Encryption lives in `src/auth/credential-store.ts`. */
export class CredentialRepository {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly clock: Clock,
  ) {}

  async get(tenantId: string): Promise<CredentialRow | undefined> {
    return this.db.selectFrom('credentials').selectAll().where('tenantId', '=', tenantId).executeTakeFirst();
  }

  async put(row: Omit<CredentialRow, 'updatedAt'>): Promise<void> {
    const values = { ...row, updatedAt: isoAt(this.clock) };
    const { tenantId: _id, ...update } = values;
    await this.db
      .insertInto('credentials')
      .values(values)
      .onConflict((oc) => oc.column('tenantId').doUpdateSet(update))
      .execute();
  }

  async listTenantIds(): Promise<string[]> {
    const rows = await this.db.selectFrom('credentials').select('tenantId').orderBy('tenantId').execute();
    return rows.map((r) => r.tenantId);
  }

  async remove(tenantId: string): Promise<void> {
    await this.db.deleteFrom('credentials').where('tenantId', '=', tenantId).execute();
  }
}
