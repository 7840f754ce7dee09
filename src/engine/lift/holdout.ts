import { createHash } from 'node:crypto';

/**
 * A record's place in [0, 1), from a hash of (tenant, object type, record id): the same record always draws the
 * same number, in every run and on both paths (full run, incremental rescoring), and the numbers of different
 * records are independent and uniform (the first 48 bits of SHA-256).
 */
export function holdoutDraw(tenantId: string, objectType: string, recordId: string): number {
  const digest = createHash('sha256').update(`holdout\u0000${tenantId}\u0000${objectType}\u0000${recordId}`).digest();
  return digest.readUIntBE(0, 6) / 2 ** 48;
}

/**
 * Whether a record is in the tenant's control group (gets no action and no task) at this holdout share. Raising
 * the share only adds records to the group; lowering it only takes records out.
 */
export function inHoldout(tenantId: string, objectType: string, recordId: string, share: number): boolean {
  return share > 0 && holdoutDraw(tenantId, objectType, recordId) < share;
}
