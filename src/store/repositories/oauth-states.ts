import type { Kysely } from 'kysely';
import { type Clock, isoAt } from '../../lib/clock.js';
import type { Database } from '../schema.js';

export interface PendingInstall {
  state: string;
  crm: string;
  browserHash: string;
  codeVerifier: string;
}

/** Pending OAuth installs. `consume` marks one used in the same statement that reads it: a state works once. */
export class OAuthStateRepository {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly clock: Clock,
  ) {}

  async add(pending: PendingInstall, ttlMs: number): Promise<void> {
    const now = this.clock.now();
    await this.db
      .insertInto('oauthStates')
      .values({
        ...pending,
        createdAt: new Date(now).toISOString(),
        expiresAt: new Date(now + ttlMs).toISOString(),
        usedAt: null,
      })
      .execute();
    // Expired rows are kept a day for diagnosis, then dropped.
    await this.db
      .deleteFrom('oauthStates')
      .where('expiresAt', '<', new Date(now - 86_400_000).toISOString())
      .execute();
  }

  /** The pending install if `state` exists, is unused and unexpired; it is used from then on. */
  async consume(state: string): Promise<PendingInstall | undefined> {
    const now = isoAt(this.clock);
    const row = await this.db
      .updateTable('oauthStates')
      .set({ usedAt: now })
      .where('state', '=', state)
      .where('usedAt', 'is', null)
      .where('expiresAt', '>', now)
      .returning(['state', 'crm', 'browserHash', 'codeVerifier'])
      .executeTakeFirst();
    return row;
  }
}
