import { OUTPUT_FIELDS, type OutputField } from '../domain/output-fields.js';
import type { ObjectType } from '../domain/records.js';
import type { OwnWriteCandidate, OwnWriteCheck } from '../ports/crm-connector.js';
import type { Repositories } from '../store/repositories/index.js';
import { canonical } from '../writeback/plan-writes.js';

/**
 * How close to crm-agent's own write a record's modified time must be for the write to count as the change: from
 * this long before the ledger's time (the ledger is written after the CRM answered; a batch call, retries included,
 * takes less) to a little after it (the two clocks may differ by that much).
 */
export const OWN_WRITE_WINDOW = { beforeMs: 60_000, afterMs: 5_000 } as const;

/**
 * Recognises records whose only change since the local copy is crm-agent's own write-back, so an incremental sync
 * neither re-reads nor re-scores them. A candidate counts only when crm-agent wrote that record (the ledger's last
 * write time) within `OWN_WRITE_WINDOW` of the CRM's modified time, AND every value the stream could see equals the
 * local copy (which the sender brought up to date with what it wrote): crm-agent's own fields compared as crm-agent
 * writes them, every other field and property exactly. Anything else (a rep's edit before or after the write, in the
 * same second or not, a modified time away from any own write, a record the store lacks) is re-read.
 */
export function ownWriteCheck(
  repos: Pick<Repositories, 'records' | 'writeback'>,
  tenantId: string,
  /** The CRM's property name of each of crm-agent's fields (`CrmWriter.propertyName`). */
  propertyName: (field: OutputField) => string,
  window: { beforeMs: number; afterMs: number } = OWN_WRITE_WINDOW,
): OwnWriteCheck {
  const own = new Map(OUTPUT_FIELDS.map((f) => [propertyName(f), f]));
  return async (type: ObjectType, candidates: readonly OwnWriteCandidate[]) => {
    const found = new Set<string>();
    if (candidates.length === 0) return found;
    const writes = await repos.writeback.lastWrites(
      tenantId,
      type,
      candidates.map((c) => c.id),
    );
    const near = candidates.filter((c) => {
      const wrote = writes.get(c.id);
      if (wrote === undefined) return false;
      const delta = Date.parse(c.modifiedAt) - Date.parse(wrote);
      return delta >= -window.beforeMs && delta <= window.afterMs;
    });
    if (near.length === 0) return found;
    const local = await repos.records.getMany(
      tenantId,
      type,
      near.map((c) => c.id),
    );
    for (const candidate of near) {
      const held = local.get(candidate.id) as unknown as Record<string, unknown> | undefined;
      if (held && sameAsLocal(candidate.record, held, own)) found.add(candidate.id);
    }
    return found;
  };
}

/** Fields the CRM moves on every write, whoever makes it: never a reason to re-read. */
const MOVED_BY_EVERY_WRITE = new Set(['updatedAt']);

/** Whether every value the candidate carries equals the local copy's (crm-agent's own properties canonically). */
export function sameAsLocal(
  seen: OwnWriteCandidate['record'],
  held: Record<string, unknown>,
  own: ReadonlyMap<string, OutputField>,
): boolean {
  for (const [key, value] of Object.entries(seen)) {
    if (key === 'properties' || MOVED_BY_EVERY_WRITE.has(key)) continue;
    if (!sameValue(value, held[key])) return false;
  }
  const heldProperties = (held.properties ?? {}) as Record<string, string | null>;
  for (const [name, value] of Object.entries(seen.properties ?? {})) {
    const field = own.get(name);
    const local = heldProperties[name];
    if (field) {
      if (canonical(field, value) !== canonical(field, local)) return false;
    } else if ((value ?? null) !== (local ?? null)) {
      return false;
    }
  }
  return true;
}

function sameValue(a: unknown, b: unknown): boolean {
  const x = a ?? null;
  const y = b ?? null;
  if (x === y) return true;
  if (typeof x === 'number' && typeof y === 'number') return Number.isNaN(x) && Number.isNaN(y);
  if (typeof x === 'object' && typeof y === 'object' && x !== null && y !== null)
    return JSON.stringify(x) === JSON.stringify(y);
  return false;
}
