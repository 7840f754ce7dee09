import type { Clock } from '../../../src/lib/clock.js';
import { CrmApiError } from '../../../src/lib/errors.js';
import type { WriteResult } from '../../../src/ports/crm-writer.js';
import type { SalesforceClient } from '../client.js';
import { parseCsvObjects } from '../csv.js';
import { bulkJobSchema } from '../schemas.js';
import { recordError } from './save-results.js';

/** One update as the record Salesforce takes: its sObject, Id, and crm-agent's values under their API names. */
export interface SfUpdate {
  key: string;
  sobject: string;
  id: string;
  values: Record<string, string | number | null>;
}

/** How long a job may run before the batch is given up (and sent again later: its updates repeat the same values). */
const JOB_DEADLINE_MS = 30 * 60_000;

const cell = (value: string | number | null | undefined): string => {
  // An empty cell leaves a field as it is; `#N/A` clears it (Bulk API 2.0's rule).
  if (value === undefined) return '';
  if (value === null) return '#N/A';
  return `"${String(value).replace(/"/g, '""')}"`;
};

/** The rows as Bulk API CSV: Id, then every field any row sets. */
export function updateCsv(rows: readonly SfUpdate[]): string {
  const columns = [...new Set(rows.flatMap((r) => Object.keys(r.values)))].sort();
  const lines = [['Id', ...columns].join(',')];
  for (const row of rows) lines.push([cell(row.id), ...columns.map((c) => cell(row.values[c]))].join(','));
  return `${lines.join('\n')}\n`;
}

/**
 * One Bulk API 2.0 update job: create, upload the CSV, close (UploadComplete, without which nothing runs), poll
 * until it ends, then read the failed rows (and unprocessed ones, if the job stopped early). Every row ends in
 * exactly one of successful, failed or unprocessed; unprocessed rows are retryable. A job left behind by a crash
 * before its close never runs; one left running finishes on its own, and its rows are sent again (same values).
 */
export async function bulkUpdate(
  deps: { client: SalesforceClient; clock: Clock },
  sobject: string,
  rows: readonly SfUpdate[],
): Promise<WriteResult[]> {
  const { client, clock } = deps;
  const job = bulkJobSchema.parse(
    await client.json({
      method: 'POST',
      url: client.dataPath('/jobs/ingest'),
      body: JSON.stringify({
        object: sobject,
        operation: 'update',
        contentType: 'CSV',
        columnDelimiter: 'COMMA',
        lineEnding: 'LF',
      }),
      headers: { 'content-type': 'application/json' },
      // A second job after an ambiguous failure is an empty job that never runs.
      idempotent: true,
    }),
  );
  const jobPath = client.dataPath(`/jobs/ingest/${job.id}`);
  await client.send({
    method: 'PUT',
    url: `${jobPath}/batches`,
    body: updateCsv(rows),
    headers: { 'content-type': 'text/csv' },
  });
  await client.send({
    method: 'PATCH',
    url: jobPath,
    body: JSON.stringify({ state: 'UploadComplete' }),
    headers: { 'content-type': 'application/json' },
  });
  let wait = 1000;
  const deadline = clock.now() + JOB_DEADLINE_MS;
  let state = bulkJobSchema.parse(await client.json({ method: 'GET', url: jobPath }));
  while (state.state === 'UploadComplete' || state.state === 'InProgress' || state.state === 'Open') {
    if (clock.now() > deadline) {
      throw new CrmApiError(`Salesforce Bulk API update job ${job.id} still runs after 30 minutes`, {
        crm: 'salesforce',
        status: 200,
        retryable: true,
      });
    }
    await clock.sleep(wait);
    wait = Math.min(wait * 2, 30_000);
    state = bulkJobSchema.parse(await client.json({ method: 'GET', url: jobPath }));
  }
  const csv = async (which: string) =>
    parseCsvObjects(
      (await client.send({ method: 'GET', url: `${jobPath}/${which}/`, headers: { accept: 'text/csv' } })).text,
    );
  const errors = new Map<string, NonNullable<WriteResult['error']>>();
  for (const failed of await csv('failedResults')) {
    const [code = 'UNKNOWN', ...rest] = (failed.sf__Error ?? '').split(':');
    errors.set(failed.Id ?? '', recordError(code, rest.join(':').replace(/:$/, '') || code));
  }
  if (state.state !== 'JobComplete' || (state.numberRecordsProcessed ?? rows.length) < rows.length) {
    for (const unprocessed of await csv('unprocessedrecords')) {
      errors.set(unprocessed.Id ?? '', recordError('BULK_UNPROCESSED', `the Bulk API job ended ${state.state} first`));
    }
  }
  return rows.map((row) => {
    const error = errors.get(row.id);
    return error ? { key: row.key, ok: false, error } : { key: row.key, ok: true, crmId: row.id };
  });
}
