import type { WriteResult } from '../../../src/ports/crm-writer.js';
import { HubSpotApiError, type HubSpotClient } from '../client.js';
import { BATCH_LIMIT } from './write-fields.js';

export interface CallbackCompletion {
  key: string;
  callbackId: string;
  outputFields: Record<string, string | number>;
}

/**
 * Finishes workflow executions crm-agent answered BLOCK: `POST /automation/v4/actions/callbacks/complete`, 100 a call,
 * with the installing portal's token. When HubSpot refuses a batch (one execution it no longer knows: expired, or
 * already completed), each is completed on its own so the others still finish; one HubSpot no longer knows has
 * nothing left to complete and counts as done.
 * https://developers.hubspot.com/docs/api/automation/custom-workflow-actions#complete-a-blocked-execution
 */
export async function completeCallbacks(
  client: HubSpotClient,
  items: readonly CallbackCompletion[],
): Promise<WriteResult[]> {
  const out: WriteResult[] = [];
  for (let i = 0; i < items.length; i += BATCH_LIMIT) {
    const chunk = items.slice(i, i + BATCH_LIMIT);
    try {
      await client.send({
        method: 'POST',
        path: '/automation/v4/actions/callbacks/complete',
        body: { inputs: chunk.map((c) => ({ callbackId: c.callbackId, outputFields: c.outputFields })) },
        budget: 'burst',
        idempotent: false,
      });
      out.push(...chunk.map((c) => ({ key: c.key, ok: true })));
    } catch (error) {
      if (!(error instanceof HubSpotApiError) || (error.details.status !== 400 && error.details.status !== 404))
        throw error;
      for (const c of chunk) out.push(await completeOne(client, c));
    }
  }
  return out;
}

async function completeOne(client: HubSpotClient, c: CallbackCompletion): Promise<WriteResult> {
  try {
    await client.send({
      method: 'POST',
      path: `/automation/v4/actions/callbacks/${encodeURIComponent(c.callbackId)}/complete`,
      body: { outputFields: c.outputFields },
      budget: 'burst',
      idempotent: false,
    });
    return { key: c.key, ok: true };
  } catch (error) {
    if (!(error instanceof HubSpotApiError)) throw error;
    if (error.details.status === 404) return { key: c.key, ok: true };
    if (error.details.status !== 400) throw error;
    return {
      key: c.key,
      ok: false,
      error: { code: error.details.crmCode ?? 'VALIDATION_ERROR', message: error.message, retryable: false },
    };
  }
}
