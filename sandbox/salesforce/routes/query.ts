import type { SandboxContext } from '../context.js';
import { SalesforceError } from '../errors.js';
import { type ApiRequest, json, type Route } from '../http.js';
import { evaluateQuery } from '../soql/evaluate.js';
import { parseSoql } from '../soql/parse.js';

/** `Sforce-Query-Options: batchSize=N` (200–2,000; default 2,000). */
function batchSize(request: ApiRequest): number {
  const m = /batchSize\s*=\s*(\d+)/i.exec(request.headers['sforce-query-options'] ?? '');
  return m ? Math.min(2000, Math.max(200, Number(m[1]))) : 2000;
}

/** Runs a SOQL query for a request: parse, evaluate as the session's user. */
export function runSoql(
  ctx: SandboxContext,
  request: ApiRequest,
  soql: string,
  options: { all: boolean; tooling: boolean },
) {
  const query = parseSoql(soql);
  const result = evaluateQuery(ctx.state, query, {
    userId: request.userId,
    includeDeleted: options.all,
    tooling: options.tooling,
    version: request.version,
  });
  return { ...result, count: query.count, fields: query.fields };
}

/**
 * A Tooling API query page as Salesforce sends it: `size`, `totalSize`, `done`, `queryLocator` (null on the last
 * page), `entityTypeName`, then the records (Tooling API Developer Guide, "query" resource examples).
 */
function toolingPage(
  page: { totalSize: number; done: boolean; nextRecordsUrl?: string; records: Array<Record<string, unknown>> },
  entityTypeName: string | null,
): Record<string, unknown> {
  const next = page.nextRecordsUrl?.replace(/\/query\//, '/tooling/query/');
  return {
    size: page.records.length,
    totalSize: page.totalSize,
    done: page.done,
    queryLocator: next ? next.slice(next.lastIndexOf('/') + 1) : null,
    entityTypeName,
    ...(next ? { nextRecordsUrl: next } : {}),
    records: page.records,
  };
}

/** query, queryAll and their nextRecordsUrl pages, for data and Tooling objects. */
export function queryRoutes(ctx: SandboxContext): Route[] {
  const start = (all: boolean, tooling: boolean) => (request: ApiRequest) => {
    const soql = request.query.get('q');
    if (soql === null || soql.trim() === '') {
      throw new SalesforceError(400, 'MALFORMED_QUERY', 'A query string has to be specified');
    }
    const result = runSoql(ctx, request, soql, { all, tooling });
    if (result.count) {
      const page = { totalSize: result.totalSize, done: true, records: [] };
      return json(200, tooling ? toolingPage(page, result.object.name) : page);
    }
    const page = ctx.cursors.start(request.userId, result.records, batchSize(request), request.version);
    return json(200, tooling ? toolingPage(page, result.object.name) : page);
  };
  const more = (request: ApiRequest, [locator]: string[]) =>
    json(200, ctx.cursors.next(request.userId, locator!, request.version));
  const toolingMore = (request: ApiRequest, [locator]: string[]) => {
    const page = ctx.cursors.next(request.userId, locator!, request.version);
    const type = (page.records[0]?.attributes as { type?: string } | undefined)?.type ?? null;
    return json(200, toolingPage(page, type));
  };
  return [
    { method: 'GET', pattern: /^\/query\/?$/, handler: start(false, false), heavy: true },
    { method: 'GET', pattern: /^\/queryAll\/?$/, handler: start(true, false), heavy: true },
    { method: 'GET', pattern: /^\/(?:query|queryAll)\/([^/]+)$/, handler: more, heavy: true },
    { method: 'GET', pattern: /^\/tooling\/query\/?$/, handler: start(false, true), heavy: true },
    { method: 'GET', pattern: /^\/tooling\/(?:query|queryAll)\/([^/]+)$/, handler: toolingMore, heavy: true },
  ];
}
