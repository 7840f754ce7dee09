import type { TaskClose, TaskSpec, TaskState, WriteResult } from '../../../src/ports/crm-writer.js';
import type { HubSpotClient } from '../client.js';
import { HubSpotApiError } from '../client.js';
import { BatchRead, BatchWrite } from '../schemas.js';
import { batchResults, settleBatch } from './batch-outcomes.js';
import { BATCH_LIMIT } from './write-fields.js';

/** The unique-value task property holding crm-agent's task key (provisioned with `hasUniqueValue`). */
export const TASK_KEY_PROPERTY = 'crm_agent_task_key';

/** HubSpot-defined association types: task → contact 204, task → deal 216. */
const TASK_TO_CONTACT = 204;
const TASK_TO_DEAL = 216;

const PRIORITY = { high: 'HIGH', medium: 'MEDIUM', low: 'LOW' } as const;
const TYPE = { call: 'CALL', email: 'EMAIL', todo: 'TODO' } as const;

/** A task's properties. The due date is placed at noon UTC, so it shows on that day from UTC−11 to UTC+11. */
export function taskProperties(task: TaskSpec): Record<string, string> {
  return {
    [TASK_KEY_PROPERTY]: task.key,
    hs_task_subject: task.subject,
    hs_task_body: task.body,
    hs_timestamp: new Date(`${task.dueDate.slice(0, 10)}T12:00:00.000Z`).toISOString(),
    hs_task_priority: PRIORITY[task.priority],
    hs_task_type: TYPE[task.type],
    hs_task_status: 'NOT_STARTED',
    ...(task.ownerId ? { hubspot_owner_id: task.ownerId } : {}),
  };
}

function associations(task: TaskSpec) {
  const to = (id: string, typeId: number) => ({
    to: { id },
    types: [{ associationCategory: 'HUBSPOT_DEFINED', associationTypeId: typeId }],
  });
  return [
    ...(task.contactId ? [to(task.contactId, TASK_TO_CONTACT)] : []),
    ...(task.dealId ? [to(task.dealId, TASK_TO_DEAL)] : []),
  ];
}

/**
 * Creates tasks exactly once: first reads which keys already have a task (`batch/read` by the unique key property,
 * which reads the records themselves, not the lagging search index), then creates only the others with
 * `batch/create`, associations inline so a task never exists without its contact and deal, each input traced by
 * its key (`objectWriteTraceId`, which also makes HubSpot answer 207 per input). A crash after HubSpot created a
 * batch finds those tasks on the next attempt; two attempts racing are stopped by the key's uniqueness (the loser
 * gets a conflict, retried, and then finds the task).
 */
export async function upsertTasks(client: HubSpotClient, tasks: readonly TaskSpec[]): Promise<WriteResult[]> {
  const out: WriteResult[] = [];
  for (let i = 0; i < tasks.length; i += BATCH_LIMIT) {
    const chunk = tasks.slice(i, i + BATCH_LIMIT);
    const existing = await existingTasks(client, chunk);
    const missing = chunk.filter((t) => !existing.has(t.key));
    for (const t of chunk) {
      const crmId = existing.get(t.key);
      if (crmId) out.push({ key: t.key, ok: true, crmId });
    }
    out.push(
      ...(await settleBatch(
        missing,
        async (items) => {
          const answer = await client
            .request(
              {
                method: 'POST',
                path: '/crm/v3/objects/tasks/batch/create',
                body: {
                  inputs: items.map((t) => ({
                    properties: taskProperties(t),
                    associations: associations(t),
                    objectWriteTraceId: t.key,
                  })),
                },
                budget: 'burst',
                // Never sent twice on an unknown outcome: the next attempt reads what was made first.
                idempotent: false,
              },
              BatchWrite,
            )
            .catch((error: unknown) => {
              // Another attempt made some of these meanwhile (the key is unique): the next attempt finds them.
              if (error instanceof HubSpotApiError && error.details.status === 409) return undefined;
              throw error;
            });
          if (!answer) {
            const error = { code: 'CONFLICT', message: 'a task with this key was being created', retryable: true };
            return items.map((t) => ({ key: t.key, ok: false, error }));
          }
          return batchResults(items, answer, {
            id: (t) => t.key,
            traceId: (t) => t.key,
            resultKey: (r) => r.properties?.[TASK_KEY_PROPERTY] ?? undefined,
          });
        },
        { id: (t) => t.key, values: taskProperties },
      )),
    );
  }
  return out;
}

/** Task ids by key, for the keys that already have a task. */
async function existingTasks(client: HubSpotClient, tasks: readonly TaskSpec[]): Promise<Map<string, string>> {
  const read = await client
    .request(
      {
        method: 'POST',
        path: '/crm/v3/objects/tasks/batch/read',
        body: {
          idProperty: TASK_KEY_PROPERTY,
          properties: [TASK_KEY_PROPERTY],
          inputs: tasks.map((t) => ({ id: t.key })),
        },
        budget: 'burst',
        idempotent: true,
      },
      BatchRead,
    )
    .catch((error: unknown) => {
      // None of them exists (an all-missing batch read may be answered 404 instead of 207).
      if (error instanceof HubSpotApiError && error.details.status === 404) return { results: [] };
      throw error;
    });
  const found = new Map<string, string>();
  for (const raw of read.results) {
    const r = raw as { id?: unknown; properties?: Record<string, unknown> };
    const key = r.properties?.[TASK_KEY_PROPERTY];
    if (typeof key === 'string' && (typeof r.id === 'string' || typeof r.id === 'number')) found.set(key, String(r.id));
  }
  return found;
}

/**
 * Ends tasks whose action no longer stands, 100 a call: `remove` archives them (`batch/archive`, 204 even for ids
 * already gone); `defer` sets `hs_task_status` DEFERRED, a status HubSpot's task property offers beside NOT_STARTED,
 * IN_PROGRESS, WAITING and COMPLETED (https://developers.hubspot.com/docs/api/crm/tasks; the property's options).
 * Never COMPLETED: that would count as the rep's work in HubSpot's activity reports. A task the rep already deleted
 * is ended as far as crm-agent is concerned.
 */
export async function closeTasks(client: HubSpotClient, closes: readonly TaskClose[]): Promise<WriteResult[]> {
  const out: WriteResult[] = [];
  const removals = closes.filter((c) => c.how === 'remove');
  for (let i = 0; i < removals.length; i += BATCH_LIMIT) {
    const chunk = removals.slice(i, i + BATCH_LIMIT);
    await client.send({
      method: 'POST',
      path: '/crm/v3/objects/tasks/batch/archive',
      body: { inputs: chunk.map((c) => ({ id: c.crmTaskId })) },
      budget: 'burst',
      idempotent: true,
    });
    out.push(...chunk.map((c) => ({ key: c.key, ok: true })));
  }
  const deferrals = closes.filter((c) => c.how === 'defer');
  for (let i = 0; i < deferrals.length; i += BATCH_LIMIT) {
    const chunk = deferrals.slice(i, i + BATCH_LIMIT);
    const results = await settleBatch(
      chunk,
      async (items) => {
        const answer = await client.request(
          {
            method: 'POST',
            path: '/crm/v3/objects/tasks/batch/update',
            body: { inputs: items.map((c) => ({ id: c.crmTaskId, properties: { hs_task_status: 'DEFERRED' } })) },
            budget: 'burst',
            idempotent: true,
          },
          BatchWrite,
        );
        const gone = new Set(
          (answer.errors ?? []).filter((e) => e.category === 'OBJECT_NOT_FOUND').flatMap((e) => e.context?.ids ?? []),
        );
        return batchResults(items, answer, { id: (c) => c.crmTaskId }).map((r) => {
          const close = items.find((c) => c.key === r.key);
          return !r.ok && close && gone.has(close.crmTaskId) ? { key: r.key, ok: true } : r;
        });
      },
      { id: (c) => c.crmTaskId, values: () => ({ hs_task_status: 'DEFERRED' }) },
    );
    out.push(...results);
  }
  return out;
}

/** Each task's state (`batch/read` of `hs_task_status`); tasks HubSpot no longer has are absent. */
export async function readTaskStatuses(
  client: HubSpotClient,
  crmTaskIds: readonly string[],
): Promise<Map<string, TaskState>> {
  const out = new Map<string, TaskState>();
  for (let i = 0; i < crmTaskIds.length; i += BATCH_LIMIT) {
    const read = await client
      .request(
        {
          method: 'POST',
          path: '/crm/v3/objects/tasks/batch/read',
          body: { properties: ['hs_task_status'], inputs: crmTaskIds.slice(i, i + BATCH_LIMIT).map((id) => ({ id })) },
          budget: 'burst',
          idempotent: true,
        },
        BatchRead,
      )
      .catch((error: unknown) => {
        // None of them exists any more (an all-missing batch read may be answered 404 instead of 207).
        if (error instanceof HubSpotApiError && error.details.status === 404) return { results: [] };
        throw error;
      });
    for (const raw of read.results) {
      const r = raw as { id?: unknown; properties?: Record<string, unknown> };
      if (typeof r.id !== 'string') continue;
      out.set(r.id, taskState(r.properties?.hs_task_status));
    }
  }
  return out;
}

function taskState(status: unknown): TaskState {
  if (status === 'COMPLETED') return 'completed';
  if (status === 'DEFERRED') return 'ended';
  if (status === 'NOT_STARTED' || status === undefined || status === null) return 'open';
  return 'started';
}
