import { CrmApiError } from '../../../src/lib/errors.js';
import type { SalesforceClient } from '../client.js';
import { parseSaveResults, type SaveResult } from './save-results.js';

/** Records per sObject Collections request (Salesforce's limit). */
export const COLLECTION_SIZE = 200;

export type SfRecordInput = Record<string, unknown> & { attributes: { type: string } };

/**
 * One sObject Collections call (`allOrNone: false`: each record stands alone) → a save result per record. A request
 * Salesforce refuses as a whole with a 400 (a value it cannot deserialize) becomes that error for each record, so
 * one bad batch never blocks the outbox; auth, limits, 5xx and network failures still throw (the batch as a whole
 * failed, and is sent again later). `idempotent`: the call may be repeated after an ambiguous failure (an update
 * with the same values, an upsert by external id); a create is not.
 */
export async function saveCollection(
  client: SalesforceClient,
  request: { method: 'POST' | 'PATCH'; path: string; records: SfRecordInput[]; idempotent: boolean },
): Promise<SaveResult[]> {
  if (request.records.length === 0) return [];
  if (request.records.length > COLLECTION_SIZE) {
    throw new Error(`an sObject Collections call takes at most ${COLLECTION_SIZE} records`);
  }
  try {
    const body = await client.json({
      method: request.method,
      url: client.dataPath(request.path),
      body: JSON.stringify({ allOrNone: false, records: request.records }),
      headers: { 'content-type': 'application/json' },
      idempotent: request.idempotent,
    });
    return parseSaveResults(body, request.records.length);
  } catch (error) {
    if (!(error instanceof CrmApiError) || error.details.status !== 400) throw error;
    const statusCode = error.details.crmCode ?? 'BAD_REQUEST';
    return request.records.map(() => ({ success: false, errors: [{ statusCode, message: error.message }] }));
  }
}
