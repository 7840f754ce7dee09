import { z } from 'zod';
import { CrmApiError } from '../../../src/lib/errors.js';
import type { WriteResult } from '../../../src/ports/crm-writer.js';

const saveResultsSchema = z.array(
  z.looseObject({
    id: z.string().nullish(),
    success: z.boolean(),
    errors: z
      .array(
        z.looseObject({
          statusCode: z.string(),
          message: z.string().optional(),
          fields: z.array(z.string()).optional(),
        }),
      )
      .default([]),
    created: z.boolean().optional(),
  }),
);
export type SaveResult = z.infer<typeof saveResultsSchema>[number];

/**
 * Per-record errors that can pass when sent again later (another transaction held the row, the org was busy);
 * every other code (validation rules, restricted picklists, deleted records, field-level security) fails the same
 * way every time and is stored, not retried.
 */
const RETRYABLE = new Set([
  'UNABLE_TO_LOCK_ROW',
  'ALL_OR_NONE_OPERATION_ROLLED_BACK',
  'SERVER_UNAVAILABLE',
  'REQUEST_RUNNING_TOO_LONG',
  'QUERY_TIMEOUT',
  'UNKNOWN_EXCEPTION',
  'BULK_UNPROCESSED',
]);

/** Codes that come with a successful save: a platform event accepted for publishing. */
const INFORMATIONAL = new Set(['OPERATION_ENQUEUED']);

export function recordError(code: string, message: string): NonNullable<WriteResult['error']> {
  return { code, message: message.slice(0, 500), retryable: RETRYABLE.has(code) };
}

/**
 * The results of an sObject Collections call, one per record in the order sent. Salesforce answers 200 with
 * `success: false` inside for records it refused: each is read on its own.
 */
export function parseSaveResults(body: unknown, sent: number): SaveResult[] {
  const parsed = saveResultsSchema.safeParse(body);
  if (!parsed.success || parsed.data.length !== sent) {
    throw new CrmApiError(
      `Salesforce answered a collection of ${sent} records with ${parsed.success ? `${parsed.data.length} results` : 'an unexpected shape'}`,
      { crm: 'salesforce', status: 200, retryable: true },
    );
  }
  return parsed.data;
}

/** One record's save result as write-back's outcome. */
export function toWriteResult(key: string, result: SaveResult): WriteResult {
  if (result.success) return { key, ok: true, ...(result.id ? { crmId: result.id } : {}) };
  const error = result.errors.find((e) => !INFORMATIONAL.has(e.statusCode));
  const fields = error?.fields?.length ? ` (${error.fields.join(', ')})` : '';
  return {
    key,
    ok: false,
    error: recordError(error?.statusCode ?? 'UNKNOWN', `${error?.message ?? 'refused without a reason'}${fields}`),
  };
}
