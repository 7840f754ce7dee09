import { OUTPUT_FIELDS } from '../../../src/domain/output-fields.js';
import type { Clock } from '../../../src/lib/clock.js';
import type { FieldUpdate, WriteResult } from '../../../src/ports/crm-writer.js';
import type { SalesforceClient } from '../client.js';
import { bulkUpdate } from './bulk-update.js';
import { COLLECTION_SIZE, type SfRecordInput, saveCollection } from './collections.js';
import { salesforceValue } from './custom-fields.js';
import { toWriteResult } from './save-results.js';
import { sobjectOf } from './sobjects.js';

const FIELDS = new Map(OUTPUT_FIELDS.map((f) => [f.name, f]));

/** One update as the record Salesforce takes: its sObject, Id, and crm-agent's values under their API names. */
export interface SfUpdate {
  key: string;
  sobject: string;
  id: string;
  values: Record<string, string | number | null>;
}

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

/**
 * Writes crm-agent's fields: up to 200 records in one sObject Collections update (PATCH /composite/sobjects,
 * allOrNone false, per-record outcomes), more through Bulk API 2.0 update jobs, one per sObject. Repeating an
 * update writes the same values again, so both are safe to send again after an ambiguous failure.
 */
export async function writeFields(
  deps: { client: SalesforceClient; clock: Clock },
  updates: FieldUpdate[],
): Promise<WriteResult[]> {
  const results: WriteResult[] = [];
  const ready: SfUpdate[] = [];
  for (const update of updates) {
    const converted = toSfUpdate(update);
    if ('sobject' in converted) ready.push(converted);
    else results.push(converted);
  }
  if (ready.length > COLLECTION_SIZE) {
    for (const sobject of new Set(ready.map((u) => u.sobject))) {
      results.push(
        ...(await bulkUpdate(
          deps,
          sobject,
          ready.filter((u) => u.sobject === sobject),
        )),
      );
    }
    return results;
  }
  const records: SfRecordInput[] = ready.map((u) => ({ attributes: { type: u.sobject }, Id: u.id, ...u.values }));
  const saved = await saveCollection(deps.client, {
    method: 'PATCH',
    path: '/composite/sobjects',
    records,
    idempotent: true,
  });
  ready.forEach((u, i) => {
    results.push(toWriteResult(u.key, saved[i]!));
  });
  return results;
}
