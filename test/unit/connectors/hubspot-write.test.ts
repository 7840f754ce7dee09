import { describe, expect, it } from '@jest/globals';
import { HubSpotApiError } from '../../../connectors/hubspot/client.js';
import {
  batchResults,
  invalidValueOf,
  refusalOf,
  settleBatch,
} from '../../../connectors/hubspot/write/batch-outcomes.js';
import { reconcile, TASK_KEY_SPEC, wantedProperties } from '../../../connectors/hubspot/write/provision.js';
import { taskProperties } from '../../../connectors/hubspot/write/tasks.js';
import { wireValue } from '../../../connectors/hubspot/write/wire-values.js';
import { OUTPUT_FIELDS } from '../../../src/domain/output-fields.js';
import type { WriteResult } from '../../../src/ports/crm-writer.js';

interface Item {
  key: string;
  id: string;
  values: Record<string, string>;
}

const items = (n: number, bad: Record<number, string> = {}): Item[] =>
  Array.from({ length: n }, (_, i) => ({
    key: `k${i}`,
    id: String(1000 + i),
    values: { crm_agent_segment: bad[i] ?? 'seg_a', crm_agent_churn_risk: '12' },
  }));

/**
 * HubSpot's whole-batch refusal as the real API words it: the invalid values as JSON inside the message, each value
 * unquoted ("reports was not one of the allowed options: [PRODUCT_ISSUE, …]", with `localizedErrorMessage`: the
 * body recorded from the real API in github.com/gregorspan/csc-frodx/issues/21). `quoted` gives the older test form.
 */
function realRefusal(invalid: Array<{ name: string; value: string }>, quoted = false): HubSpotApiError {
  const list = invalid.map((i) => {
    const message = `${quoted ? JSON.stringify(i.value) : i.value} was not one of the allowed options: [Loyal, New]`;
    return { isValid: false, message, error: 'INVALID_OPTION', name: i.name, localizedErrorMessage: message };
  });
  const body = {
    status: 'error',
    message: `Property values were not valid: ${JSON.stringify(list)}`,
    correlationId: 'c',
    category: 'VALIDATION_ERROR',
  };
  return new HubSpotApiError(
    'HubSpot answered 400',
    { crm: 'hubspot', status: 400, crmCode: 'VALIDATION_ERROR', retryable: false },
    body,
  );
}

/** A fake batch endpoint that refuses a batch holding any invalid value, naming only what `describe` says. */
function endpoint(invalid: (item: Item) => boolean, describe: (bad: Item[]) => HubSpotApiError) {
  const calls: number[] = [];
  const send = async (batch: readonly Item[]): Promise<WriteResult[]> => {
    calls.push(batch.length);
    const bad = batch.filter(invalid);
    if (bad.length > 0) throw describe(bad);
    return batch.map((i) => ({ key: i.key, ok: true }));
  };
  return { calls, send };
}

const inspect = { id: (i: Item) => i.id, values: (i: Item) => i.values };

describe('HubSpot batch outcomes', () => {
  it('a refusal naming the invalid value fails exactly the records holding it and writes the rest in one more call', async () => {
    const batch = items(100, { 7: 'gold', 42: 'gold', 60: 'silver' });
    const api = endpoint(
      (i) => i.values.crm_agent_segment !== 'seg_a',
      // Like HubSpot, it may name only the first invalid value it met.
      (bad) => realRefusal([{ name: 'crm_agent_segment', value: bad[0]!.values.crm_agent_segment! }]),
    );
    const results = await settleBatch(batch, api.send, inspect);
    expect(api.calls).toEqual([100, 98, 97]);
    const failed = results.filter((r) => !r.ok);
    expect(failed.map((r) => r.key).sort()).toEqual(['k42', 'k60', 'k7']);
    expect(failed[0]!.error).toEqual({
      code: 'INVALID_OPTION',
      message: 'gold was not one of the allowed options: [Loyal, New]',
      retryable: false,
    });
    expect(results.filter((r) => r.ok)).toHaveLength(97);
  });

  it('reads the invalid value from the exact real message (unquoted, with spaces) and from the quoted form alike', async () => {
    // HubSpot's words, from a real 400 recorded in a public repository's test (pd_program, "Japan Summer").
    expect(invalidValueOf('Japan Summer was not one of the allowed options: [Japan Spring, Bali Summer]')).toBe(
      'Japan Summer',
    );
    expect(invalidValueOf('Japan Summer was not one of the allowed options')).toBe('Japan Summer');
    expect(invalidValueOf('"Japan Summer" was not one of the allowed options: [Loyal]')).toBe('Japan Summer');
    expect(invalidValueOf('"a \\"b\\"" was not a valid number.')).toBe('a "b"');
    expect(invalidValueOf('Property "x" does not exist')).toBeUndefined();
    for (const quoted of [false, true]) {
      const batch = items(100, { 31: 'Japan Summer' });
      const api = endpoint(
        (i) => i.values.crm_agent_segment !== 'seg_a',
        (bad) => realRefusal([{ name: 'crm_agent_segment', value: bad[0]!.values.crm_agent_segment! }], quoted),
      );
      const results = await settleBatch(batch, api.send, inspect);
      // Singled out at once: the refused call and one more, no halving.
      expect(api.calls).toEqual([100, 99]);
      expect(results.filter((r) => !r.ok).map((r) => r.key)).toEqual(['k31']);
    }
  });

  it('a refusal naming no record and no value is settled by halving: one bad record among 100 costs a handful of calls', async () => {
    const batch = items(100, { 73: 'gold' });
    const api = endpoint(
      (i) => i.values.crm_agent_segment !== 'seg_a',
      () =>
        new HubSpotApiError(
          '400',
          { crm: 'hubspot', status: 400, crmCode: 'VALIDATION_ERROR', retryable: false },
          { status: 'error', message: 'Invalid input', category: 'VALIDATION_ERROR' },
        ),
    );
    const results = await settleBatch(batch, api.send, inspect);
    expect(results.filter((r) => !r.ok).map((r) => r.key)).toEqual(['k73']);
    expect(results.filter((r) => r.ok)).toHaveLength(99);
    expect(api.calls.length).toBeLessThanOrEqual(15);
  });

  it('a refusal that names a property narrows the halving to the records that hold it', async () => {
    const batch = items(100).map((i, k) =>
      k < 90
        ? { ...i, values: { crm_agent_churn_risk: '1' } }
        : { ...i, values: { ...i.values, crm_agent_segment: k === 95 ? 'x' : 'seg_a' } },
    );
    const api = endpoint(
      (i) => i.values.crm_agent_segment === 'x',
      () =>
        new HubSpotApiError(
          '400',
          { crm: 'hubspot', status: 400, retryable: false },
          {
            message: 'bad',
            errors: [
              { message: 'not allowed', code: 'INVALID_OPTION', context: { propertyName: ['crm_agent_segment'] } },
            ],
          },
        ),
    );
    const results = await settleBatch(batch, api.send, inspect);
    expect(results.filter((r) => !r.ok).map((r) => [r.key, r.error?.code])).toEqual([['k95', 'INVALID_OPTION']]);
    // The 90 records without the property went in one call, right after the refusal.
    expect(api.calls.slice(0, 2)).toEqual([100, 90]);
    expect(api.calls.length).toBeLessThanOrEqual(10);
  });

  it('other failures (auth, throttling, 5xx) are thrown: the batch as a whole could not be sent', async () => {
    const unavailable = new HubSpotApiError('503', { crm: 'hubspot', status: 503, retryable: true }, {});
    await expect(settleBatch(items(3), async () => Promise.reject(unavailable), inspect)).rejects.toBe(unavailable);
    expect(refusalOf(new Error('socket hang up'))).toBeUndefined();
  });

  it('maps a 207 to one outcome per input, by trace id or record id, with the most specific error code', () => {
    const batch = items(3);
    const results = batchResults(
      batch,
      {
        results: [{ id: '1000' }, { id: '555', objectWriteTraceId: 'k2' }],
        errors: [
          {
            category: 'OBJECT_NOT_FOUND',
            message: 'Object 1001 not found',
            context: { ids: ['1001'] },
            errors: [],
          },
        ],
      },
      { id: (i) => i.id, traceId: (i) => i.key },
    );
    expect(results).toEqual([
      { key: 'k0', ok: true, crmId: '1000' },
      { key: 'k2', ok: true, crmId: '555' },
      { key: 'k1', ok: false, error: { code: 'OBJECT_NOT_FOUND', message: 'Object 1001 not found', retryable: false } },
    ]);
  });
});

describe('HubSpot write values and definitions', () => {
  it('sends numbers as decimals, dates as midnight UTC in ms, datetimes as ISO, and empty to clear', () => {
    expect(wireValue('crm_agent_churn_risk', 37)).toBe('37');
    expect(wireValue('crm_agent_action_due', '2026-11-05')).toBe(String(Date.UTC(2026, 10, 5)));
    expect(wireValue('crm_agent_scored_at', '2026-11-01T08:00:00.000Z')).toBe('2026-11-01T08:00:00.000Z');
    expect(wireValue('crm_agent_top_reasons', null)).toBe('');
    expect(wireValue('crm_agent_segment', 'seg_a')).toBe('seg_a');
  });

  it("a task carries its key, HubSpot's priority and type, a due time at noon UTC, and its owner", () => {
    expect(
      taskProperties({
        key: 'deal:9:call-0',
        ownerId: '77',
        subject: 'Call Ann about Renewal',
        body: 'Stalled for 30 days',
        dueDate: '2026-11-05',
        priority: 'high',
        type: 'call',
        contactId: '1',
        dealId: '9',
      }),
    ).toEqual({
      crm_agent_task_key: 'deal:9:call-0',
      hs_task_subject: 'Call Ann about Renewal',
      hs_task_body: 'Stalled for 30 days',
      hs_timestamp: '2026-11-05T12:00:00.000Z',
      hs_task_priority: 'HIGH',
      hs_task_type: 'CALL',
      hs_task_status: 'NOT_STARTED',
      hubspot_owner_id: '77',
    });
  });

  it('wants each output field on its objects with HubSpot types; no segment property until there are segments', () => {
    const wanted = wantedProperties(OUTPUT_FIELDS, []);
    expect(wanted.get('tasks')).toEqual([TASK_KEY_SPEC]);
    expect(wanted.get('contacts')!.some((p) => p.name === 'crm_agent_segment')).toBe(false);
    const deals = new Map(
      wantedProperties(OUTPUT_FIELDS, [{ value: 'a', label: 'A' }])
        .get('deals')!
        .map((p) => [p.name, p]),
    );
    expect(deals.get('crm_agent_win_probability')).toMatchObject({ type: 'number', fieldType: 'number' });
    expect(deals.get('crm_agent_action_due')).toMatchObject({ type: 'date', fieldType: 'date' });
    expect(deals.get('crm_agent_scored_at')).toMatchObject({ type: 'datetime', fieldType: 'date' });
    expect(deals.get('crm_agent_next_best_action')!.options!.map((o) => o.value)).toContain('hand_to_success');
    expect(deals.has('crm_agent_segment')).toBe(false);
  });

  it('reconciles only what differs', () => {
    const spec = wantedProperties(OUTPUT_FIELDS, [])
      .get('deals')!
      .find((p) => p.name === 'crm_agent_churn_risk');
    expect(spec).toBeUndefined();
    const risk = wantedProperties(OUTPUT_FIELDS, [])
      .get('contacts')!
      .find((p) => p.name === 'crm_agent_churn_risk')!;
    const same = { ...risk, options: [] };
    expect(reconcile(risk, same)).toBeUndefined();
    expect(reconcile(risk, { ...same, label: 'Risk', groupName: 'contactinformation' })).toEqual({
      label: 'Churn risk',
      groupName: 'crm_agent',
    });
  });
});
