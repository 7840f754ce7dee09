import { parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import type { Clock } from '../../src/lib/clock.js';
import { createRecord, deleteRecord, purgeDeleted, updateRecord, upsertRecord } from './dml.js';
import { SalesforceError } from './errors.js';
import type { OrgState } from './state.js';
import { formatDateTime } from './values.js';

export type IngestOperation = 'insert' | 'update' | 'upsert' | 'delete' | 'hardDelete';
type JobState = 'Open' | 'UploadComplete' | 'InProgress' | 'JobComplete' | 'Failed' | 'Aborted';

interface JobBase {
  id: string;
  createdById: string;
  createdDate: number;
  systemModstamp: number;
  state: JobState;
  /** When processing finishes (the sandbox's processing latency). */
  completesAt: number;
  lineEnding: 'LF' | 'CRLF';
  columnDelimiter: string;
  apiVersion: number;
}

export interface IngestJob extends JobBase {
  kind: 'ingest';
  object: string;
  operation: IngestOperation;
  externalIdFieldName?: string;
  uploads: string[];
  successful: Array<Record<string, string>>;
  failed: Array<Record<string, string>>;
  unprocessed: Array<Record<string, string>>;
  columns: string[];
  errorMessage?: string;
}

export interface QueryJob extends JobBase {
  kind: 'query';
  object: string;
  operation: 'query' | 'queryAll';
  query: string;
  columns: string[];
  rows: string[][];
}

const DELIMITERS: Record<string, string> = {
  COMMA: ',',
  TAB: '\t',
  PIPE: '|',
  SEMICOLON: ';',
  CARET: '^',
  BACKQUOTE: '`',
};

/**
 * Bulk API 2.0 jobs. Ingest jobs take CSV uploads, run when closed (UploadComplete) and keep per-row successful,
 * failed and unprocessed results; query jobs evaluate their SOQL when created and page their CSV results by
 * locator. `latencyMs` is how long (on the sandbox's clock) a job takes to finish.
 */
export class BulkJobs {
  readonly jobs = new Map<string, IngestJob | QueryJob>();

  constructor(
    private readonly state: OrgState,
    private readonly clock: Clock,
    public latencyMs: number,
  ) {}

  base(userId: string, body: Record<string, unknown>, version: string): JobBase {
    const now = this.state.now();
    const delimiter = String(body.columnDelimiter ?? 'COMMA');
    if (!DELIMITERS[delimiter]) throw new SalesforceError(400, 'INVALIDJOB', `Invalid column delimiter: ${delimiter}`);
    const lineEnding = String(body.lineEnding ?? 'LF');
    if (lineEnding !== 'LF' && lineEnding !== 'CRLF')
      throw new SalesforceError(400, 'INVALIDJOB', `Invalid line ending: ${lineEnding}`);
    return {
      id: this.state.nextId('750'),
      createdById: userId,
      createdDate: now,
      systemModstamp: now,
      state: 'Open',
      completesAt: Number.POSITIVE_INFINITY,
      lineEnding,
      columnDelimiter: delimiter,
      apiVersion: Number(version),
    };
  }

  get(id: string, kind: 'ingest' | 'query'): IngestJob | QueryJob {
    const job = this.jobs.get(id);
    if (!job || job.kind !== kind) {
      throw new SalesforceError(404, 'NOT_FOUND', 'The requested resource does not exist');
    }
    if ((job.state === 'UploadComplete' || job.state === 'InProgress') && this.clock.now() >= job.completesAt) {
      job.state = job.kind === 'ingest' && job.errorMessage ? 'Failed' : 'JobComplete';
      job.systemModstamp = this.state.now();
    } else if (job.state === 'UploadComplete' && job.kind === 'ingest') {
      job.state = 'InProgress';
    }
    return job;
  }

  /** Runs an ingest job's rows, each on its own (Bulk API does not roll back other rows). */
  process(job: IngestJob): void {
    const text = job.uploads.join('');
    job.uploads = [];
    let rows: Array<Record<string, string>>;
    try {
      rows = parse(text, {
        columns: true,
        delimiter: DELIMITERS[job.columnDelimiter] ?? ',',
        skip_empty_lines: true,
        bom: true,
      });
    } catch (error) {
      job.errorMessage = `InvalidBatch : Failed to parse CSV: ${(error as Error).message}`;
      job.completesAt = this.clock.now() + this.latencyMs;
      return;
    }
    job.columns = rows.length > 0 ? Object.keys(rows[0]!) : [];
    const actor = { userId: job.createdById };
    for (const row of rows) {
      try {
        let id: string;
        let created = false;
        const fields: Record<string, unknown> = {};
        // An empty cell leaves the field as it is on update and upsert; `#N/A` sets it to null (Bulk API 2.0's rule).
        const keep = job.operation === 'insert' ? () => true : (v: string) => v !== '';
        for (const [k, v] of Object.entries(row)) if (k.toLowerCase() !== 'id' && keep(v)) fields[k] = v;
        const rowId = Object.entries(row).find(([k]) => k.toLowerCase() === 'id')?.[1] ?? '';
        this.state.transaction(() => {
          switch (job.operation) {
            case 'insert':
              id = createRecord(this.state, job.object, fields, actor, { source: 'csv' });
              created = true;
              break;
            case 'update':
              updateRecord(this.state, job.object, rowId, fields, actor, { source: 'csv' });
              id = rowId;
              break;
            case 'upsert': {
              const field = job.externalIdFieldName!;
              const key = Object.keys(row).find((k) => k.toLowerCase() === field.toLowerCase());
              if (!key) throw new SalesforceError(400, 'MISSING_ARGUMENT', `${field} not specified`);
              const result = upsertRecord(this.state, job.object, field, row[key]!, fields, actor, { source: 'csv' });
              id = result.id;
              created = result.created;
              break;
            }
            default:
              deleteRecord(this.state, job.object, rowId, actor);
              if (job.operation === 'hardDelete') purgeDeleted(this.state, [job.object]);
              id = rowId;
          }
        });
        job.successful.push({ sf__Id: id!, sf__Created: String(created), ...row });
      } catch (error) {
        if (!(error instanceof SalesforceError)) throw error;
        job.failed.push({
          sf__Id: '',
          sf__Error: `${error.errorCode}:${error.message}:${error.fields.join(',')}`,
          ...row,
        });
      }
    }
    job.completesAt = this.clock.now() + this.latencyMs;
  }

  jobInfo(job: IngestJob | QueryJob, version: string): Record<string, unknown> {
    const common = {
      id: job.id,
      operation: job.operation,
      object: job.object,
      createdById: job.createdById,
      createdDate: formatDateTime(job.createdDate),
      systemModstamp: formatDateTime(job.systemModstamp),
      state: job.state,
      concurrencyMode: 'Parallel',
      contentType: 'CSV',
      apiVersion: job.apiVersion,
      lineEnding: job.lineEnding,
      columnDelimiter: job.columnDelimiter,
    };
    if (job.kind === 'query') {
      return {
        ...common,
        jobType: 'V2Query',
        numberRecordsProcessed: job.state === 'JobComplete' ? job.rows.length : 0,
        retries: 0,
        totalProcessingTime: 0,
      };
    }
    return {
      ...common,
      ...(job.externalIdFieldName ? { externalIdFieldName: job.externalIdFieldName } : {}),
      jobType: 'V2Ingest',
      contentUrl: `services/data/v${version}/jobs/ingest/${job.id}/batches`,
      numberRecordsProcessed:
        job.state === 'JobComplete' || job.state === 'Failed' ? job.successful.length + job.failed.length : 0,
      numberRecordsFailed: job.state === 'JobComplete' || job.state === 'Failed' ? job.failed.length : 0,
      retries: 0,
      totalProcessingTime: 0,
      apiActiveProcessingTime: 0,
      apexProcessingTime: 0,
      ...(job.errorMessage ? { errorMessage: job.errorMessage } : {}),
    };
  }

  csv(job: JobBase, columns: string[], rows: Array<Record<string, string>> | string[][]): string {
    const records = rows.map((r) => (Array.isArray(r) ? r : columns.map((c) => r[c] ?? '')));
    return stringify([columns, ...records], {
      delimiter: DELIMITERS[job.columnDelimiter] ?? ',',
      record_delimiter: job.lineEnding === 'CRLF' ? '\r\n' : '\n',
      quoted: true,
      quoted_empty: false,
    });
  }
}
