import type { Kysely } from 'kysely';
import type { TenantStatus } from '../../domain/tenant.js';
import { type Clock, isoAt } from '../../lib/clock.js';
import type { Database } from '../schema.js';
import { chunk } from './chunk.js';

/**
 * Tenants a session may still see: installed ones, also while waiting for a reinstall (`needs_reauth`: the
 * dashboard shows the admin how). Uninstalled (`disabled`), `purging` and purged tenants drop out.
 */
export const SIGNED_IN_STATUSES: readonly TenantStatus[] = ['active', 'needs_reauth'];

export interface AdminSession {
  /** The tenants this browser installed (an admin may install several CRM accounts) and may still see. */
  tenantIds: string[];
  /** Tenants the session was granted that are no longer installed (uninstalled, disabled, purging, purged). */
  revokedTenantIds: string[];
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

  /** The unexpired session, with each granted tenant sorted into still installed or revoked. */
  async get(idHash: string): Promise<AdminSession | undefined> {
    const rows = await this.db
      .selectFrom('adminSessions')
      .leftJoin('tenants', 'tenants.id', 'adminSessions.tenantId')
      .select([
        'adminSessions.tenantId',
        'adminSessions.csrfToken',
        'adminSessions.expiresAt',
        'tenants.status as tenantStatus',
      ])
      .where('adminSessions.idHash', '=', idHash)
      .where('adminSessions.expiresAt', '>', isoAt(this.clock))
      .orderBy('adminSessions.createdAt')
      .orderBy('adminSessions.tenantId')
      .execute();
    if (rows.length === 0) return undefined;
    const installed = (r: (typeof rows)[number]) =>
      r.tenantStatus != null && SIGNED_IN_STATUSES.includes(r.tenantStatus as TenantStatus);
    return {
      tenantIds: rows.filter(installed).map((r) => r.tenantId),
      revokedTenantIds: rows.filter((r) => !installed(r)).map((r) => r.tenantId),
      csrfToken: rows[0]!.csrfToken,
      expiresAt: rows[0]!.expiresAt,
    };
  }

  /**
   * Moves the unexpired grants of a session to a new id and CSRF token (a sign-in must never keep an id the browser
   * brought with it); the old id is gone afterwards. Returns how many grants moved.
   */
  async renew(oldIdHash: string, newIdHash: string, csrfToken: string, expiresAt: string): Promise<number> {
    const moved = await this.db
      .updateTable('adminSessions')
      .set({ idHash: newIdHash, csrfToken, expiresAt })
      .where('idHash', '=', oldIdHash)
      .where('expiresAt', '>', isoAt(this.clock))
      .executeTakeFirst();
    await this.remove(oldIdHash);
    return Number(moved.numUpdatedRows);
  }

  /** Takes tenants out of a session (their app access was revoked). */
  async revoke(idHash: string, tenantIds: readonly string[]): Promise<void> {
    for (const part of chunk([...new Set(tenantIds)])) {
      await this.db.deleteFrom('adminSessions').where('idHash', '=', idHash).where('tenantId', 'in', part).execute();
    }
  }

  /** Ends a session (sign-out). */
  async remove(idHash: string): Promise<void> {
    await this.db.deleteFrom('adminSessions').where('idHash', '=', idHash).execute();
  }
}
