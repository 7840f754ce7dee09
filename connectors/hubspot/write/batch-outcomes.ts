import type { WriteResult } from '../../../src/ports/crm-writer.js';
import { HubSpotApiError } from '../client.js';
import { BatchError, type BatchWrite } from '../schemas.js';

type RecordError = NonNullable<WriteResult['error']>;

/** Categories where sending the same input again cannot help (the input or the record is wrong, not the moment). */
const FINAL = new Set([
  'VALIDATION_ERROR',
  'OBJECT_NOT_FOUND',
  'MISSING_SCOPES',
  'INVALID_OPTION',
  'PROPERTY_DOESNT_EXIST',
]);

/** A failed batch input as a record's error: HubSpot's most specific code, its message, and whether to retry. */
export function recordError(entry: BatchError): RecordError {
  const category = entry.category ?? entry.status ?? 'ERROR';
  const detail = entry.errors?.find((e) => e.code);
  return {
    code: detail?.code ?? category,
    message: entry.message ?? detail?.message ?? 'HubSpot refused this record',
    retryable: !FINAL.has(category),
  };
}

/**
 * Maps a batch write's answer (200/201/207) to one result per input: a written record by its trace id or record id,
 * a failed input by the ids or trace ids its error's `context` names. An input HubSpot said nothing about is left
 * out (the sender retries it as "no result").
 */
export function batchResults<T extends { key: string }>(
  items: readonly T[],
  answer: BatchWrite,
  match: {
    id: (item: T) => string;
    traceId?: (item: T) => string;
    resultKey?: (result: BatchWrite['results'][number]) => string | undefined;
  },
): WriteResult[] {
  const byId = new Map<string, T[]>();
  const byTrace = new Map<string, T>();
  for (const item of items) {
    byId.set(match.id(item), [...(byId.get(match.id(item)) ?? []), item]);
    if (match.traceId) byTrace.set(match.traceId(item), item);
  }
  const out = new Map<string, WriteResult>();
  for (const result of answer.results) {
    const traced = result.objectWriteTraceId === undefined ? undefined : byTrace.get(result.objectWriteTraceId);
    const keyed = match.resultKey?.(result);
    const found = traced ? [traced] : (byId.get(keyed ?? result.id) ?? []);
    for (const item of found) out.set(item.key, { key: item.key, ok: true, crmId: result.id });
  }
  for (const entry of answer.errors ?? []) {
    const named = [
      ...(entry.context?.objectWriteTraceId ?? []).flatMap((t) => {
        const item = byTrace.get(t);
        return item ? [item] : [];
      }),
      ...(entry.context?.ids ?? []).flatMap((id) => byId.get(id) ?? []),
    ];
    for (const item of named)
      if (!out.has(item.key)) out.set(item.key, { key: item.key, ok: false, error: recordError(entry) });
  }
  return [...out.values()];
}

/** What a refused batch says about its inputs: ids it names, and the (property, value) pairs it found invalid. */
export interface Refusal {
  ids: Set<string>;
  invalid: Array<{ property: string; value: string | undefined; error: RecordError }>;
}

/**
 * Whether a thrown error is HubSpot refusing the batch's input as a whole (400 VALIDATION_ERROR): HubSpot answers a
 * batch update with one invalid value this way, without saying which record held it. The refusal is read for what
 * it does say: the ids in its `context`, and each invalid property with its value, from `errors[].context` or from
 * the JSON list in the message (`Property values were not valid: [{"isValid":false,"message":"x was not one of the
 * allowed options: […]","error":"INVALID_OPTION","name":…}]`).
 */
export function refusalOf(error: unknown): Refusal | undefined {
  if (!(error instanceof HubSpotApiError) || error.details.status !== 400) return undefined;
  const parsed = BatchError.safeParse(error.body);
  const body = parsed.success ? parsed.data : {};
  const refusal: Refusal = { ids: new Set(body.context?.ids ?? []), invalid: [] };
  const listed = /Property values were not valid: (\[.*\])\s*$/s.exec(body.message ?? '')?.[1];
  if (listed) {
    try {
      for (const raw of JSON.parse(listed) as unknown[]) {
        const e = raw as { name?: unknown; error?: unknown; message?: unknown };
        if (typeof e.name !== 'string') continue;
        const message = typeof e.message === 'string' ? e.message : 'invalid value';
        refusal.invalid.push({
          property: e.name,
          value: invalidValueOf(message),
          error: { code: typeof e.error === 'string' ? e.error : 'VALIDATION_ERROR', message, retryable: false },
        });
      }
    } catch {
      // Not the JSON list after all: fall back to errors[] below.
    }
  }
  if (refusal.invalid.length === 0) {
    for (const e of body.errors ?? []) {
      for (const property of e.context?.propertyName ?? []) {
        const message = e.message ?? 'invalid value';
        refusal.invalid.push({
          property,
          value: invalidValueOf(message),
          error: { code: e.code ?? 'VALIDATION_ERROR', message, retryable: false },
        });
      }
    }
  }
  return refusal;
}

/**
 * The invalid value an error message names first. HubSpot writes it unquoted ("Japan Summer was not one of the
 * allowed options: [...]", as recorded from the real API in gregorspan/csc-frodx#21 and gitcoinco/code_fund_ads#479
 * on GitHub); a quoted form (`"gold" was not one of the allowed options`) is read too.
 */
export function invalidValueOf(message: string): string | undefined {
  const named =
    /^(.*?) was not one of the allowed options\b/s.exec(message)?.[1] ?? /^("(?:[^"\\]|\\.)*") /.exec(message)?.[1];
  if (named === undefined || !/^"(?:[^"\\]|\\.)*"$/.test(named)) return named;
  try {
    return JSON.parse(named) as string;
  } catch {
    return named;
  }
}

/**
 * Sends a batch and, when HubSpot refuses it as a whole for invalid input, finds the inputs at fault and sends the
 * rest again: inputs the refusal names (by id, or by holding the exact invalid value) fail with HubSpot's error; when
 * it names only properties, the inputs holding them are halved until each failing input stands alone. Each round
 * sends fewer inputs, so a batch of n costs at most 2n − 1 calls and one bad record among good ones a handful.
 * Other failures (auth, throttling past its retries, 5xx) are thrown: the batch as a whole could not be sent now.
 */
export async function settleBatch<T extends { key: string }>(
  items: readonly T[],
  send: (items: readonly T[]) => Promise<WriteResult[]>,
  inspect: { id: (item: T) => string; values: (item: T) => Record<string, string> },
): Promise<WriteResult[]> {
  if (items.length === 0) return [];
  try {
    return await send(items);
  } catch (error) {
    const refusal = refusalOf(error);
    if (!refusal) throw error;
    const failed = new Map<string, RecordError>();
    const suspects: T[] = [];
    for (const item of items) {
      const values = inspect.values(item);
      const exact = refusal.invalid.find((i) => i.value !== undefined && values[i.property] === i.value);
      if (refusal.ids.has(inspect.id(item))) failed.set(item.key, exact?.error ?? refusalError(error));
      else if (exact) failed.set(item.key, exact.error);
      else if (refusal.invalid.some((i) => i.property in values)) suspects.push(item);
    }
    if (failed.size === 0 && items.length === 1) {
      const held = inspect.values(items[0]!);
      failed.set(items[0]!.key, refusal.invalid.find((i) => i.property in held)?.error ?? refusalError(error));
    }
    const rejected = [...failed].map(([key, e]): WriteResult => ({ key, ok: false, error: e }));
    const rest = items.filter((i) => !failed.has(i.key));
    if (rest.length === 0) return rejected;
    if (failed.size > 0) return [...rejected, ...(await settleBatch(rest, send, inspect))];
    // Nothing named for sure: halve (the suspects, when the refusal narrowed it to some of the inputs).
    const narrowed = suspects.length > 0 && suspects.length < rest.length;
    const parts = narrowed ? [rest.filter((i) => !suspects.includes(i)), ...halves(suspects)] : halves(rest);
    const out: WriteResult[] = [];
    for (const part of parts) out.push(...(await settleBatch(part, send, inspect)));
    return out;
  }
}

function halves<T>(items: readonly T[]): T[][] {
  const middle = Math.ceil(items.length / 2);
  return [items.slice(0, middle), items.slice(middle)].filter((p) => p.length > 0);
}

function refusalError(error: unknown): RecordError {
  const e = error as HubSpotApiError;
  return {
    code: e.details.crmCode ?? 'VALIDATION_ERROR',
    message: e.body.message ?? e.message,
    retryable: false,
  };
}
