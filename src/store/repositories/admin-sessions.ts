import type { Kysely } from 'kysely';
import { type Clock, isoAt } from '../../lib/clock.js';
import type { Database } from '../schema.js';

export interface AdminSession {
  /** The tenants this browser installed (an admin may install several CRM accounts). */
  tenantIds: string[];
  csrfToken: string;
  expiresAt: string;
}

/** Dashboard sessions, looked up by the hash of the cookie's random id (the id itself is never stored). */
export class AdminSessionRepository {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly clock: Clock,
  ) {}

  /** Lets the session see `tenantId` (creating the session with its first tenant). */
  async grant(idHash: string, tenantId: string, csrfToken: string, expiresAt: string): Promise<void> {
    await this.db
      .insertInto('adminSessions')
      .values({ idHash, tenantId, csrfToken, expiresAt, createdAt: isoAt(this.clock) })
      .onConflict((oc) => oc.columns(['idHash', 'tenantId']).doUpdateSet({ expiresAt }))
      .execute();
  }

  async get(idHash: string): Promise<AdminSession | undefined> {
    const rows = await this.db
      .selectFrom('adminSessions')
      .select(['tenantId', 'csrfToken', 'expiresAt'])
      .where('idHash', '=', idHash)
      .where('expiresAt', '>', isoAt(this.clock))
      .orderBy('createdAt')
      .execute();
    if (rows.length === 0) return undefined;
    return { tenantIds: rows.map((r) => r.tenantId), csrfToken: rows[0]!.csrfToken, expiresAt: rows[0]!.expiresAt };
  }

  async remove(idHash: string): Promise<void> {
    await this.db.deleteFrom('adminSessions').where('idHash', '=', idHash).execute();
  }
}
