import type { OutputField } from '../../../src/domain/output-fields.js';
import type { Clock } from '../../../src/lib/clock.js';
import type { Logger } from '../../../src/lib/logger.js';
import type {
  CrmWriter,
  FieldUpdate,
  ProvisionReport,
  TaskClose,
  TaskSpec,
  TaskState,
  TriggerEvent,
  WriteBatchSizes,
  WriteResult,
} from '../../../src/ports/crm-writer.js';
import type { SalesforceClient } from '../client.js';
import type { SalesforceSettings } from '../settings.js';
import { COLLECTION_SIZE } from './collections.js';
import { provision } from './provision.js';
import { closeTasks, readTaskStatuses, upsertTasks } from './tasks.js';
import { publishTriggers } from './triggers.js';
import { writeFields } from './write-fields.js';

/** Rows per Bulk API 2.0 update job (a few MB of CSV; a job takes up to 150 MB). */
const BULK_JOB_ROWS = 100_000;
/** Requests a Bulk API update job costs at least: create, upload, close, one poll, failed results. */
const BULK_JOB_CALLS = 5;

/**
 * Salesforce write-back through the connector's client, so every call takes from crm-agent's share of the org's
 * daily allocation (and counts in the api_usage ledger) and is retried where that is safe: sObject Collections of
 * 200 for fields, task upserts by External ID, task closes and Platform Events; Bulk API 2.0 update jobs once more
 * than `bulkWriteThreshold` field updates of one object wait.
 */
export class SalesforceWriter implements CrmWriter {
  readonly batchSize: WriteBatchSizes;

  constructor(
    private readonly deps: {
      client: SalesforceClient;
      settings: SalesforceSettings;
      clock: Clock;
      logger: Logger;
      /** Called after provisioning changed metadata (cached describes are stale then). */
      onMetadataChanged?: () => void;
    },
  ) {
    this.batchSize = {
      fields: COLLECTION_SIZE,
      tasks: COLLECTION_SIZE,
      triggers: COLLECTION_SIZE,
      bulkFields: { above: deps.settings.bulkWriteThreshold, size: BULK_JOB_ROWS, calls: BULK_JOB_CALLS },
      mixedFieldTypes: true,
      taskReads: 200,
    };
  }

  propertyName(field: OutputField): string {
    return field.apiName;
  }

  async provision(request: {
    fields: readonly OutputField[];
    segmentOptions: Array<{ value: string; label: string }>;
  }): Promise<ProvisionReport> {
    const report = await provision(this.deps, request);
    if (report.created.length + report.updated.length > 0) this.deps.onMetadataChanged?.();
    return report;
  }

  writeFields(updates: FieldUpdate[]): Promise<WriteResult[]> {
    return writeFields({ ...this.deps, bulkThreshold: this.deps.settings.bulkWriteThreshold }, updates);
  }

  upsertTasks(tasks: TaskSpec[]): Promise<WriteResult[]> {
    return upsertTasks(this.deps.client, tasks);
  }

  closeTasks(closes: TaskClose[]): Promise<WriteResult[]> {
    return closeTasks(this.deps.client, closes);
  }

  publishTriggers(events: TriggerEvent[]): Promise<WriteResult[]> {
    return publishTriggers(this.deps.client, events);
  }

  readTaskStatuses(crmTaskIds: string[]): Promise<Map<string, TaskState>> {
    return readTaskStatuses(this.deps.client, crmTaskIds);
  }
}
