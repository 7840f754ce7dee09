import type { Logger } from '../../../src/lib/logger.js';
import type { CrmWriter } from '../../../src/ports/crm-writer.js';
import type { HubSpotClient } from '../client.js';
import { completeCallbacks } from './complete-callbacks.js';
import { provisionHubSpot } from './provision.js';
import { closeTasks, readTaskStatuses, upsertTasks } from './tasks.js';
import { BATCH_LIMIT, writeFields } from './write-fields.js';

/**
 * crm-agent's write-back into a HubSpot portal, over the tenant's client (so writes share the portal's burst budget
 * with the sync and are retried on 429 and 5xx like every call). Fields go by batch update, tasks by read-then-create
 * on their unique key, tasks whose action ended by batch archive (or a DEFERRED status). Workflow triggers need no call on HubSpot: workflows
 * enroll on the action and action-changed-at properties the field update writes.
 */
export function createHubSpotWriter(client: HubSpotClient, logger: Logger): CrmWriter {
  return {
    batchSize: { fields: BATCH_LIMIT, tasks: BATCH_LIMIT, triggers: BATCH_LIMIT, triggersInFields: true },
    provision: (request) => provisionHubSpot(client, logger, request),
    checkProvisioning: (request) => provisionHubSpot(client, logger, { ...request, dryRun: true }),
    writeFields: (updates) => writeFields(client, updates),
    upsertTasks: (tasks) => upsertTasks(client, tasks),
    closeTasks: (closes) => closeTasks(client, closes),
    // Carried by the fields (crm_agent_next_best_action, crm_agent_action_changed_at): nothing to send.
    publishTriggers: async (events) => events.map((e) => ({ key: e.key, ok: true })),
    readTaskStatuses: (ids) => readTaskStatuses(client, ids),
    completeCallbacks: (items) => completeCallbacks(client, items),
    propertyName: (field) => field.name,
  };
}
