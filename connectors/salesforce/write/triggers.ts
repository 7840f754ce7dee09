import { ACTION_EVENT } from '../../../src/domain/output-fields.js';
import type { TriggerEvent, WriteResult } from '../../../src/ports/crm-writer.js';
import type { SalesforceClient } from '../client.js';
import { saveCollection } from './collections.js';
import { toWriteResult } from './save-results.js';

/**
 * Publishes one `CrmAgent_Action__e` Platform Event per new action, in one sObject Collections create (up to 200),
 * for Platform-Event-triggered Flows. Publishing cannot be made idempotent: when the answer to a call that
 * Salesforce carried out is lost, the batch is published again (at least once). Each event therefore carries its
 * action key (`Action_Key__c`, with the record id): a Flow that must act once per action dedupes on it.
 */
export async function publishTriggers(client: SalesforceClient, events: TriggerEvent[]): Promise<WriteResult[]> {
  const saved = await saveCollection(client, {
    method: 'POST',
    path: '/composite/sobjects',
    records: events.map((e) => ({
      attributes: { type: ACTION_EVENT.apiName },
      Record_Id__c: e.recordId,
      Action__c: e.action.slice(0, 40),
      Priority__c: e.priority.slice(0, 10),
      Reason__c: e.reason.slice(0, 1000),
      Action_Key__c: e.actionKey.slice(0, 64),
    })),
    idempotent: false,
  });
  return events.map((e, i) => toWriteResult(e.key, saved[i]!));
}
