import type { TaskClose, TaskSpec, TaskState, WriteResult } from '../../../src/ports/crm-writer.js';
import type { SalesforceClient } from '../client.js';
import { idLiteral, select } from '../soql.js';
import { type SfRecordInput, saveCollection } from './collections.js';
import { TASK_KEY_FIELD } from './custom-fields.js';
import { parseSaveResults, toWriteResult } from './save-results.js';
import { sobjectOf } from './sobjects.js';

const PRIORITY: Record<TaskSpec['priority'], string> = { high: 'High', medium: 'Normal', low: 'Low' };
const TYPE: Partial<Record<TaskSpec['type'], string>> = { call: 'Call', email: 'Email' };
/** Task ids per status query (an IN list of 200 ids keeps the URL well inside its limit). */
const STATUS_IDS = 200;

/**
 * A task as Salesforce takes it, keyed by crm-agent's task key. Status is left out: a new task gets the org's
 * default status (orgs rename "Not Started"), and an upsert sent again after a crash never reopens a task a rep
 * completed meanwhile. TaskSubtype is left out too: it can be set on create only, and an upsert may update.
 * A lead cannot be the WhoId of a task related to an opportunity: then the opportunity alone is kept.
 */
export function taskRecord(task: TaskSpec): SfRecordInput {
  const who = task.contactId ? sobjectOf('contact', task.contactId) : undefined;
  const what = task.dealId ? sobjectOf('deal', task.dealId) : undefined;
  return {
    attributes: { type: 'Task' },
    [TASK_KEY_FIELD]: task.key,
    Subject: task.subject.slice(0, 255),
    Description: task.body.slice(0, 32_000),
    ActivityDate: task.dueDate.slice(0, 10),
    Priority: PRIORITY[task.priority],
    ...(TYPE[task.type] ? { Type: TYPE[task.type] } : {}),
    ...(task.ownerId ? { OwnerId: task.ownerId } : {}),
    ...(who && !(who === 'Lead' && what) ? { WhoId: task.contactId } : {}),
    ...(what ? { WhatId: task.dealId } : {}),
  };
}

/**
 * Creates or updates tasks by their key (PATCH /composite/sobjects/Task/CrmAgent_Task_Key__c, an upsert by
 * External ID): sending a batch again after a crash or a lost answer finds the tasks it made and updates them, so
 * a task is never doubled.
 */
export async function upsertTasks(client: SalesforceClient, tasks: TaskSpec[]): Promise<WriteResult[]> {
  const saved = await saveCollection(client, {
    method: 'PATCH',
    path: `/composite/sobjects/Task/${TASK_KEY_FIELD}`,
    records: tasks.map(taskRecord),
    idempotent: true,
  });
  return tasks.map((t, i) => toWriteResult(t.key, saved[i]!));
}

/**
 * Ends tasks whose action no longer stands: `remove` deletes them (DELETE /composite/sobjects?ids=…, 200 a call,
 * into the recycle bin); `defer` sets Status `Deferred`, a not-done value of the default Task Status picklist
 * (https://developer.salesforce.com/docs/atlas.en-us.object_reference.meta/object_reference/sforce_api_objects_task.htm).
 * Never Completed: that is the rep's, and what the next run learns from. A task someone deleted counts as ended.
 */
export async function closeTasks(client: SalesforceClient, closes: TaskClose[]): Promise<WriteResult[]> {
  const out = new Map<string, WriteResult>();
  const gone = (r: WriteResult) =>
    r.error?.code === 'ENTITY_IS_DELETED' || r.error?.code === 'INVALID_CROSS_REFERENCE_KEY'
      ? { key: r.key, ok: true }
      : r;
  const removals = closes.filter((c) => c.how === 'remove');
  if (removals.length > 0) {
    const ids = removals.map((c) => encodeURIComponent(c.crmTaskId)).join(',');
    const body = await client.json({
      method: 'DELETE',
      url: `${client.dataPath('/composite/sobjects')}?ids=${ids}&allOrNone=false`,
      idempotent: true,
    });
    const saved = parseSaveResults(body, removals.length);
    for (const [i, c] of removals.entries()) out.set(c.key, gone(toWriteResult(c.key, saved[i]!)));
  }
  const deferrals = closes.filter((c) => c.how === 'defer');
  const saved = await saveCollection(client, {
    method: 'PATCH',
    path: '/composite/sobjects',
    records: deferrals.map((c) => ({ attributes: { type: 'Task' }, Id: c.crmTaskId, Status: 'Deferred' })),
    idempotent: true,
  });
  for (const [i, c] of deferrals.entries()) out.set(c.key, gone(toWriteResult(c.key, saved[i]!)));
  return closes.map((c) => out.get(c.key)!);
}

/** Each task's state, read with SOQL in chunks; deleted and unknown ids are absent. */
export async function readTaskStatuses(client: SalesforceClient, ids: string[]): Promise<Map<string, TaskState>> {
  const out = new Map<string, TaskState>();
  const wanted = ids.filter((id) => sobjectOf('task', id) === 'Task');
  for (let i = 0; i < wanted.length; i += STATUS_IDS) {
    const chunk = wanted.slice(i, i + STATUS_IDS);
    let page = await client.query(
      select({
        fields: ['Id', 'IsClosed', 'Status'],
        object: 'Task',
        where: [`Id IN (${chunk.map(idLiteral).join(', ')})`],
      }),
    );
    for (;;) {
      for (const row of page.records) {
        if (typeof row.Id === 'string') out.set(row.Id, taskState(row.IsClosed === true, row.Status));
      }
      if (page.done || !page.nextRecordsUrl) break;
      page = await client.queryMore(page.nextRecordsUrl);
    }
  }
  // Ids come back 18 characters long; callers may hold either form.
  const byPrefix = new Map([...out].map(([id, status]) => [id.slice(0, 15), status]));
  return new Map(ids.filter((id) => byPrefix.has(id.slice(0, 15))).map((id) => [id, byPrefix.get(id.slice(0, 15))!]));
}

/**
 * Deferred (crm-agent's "not done"; an open status in the default picklist) has ended; any other closed status was
 * completed; an open task is `open` while its status is the one crm-agent's tasks start with ("Not Started", the
 * default picklist's default), else the rep started it.
 */
function taskState(closed: boolean, status: unknown): TaskState {
  if (status === 'Deferred') return 'ended';
  if (closed) return 'completed';
  return status === undefined || status === null || status === 'Not Started' ? 'open' : 'started';
}
