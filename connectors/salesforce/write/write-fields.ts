import { OUTPUT_FIELDS } from '../../../src/domain/output-fields.js';
import type { Clock } from '../../../src/lib/clock.js';
import type { FieldUpdate, WriteResult } from '../../../src/ports/crm-writer.js';
import type { SalesforceClient } from '../client.js';
import { bulkUpdate, type SfUpdate } from './bulk-update.js';
import { COLLECTION_SIZE, type SfRecordInput, saveCollection } from './collections.js';
import { salesforceValue } from './custom-fields.js';
import { toWriteResult } from './save-results.js';
import { sobjectOf } from './sobjects.js';

export type { SfUpdate } from './bulk-update.js';

const FIELDS = new Map(OUTPUT_FIELDS.map((f) => [f.name, f]));

export function toSfUpdate(update: FieldUpdate): SfUpdate | WriteResult {
  const sobject = sobjectOf(update.objectType, update.recordId);
  if (!sobject) {
    return {
      key: update.key,
      ok: false,
      error: {
        code: 'MALFORMED_ID',
        message: `${update.recordId} is not the id of a ${update.objectType}`,
        retryable: false,
      },
    };
  }
  const values: Record<string, string | number | null> = {};
  for (const [name, value] of Object.entries(update.values)) {
    const field = FIELDS.get(name);
    if (field) values[field.apiName] = salesforceValue(field, value);
  }
  return { key: update.key, sobject, id: update.recordId, values };
}

/** Rows from which a Bulk API job (create, upload, close, poll, results: 5 calls) costs no more than collections. */
const BULK_PAYS_FROM = 1000;

/**
 * Writes crm-agent's fields: up to 200 records (of any of the written sObjects) in one sObject Collections update
 * (PATCH /composite/sobjects, allOrNone false, per-record outcomes). A larger batch (the sender passes one only
 * above the tenant's bulk threshold) goes through a Bulk API 2.0 update job per sObject with more rows than the
 * threshold (or than a job needs to pay off); the few rows of other sObjects go in collections. Repeating an update writes the same values again,
 * so every path is safe to send again after an ambiguous failure.
 */
export async function writeFields(
  deps: { client: SalesforceClient; clock: Clock; bulkThreshold: number },
  updates: FieldUpdate[],
): Promise<WriteResult[]> {
  const results: WriteResult[] = [];
  const ready: SfUpdate[] = [];
  for (const update of updates) {
    const converted = toSfUpdate(update);
    if ('sobject' in converted) ready.push(converted);
    else results.push(converted);
  }
  if (ready.length <= COLLECTION_SIZE) return [...results, ...(await collection(deps.client, ready))];
  const bySobject = new Map<string, SfUpdate[]>();
  for (const u of ready) bySobject.set(u.sobject, [...(bySobject.get(u.sobject) ?? []), u]);
  const small: SfUpdate[] = [];
  for (const [sobject, rows] of bySobject) {
    if (rows.length > Math.min(deps.bulkThreshold, BULK_PAYS_FROM)) {
      results.push(...(await bulkUpdate(deps, sobject, rows)));
    } else small.push(...rows);
  }
  for (let i = 0; i < small.length; i += COLLECTION_SIZE) {
    results.push(...(await collection(deps.client, small.slice(i, i + COLLECTION_SIZE))));
  }
  return results;
}

/** One sObject Collections update of up to 200 records, of any sObjects. */
async function collection(client: SalesforceClient, updates: SfUpdate[]): Promise<WriteResult[]> {
  // Salesforce saves each run of one sObject in a call as a chunk (at most 10 per call): send them grouped by type.
  const sorted = [...updates].sort((a, b) => (a.sobject < b.sobject ? -1 : a.sobject > b.sobject ? 1 : 0));
  const saved = await saveCollection(client, {
    method: 'PATCH',
    path: '/composite/sobjects',
    records: sorted.map((u): SfRecordInput => ({ attributes: { type: u.sobject }, Id: u.id, ...u.values })),
    idempotent: true,
  });
  return sorted.map((u, i) => toWriteResult(u.key, saved[i]!));
}
