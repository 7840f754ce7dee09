import type { FieldUpdate, WritableObject, WriteResult } from '../../../src/ports/crm-writer.js';
import type { HubSpotClient } from '../client.js';
import { BatchWrite } from '../schemas.js';
import { batchResults, settleBatch } from './batch-outcomes.js';
import { wireValues } from './wire-values.js';

export const API_TYPE: Record<WritableObject, string> = { contact: 'contacts', company: 'companies', deal: 'deals' };
/** HubSpot's batch endpoints take at most 100 inputs. */
export const BATCH_LIMIT = 100;

interface Prepared {
  key: string;
  recordId: string;
  properties: Record<string, string>;
}

/**
 * Writes crm-agent's fields with `POST /crm/v3/objects/{type}/batch/update`, one call per object type and 100
 * records. A 207 gives each record its outcome; a batch HubSpot refuses as a whole for an invalid value is settled
 * record by record (see settleBatch). Repeating an update writes the same values, so a lost answer is retried.
 */
export async function writeFields(client: HubSpotClient, updates: readonly FieldUpdate[]): Promise<WriteResult[]> {
  const out: WriteResult[] = [];
  for (const objectType of new Set(updates.map((u) => u.objectType))) {
    const ofType = updates.filter((u) => u.objectType === objectType);
    for (let i = 0; i < ofType.length; i += BATCH_LIMIT) {
      const chunk = ofType.slice(i, i + BATCH_LIMIT);
      out.push(...(await writeChunk(client, API_TYPE[objectType], chunk)));
    }
  }
  return out;
}

async function writeChunk(client: HubSpotClient, apiType: string, chunk: readonly FieldUpdate[]) {
  // HubSpot refuses a batch naming one record twice: two updates of a record go as one, answered for both.
  const merged = new Map<string, Prepared & { keys: string[] }>();
  for (const u of chunk) {
    const existing = merged.get(u.recordId);
    const properties = { ...existing?.properties, ...wireValues(u.values) };
    merged.set(u.recordId, {
      key: u.recordId,
      recordId: u.recordId,
      properties,
      keys: [...(existing?.keys ?? []), u.key],
    });
  }
  const results = await settleBatch(
    [...merged.values()],
    async (items) => {
      const answer = await client.request(
        {
          method: 'POST',
          path: `/crm/v3/objects/${apiType}/batch/update`,
          body: { inputs: items.map((i) => ({ id: i.recordId, properties: i.properties })) },
          budget: 'burst',
          // The same values again change nothing: safe to repeat after a lost answer.
          idempotent: true,
        },
        BatchWrite,
      );
      return batchResults(items, answer, { id: (i) => i.recordId });
    },
    { id: (i) => i.recordId, values: (i) => i.properties },
  );
  const byRecord = new Map(results.map((r) => [r.key, r]));
  return [...merged.values()].flatMap((m) => {
    const result = byRecord.get(m.recordId);
    return result ? m.keys.map((key) => ({ ...result, key })) : [];
  });
}
