import { jsonParserError, notFound, SalesforceError } from './errors.js';

/** One REST API request, after authentication: the path is relative to `/services/data/vXX.X`. */
export interface ApiRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  /** Lower-case header names. */
  headers: Record<string, string | undefined>;
  body: Buffer;
  version: string;
  userId: string;
}

export interface ApiResponse {
  status: number;
  /** A JSON body; or `text` with its content type (CSV, plain text). */
  body?: unknown;
  text?: string;
  contentType?: string;
  headers?: Record<string, string>;
}

export type Handler = (request: ApiRequest, params: string[]) => ApiResponse;

export interface Route {
  method: string;
  pattern: RegExp;
  handler: Handler;
  /** Composite allows at most 5 query and collection subrequests. */
  heavy?: boolean;
}

export const json = (status: number, body: unknown, headers?: Record<string, string>): ApiResponse => ({
  status,
  body,
  ...(headers ? { headers } : {}),
});

export const noContent = (): ApiResponse => ({ status: 204 });

/** The request body as JSON, or JSON_PARSER_ERROR as Salesforce's deserializer reports it. */
export function readJson(request: ApiRequest): unknown {
  const text = request.body.toString('utf8');
  if (text.trim() === '') throw jsonParserError('No content to map due to end-of-input at [line:1, column:0]');
  try {
    return JSON.parse(text);
  } catch (error) {
    throw jsonParserError(
      `Unexpected character: ${(error as Error).message.replace(/^Unexpected token /, '')} at [line:1, column:1]`,
    );
  }
}

export function readObject(request: ApiRequest): Record<string, unknown> {
  const body = readJson(request);
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw jsonParserError('Cannot deserialize instance of object from START_ARRAY value at [line:1, column:1]');
  }
  return body as Record<string, unknown>;
}

/** Finds the route for a request and runs it; Salesforce errors become their JSON array bodies. */
export function dispatch(routes: readonly Route[], request: ApiRequest): ApiResponse {
  try {
    const route = match(routes, request);
    return route.route.handler(request, route.params);
  } catch (error) {
    if (error instanceof SalesforceError) return json(error.status, error.toBody());
    throw error;
  }
}

export function match(
  routes: readonly Route[],
  request: Pick<ApiRequest, 'method' | 'path'>,
): { route: Route; params: string[] } {
  let pathMatched = false;
  for (const route of routes) {
    const m = route.pattern.exec(request.path);
    if (!m) continue;
    pathMatched = true;
    if (route.method !== request.method) continue;
    return { route, params: m.slice(1).map((p) => decodeURIComponent(p ?? '')) };
  }
  if (pathMatched) {
    throw new SalesforceError(
      405,
      'METHOD_NOT_ALLOWED',
      `HTTP Method '${request.method}' not allowed. Allowed are GET,HEAD,PATCH,POST,DELETE`,
    );
  }
  throw notFound();
}
