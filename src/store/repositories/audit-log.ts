import { createHash } from 'node:crypto';
import { type Kysely, sql } from 'kysely';
import { type Clock, isoAt } from '../../lib/clock.js';
import type { Database } from '../schema.js';
import type { StoreDialect } from '../store-dialect.js';
import { fromJson, toJson } from './json.js';

export interface AuditEntry {
  id: number;
  at: string;
  tenantId: string | null;
  /** Who did it: `admin:<user>`, `system`, `crm:<hub or org id>`. */
  actor: string;
  /** What happened: `tenant.installed`, `token.refresh_failed`, `writeback.batch`, … */
  action: string;
  detail: Record<string, unknown>;
}

const GENESIS = '0'.repeat(64);

/**
 * The append-only audit log. Triggers in the schema refuse UPDATE and DELETE; each row also carries a
 * SHA-256 chained over the previous row of the same tenant (system rows form their own chain), so
 * `verify()` finds any row that was altered or removed, and purging a tenant removes exactly one chain.
 */
export class AuditLogRepository {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly clock: Clock,
    private readonly dialect: StoreDialect,
  ) {}

  async append(entry: Omit<AuditEntry, 'id' | 'at'>): Promise<void> {
    const write = async (tx: Kysely<Database>) => {
      // Serialise appends to one chain so it never forks (SQLite already runs one writer at a time).
      if (this.dialect === 'postgres') {
        await sql`select pg_advisory_xact_lock(hashtext(${`audit_log:${entry.tenantId ?? ''}`}))`.execute(tx);
      }
      const last = await tx
        .selectFrom('auditLog')
        .select('hash')
        .where('tenantId', entry.tenantId === null ? 'is' : '=', entry.tenantId)
        .orderBy('id', 'desc')
        .limit(1)
        .executeTakeFirst();
      const prevHash = last?.hash ?? GENESIS;
      const row = {
        at: isoAt(this.clock),
        tenantId: entry.tenantId,
        actor: entry.actor,
        action: entry.action,
        detail: toJson(entry.detail),
      };
      await tx
        .insertInto('auditLog')
        .values({ ...row, prevHash, hash: chainHash(prevHash, row) })
        .execute();
    };
    if (this.db.isTransaction) await write(this.db);
    else await this.db.transaction().execute(write);
  }

  async list(options: { tenantId?: string; limit?: number } = {}): Promise<AuditEntry[]> {
    let query = this.db.selectFrom('auditLog').select(['id', 'at', 'tenantId', 'actor', 'action', 'detail']);
    if (options.tenantId !== undefined) query = query.where('tenantId', '=', options.tenantId);
    const rows = await query
      .orderBy('id', 'desc')
      .limit(options.limit ?? 100)
      .execute();
    return rows.map((r) => ({ ...r, id: Number(r.id), detail: fromJson(r.detail, {}) }));
  }

  /** Walks every chain; returns the id of the first row that does not follow from its predecessor, or null. */
  async verify(): Promise<number | null> {
    const rows = await this.db.selectFrom('auditLog').selectAll().orderBy('id').execute();
    const heads = new Map<string | null, string>();
    // A chain that retention cut starts from its anchor: the hash of the last row removed.
    const anchors = await this.db.selectFrom('auditLogAnchors').selectAll().execute();
    const cut = new Map(anchors.map((a) => [a.tenantId, Number(a.throughId)]));
    for (const a of anchors) heads.set(a.tenantId, a.headHash);
    for (const r of rows) {
      if (Number(r.id) <= (cut.get(r.tenantId) ?? 0)) return Number(r.id);
      const prev = heads.get(r.tenantId) ?? GENESIS;
      const expected = chainHash(prev, {
        at: r.at,
        tenantId: r.tenantId,
        actor: r.actor,
        action: r.action,
        detail: r.detail,
      });
      if (r.prevHash !== prev || r.hash !== expected) return Number(r.id);
      heads.set(r.tenantId, r.hash);
    }
    return null;
  }

  /**
   * Removes rows written before `before`, chain by chain: first the chain's anchor records the hash of the last row
   * removed (the schema's trigger allows DELETE only up to it), so `verify()` still checks every row that remains.
   * Returns how many rows (were or would be) removed.
   */
  async prune(options: { tenantId?: string | undefined; before: string; dryRun: boolean }): Promise<number> {
    let query = this.db
      .selectFrom('auditLog')
      .select(['tenantId', (eb) => eb.fn.max('id').as('throughId'), (eb) => eb.fn.countAll<number>().as('n')])
      .where('at', '<', options.before)
      .groupBy('tenantId');
    if (options.tenantId !== undefined) query = query.where('tenantId', '=', options.tenantId);
    const chains = await query.execute();
    let removed = 0;
    for (const chain of chains) {
      const throughId = Number(chain.throughId);
      if (options.dryRun) {
        removed += Number(chain.n);
        continue;
      }
      const prune = async (tx: Kysely<Database>) => {
        if (this.dialect === 'postgres') {
          await sql`select pg_advisory_xact_lock(hashtext(${`audit_log:${chain.tenantId ?? ''}`}))`.execute(tx);
        }
        const last = await tx.selectFrom('auditLog').select('hash').where('id', '=', throughId).executeTakeFirst();
        if (!last) return 0;
        const anchor = { tenantId: chain.tenantId, throughId, headHash: last.hash, prunedAt: isoAt(this.clock) };
        await tx
          .insertInto('auditLogAnchors')
          .values({ chain: chain.tenantId ?? '', ...anchor })
          .onConflict((oc) => oc.column('chain').doUpdateSet(anchor))
          .execute();
        const result = await tx
          .deleteFrom('auditLog')
          .where('tenantId', chain.tenantId === null ? 'is' : '=', chain.tenantId)
          .where('id', '<=', throughId)
          .executeTakeFirst();
        return Number(result.numDeletedRows);
      };
      removed += this.db.isTransaction ? await prune(this.db) : await this.db.transaction().execute(prune);
    }
    return removed;
  }
}

function chainHash(
  prevHash: string,
  row: { at: string; tenantId: string | null; actor: string; action: string; detail: string },
): string {
  return createHash('sha256')
    .update(JSON.stringify([prevHash, row.at, row.tenantId, row.actor, row.action, row.detail]))
    .digest('hex');
}
