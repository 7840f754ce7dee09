import type { IngestJob, IngestOperation, QueryJob } from '../bulk-jobs.js';
import type { SandboxContext } from '../context.js';
import { SalesforceError } from '../errors.js';
import { type ApiRequest, json, noContent, type Route, readObject } from '../http.js';
import { evaluateQuery } from '../soql/evaluate.js';
import { parseSoql } from '../soql/parse.js';

const OPERATIONS: IngestOperation[] = ['insert', 'update', 'upsert', 'delete', 'hardDelete'];
const DEFAULT_MAX_RECORDS = 50_000;

/** A query row's value at a field path (`Account.Name`), matched case-insensitively, as a CSV cell. */
function csvCell(record: Record<string, unknown>, path: readonly string[]): string {
  let value: unknown = record;
  for (const part of path) {
    if (value === null || typeof value !== 'object') return '';
    const object = value as Record<string, unknown>;
    value =
      part in object
        ? object[part]
        : object[Object.keys(object).find((k) => k.toLowerCase() === part.toLowerCase()) ?? ''];
  }
  return value === null || value === undefined || typeof value === 'object' ? '' : String(value);
}

const csvResponse = (text: string, headers: Record<string, string> = {}) => ({
  status: 200,
  text,
  contentType: 'text/csv',
  headers,
});

/** Bulk API 2.0: ingest jobs (create, upload CSV, close, poll, results) and query jobs (create, poll, results). */
export function bulk2Routes(ctx: SandboxContext): Route[] {
  const { bulk, state } = ctx;
  const ingest = (id: string) => bulk.get(id, 'ingest') as IngestJob;
  const query = (id: string) => bulk.get(id, 'query') as QueryJob;
  const setState = (request: ApiRequest, job: IngestJob | QueryJob) => {
    const target = readObject(request).state;
    if (target === 'Aborted') {
      if (job.state === 'JobComplete' || job.state === 'Failed') {
        throw new SalesforceError(400, 'INVALIDJOBSTATE', `Job is already ${job.state}`);
      }
      job.state = 'Aborted';
    } else if (target === 'UploadComplete' && job.kind === 'ingest') {
      if (job.state !== 'Open') throw new SalesforceError(409, 'INVALIDJOBSTATE', `Job is ${job.state}, not Open`);
      job.state = 'UploadComplete';
      bulk.process(job);
    } else {
      throw new SalesforceError(400, 'INVALIDJOBSTATE', `Invalid state: ${String(target)}`);
    }
    job.systemModstamp = state.now();
    return json(200, bulk.jobInfo(job, request.version));
  };
  const remove = (job: IngestJob | QueryJob) => {
    if (job.state === 'Open' || job.state === 'UploadComplete' || job.state === 'InProgress') {
      throw new SalesforceError(400, 'INVALIDJOBSTATE', 'Only jobs that are finished or aborted can be deleted');
    }
    bulk.jobs.delete(job.id);
    return noContent();
  };
  const list = (kind: 'ingest' | 'query') => (request: ApiRequest) =>
    json(200, {
      done: true,
      records: [...bulk.jobs.values()].filter((j) => j.kind === kind).map((j) => bulk.jobInfo(j, request.version)),
      nextRecordsUrl: null,
    });

  return [
    { method: 'GET', pattern: /^\/jobs\/ingest\/?$/, handler: list('ingest') },
    {
      method: 'POST',
      pattern: /^\/jobs\/ingest\/?$/,
      handler: (request) => {
        const body = readObject(request);
        const def = state.object(String(body.object ?? ''));
        if (!def?.createable)
          throw new SalesforceError(
            400,
            'INVALIDENTITY',
            `Entity '${String(body.object)}' is not supported by the Bulk API.`,
          );
        const operation = body.operation as IngestOperation;
        if (!OPERATIONS.includes(operation))
          throw new SalesforceError(400, 'INVALIDJOB', `Invalid operation: ${String(body.operation)}`);
        if (operation === 'upsert' && typeof body.externalIdFieldName !== 'string') {
          throw new SalesforceError(400, 'INVALIDJOB', 'External ID was blank for upsert');
        }
        if ((body.contentType ?? 'CSV') !== 'CSV')
          throw new SalesforceError(400, 'INVALIDJOB', 'Only CSV is supported');
        const job: IngestJob = {
          ...bulk.base(request.userId, body, request.version),
          kind: 'ingest',
          object: def.name,
          operation,
          ...(typeof body.externalIdFieldName === 'string' ? { externalIdFieldName: body.externalIdFieldName } : {}),
          uploads: [],
          successful: [],
          failed: [],
          unprocessed: [],
          columns: [],
        };
        bulk.jobs.set(job.id, job);
        return json(200, bulk.jobInfo(job, request.version));
      },
    },
    {
      method: 'PUT',
      pattern: /^\/jobs\/ingest\/(\w+)\/batches\/?$/,
      handler: (request, [id]) => {
        const job = ingest(id!);
        if (job.state !== 'Open') throw new SalesforceError(409, 'INVALIDJOBSTATE', `Job is ${job.state}, not Open`);
        if (job.uploads.length > 0)
          throw new SalesforceError(400, 'INVALIDJOBSTATE', 'Data can only be uploaded to a job once');
        if (request.body.length > 150 * 1024 * 1024)
          throw new SalesforceError(413, 'EXCEEDED_QUOTA', 'Upload exceeds 150 MB');
        job.uploads.push(request.body.toString('utf8'));
        return { status: 201 };
      },
    },
    {
      method: 'PATCH',
      pattern: /^\/jobs\/ingest\/(\w+)\/?$/,
      handler: (request, [id]) => setState(request, ingest(id!)),
    },
    {
      method: 'GET',
      pattern: /^\/jobs\/ingest\/(\w+)\/?$/,
      handler: (request, [id]) => json(200, bulk.jobInfo(ingest(id!), request.version)),
    },
    { method: 'DELETE', pattern: /^\/jobs\/ingest\/(\w+)\/?$/, handler: (_request, [id]) => remove(ingest(id!)) },
    {
      method: 'GET',
      pattern: /^\/jobs\/ingest\/(\w+)\/(successfulResults|failedResults|unprocessedrecords)\/?$/,
      handler: (_request, [id, which]) => {
        const job = ingest(id!);
        if (job.state !== 'JobComplete' && job.state !== 'Failed' && job.state !== 'Aborted') {
          throw new SalesforceError(400, 'INVALIDJOBSTATE', 'Job is not complete');
        }
        if (which === 'successfulResults')
          return csvResponse(bulk.csv(job, ['sf__Id', 'sf__Created', ...job.columns], job.successful));
        if (which === 'failedResults')
          return csvResponse(bulk.csv(job, ['sf__Id', 'sf__Error', ...job.columns], job.failed));
        return csvResponse(bulk.csv(job, job.columns, job.unprocessed));
      },
    },
    { method: 'GET', pattern: /^\/jobs\/query\/?$/, handler: list('query') },
    {
      method: 'POST',
      pattern: /^\/jobs\/query\/?$/,
      handler: (request) => {
        const body = readObject(request);
        const operation = body.operation === 'queryAll' ? 'queryAll' : body.operation === 'query' ? 'query' : undefined;
        if (!operation) throw new SalesforceError(400, 'INVALIDJOB', `Invalid operation: ${String(body.operation)}`);
        const soql = String(body.query ?? '');
        const parsed = parseSoql(soql);
        if (parsed.count || parsed.items)
          throw new SalesforceError(400, 'INVALIDJOB', 'Aggregate queries are not supported by Bulk API 2.0');
        if (parsed.offset !== undefined)
          throw new SalesforceError(400, 'INVALIDJOB', 'OFFSET is not supported by Bulk API 2.0');
        // Compound fields (Address, Location) cannot be selected in a query job: Salesforce answers 400 with this
        // message (the one airbytehq/airbyte's source-salesforce matches on); their components can.
        const from = state.object(parsed.from.name);
        const compound = parsed.fields.some((f) => {
          const path =
            f.path.length > 1 && f.path[0]!.toLowerCase() === from?.name.toLowerCase() ? f.path.slice(1) : f.path;
          return path.length === 1 && from?.fields.get(path[0]!.toLowerCase())?.components !== undefined;
        });
        if (compound)
          throw new SalesforceError(400, 'API_ERROR', 'Selecting compound data not supported in Bulk Query');
        const result = evaluateQuery(state, parsed, {
          userId: request.userId,
          includeDeleted: operation === 'queryAll',
          version: request.version,
        });
        const paths = parsed.fields.map((f) =>
          f.path.length > 1 && f.path[0]!.toLowerCase() === result.object.name.toLowerCase() ? f.path.slice(1) : f.path,
        );
        const rows = result.records.map((record) => paths.map((path) => csvCell(record, path)));
        const job: QueryJob = {
          ...bulk.base(request.userId, body, request.version),
          kind: 'query',
          object: result.object.name,
          operation,
          query: soql,
          columns: parsed.fields.map((f) => f.path.join('.')),
          rows,
        };
        job.state = 'UploadComplete';
        job.completesAt = ctx.clock.now() + bulk.latencyMs;
        bulk.jobs.set(job.id, job);
        return json(200, bulk.jobInfo(job, request.version));
      },
    },
    {
      method: 'GET',
      pattern: /^\/jobs\/query\/(\w+)\/?$/,
      handler: (request, [id]) => json(200, bulk.jobInfo(query(id!), request.version)),
    },
    {
      method: 'PATCH',
      pattern: /^\/jobs\/query\/(\w+)\/?$/,
      handler: (request, [id]) => setState(request, query(id!)),
    },
    { method: 'DELETE', pattern: /^\/jobs\/query\/(\w+)\/?$/, handler: (_request, [id]) => remove(query(id!)) },
    {
      method: 'GET',
      pattern: /^\/jobs\/query\/(\w+)\/results\/?$/,
      handler: (request, [id]) => {
        const job = query(id!);
        if (job.state !== 'JobComplete')
          throw new SalesforceError(400, 'INVALIDJOBSTATE', `Job is ${job.state}, not JobComplete`);
        const locator = request.query.get('locator');
        const offset = locator ? Number.parseInt(Buffer.from(locator, 'base64url').toString(), 10) : 0;
        if (!Number.isInteger(offset) || offset < 0 || offset > job.rows.length) {
          throw new SalesforceError(400, 'INVALIDLOCATOR', 'Invalid locator');
        }
        const max = Math.max(1, Number(request.query.get('maxRecords') ?? DEFAULT_MAX_RECORDS) || DEFAULT_MAX_RECORDS);
        const end = Math.min(job.rows.length, offset + max);
        const page = job.rows.slice(offset, end);
        return csvResponse(bulk.csv(job, job.columns, page), {
          'sforce-locator': end >= job.rows.length ? 'null' : Buffer.from(String(end)).toString('base64url'),
          'sforce-numberofrecords': String(page.length),
        });
      },
    },
  ];
}
