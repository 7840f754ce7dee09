import type { SandboxContext } from '../context.js';
import { SalesforceError } from '../errors.js';
import { type ApiRequest, type ApiResponse, json, match, type Route, readObject } from '../http.js';

const MAX_SUBREQUESTS = 25;
const MAX_HEAVY = 5;

interface SubRequest {
  method: string;
  url: string;
  referenceId: string;
  body?: unknown;
  httpHeaders?: Record<string, string>;
}

const HALTED = 'The transaction was rolled back since another operation in the same transaction failed.';

/** Resolves `@{ref.field}` and `@{ref.records[0].Id}` against earlier subresponses. */
function resolveReferences(text: string, results: Map<string, { ok: boolean; body: unknown }>): string {
  return text.replace(/@\{([\w]+)((?:\.[\w]+|\[\d+\])*)\}/g, (whole, ref: string, path: string) => {
    const result = results.get(ref);
    if (!result?.ok) {
      throw new SalesforceError(
        400,
        'PROCESSING_HALTED',
        `Invalid reference specified. No value for ${ref}${path} found in ${ref}. Provided referenceId ${ref} is either invalid or not in the correct order.`,
      );
    }
    let value: unknown = result.body;
    for (const part of path.match(/\.[\w]+|\[\d+\]/g) ?? []) {
      const key = part.startsWith('[') ? Number(part.slice(1, -1)) : part.slice(1);
      value = value === null || value === undefined ? undefined : (value as Record<string | number, unknown>)[key];
    }
    if (value === undefined) {
      throw new SalesforceError(
        400,
        'PROCESSING_HALTED',
        `Invalid reference specified. No value for ${whole.slice(2, -1)} found in ${ref}.`,
      );
    }
    return String(value);
  });
}

/**
 * Composite: up to 25 subrequests (at most 5 of them queries or collections) in one call that counts once against
 * the allocation. The answer is HTTP 200 with each subrequest's own status and body, failures included; with
 * allOrNone one failure rolls back every subrequest.
 */
export function compositeRoutes(ctx: SandboxContext, routes: () => readonly Route[]): Route[] {
  return [
    {
      method: 'POST',
      pattern: /^\/composite\/?$/,
      handler: (request) => {
        const body = readObject(request);
        const subrequests = body.compositeRequest;
        if (!Array.isArray(subrequests) || subrequests.length === 0) {
          throw new SalesforceError(400, 'INVALID_FIELD', 'compositeRequest is required');
        }
        if (subrequests.length > MAX_SUBREQUESTS) {
          throw new SalesforceError(
            400,
            'LIMIT_EXCEEDED',
            `Maximum number of subrequests (${MAX_SUBREQUESTS}) exceeded`,
          );
        }
        const subs = subrequests as SubRequest[];
        const heavy = subs.filter((s) => {
          try {
            return match(routes(), { method: s.method, path: subPath(s.url, request.version).path }).route.heavy;
          } catch {
            return false;
          }
        }).length;
        if (heavy > MAX_HEAVY) {
          throw new SalesforceError(
            400,
            'LIMIT_EXCEEDED',
            `Maximum number of query and collection subrequests (${MAX_HEAVY}) exceeded`,
          );
        }
        const allOrNone = body.allOrNone === true;
        const results = new Map<string, { ok: boolean; body: unknown }>();
        const responses: Array<Record<string, unknown>> = [];
        const runAll = () => {
          for (const sub of subs) {
            const response = runSub(ctx, routes(), request, sub, results);
            results.set(sub.referenceId, { ok: response.status < 400, body: response.body });
            responses.push({
              body: response.body ?? null,
              httpHeaders: response.headers?.location ? { Location: response.headers.location } : {},
              httpStatusCode: response.status,
              referenceId: sub.referenceId,
            });
            if (allOrNone && response.status >= 400) throw new CompositeFailed();
          }
        };
        if (!allOrNone) {
          runAll();
          return json(200, { compositeResponse: responses });
        }
        try {
          ctx.state.transaction(runAll);
        } catch (error) {
          if (!(error instanceof CompositeFailed)) throw error;
          const failed = responses.length - 1;
          return json(200, {
            compositeResponse: subs.map((sub, i) =>
              i === failed
                ? responses[i]
                : {
                    body: [{ errorCode: 'PROCESSING_HALTED', message: HALTED }],
                    httpHeaders: {},
                    httpStatusCode: 400,
                    referenceId: sub.referenceId,
                  },
            ),
          });
        }
        return json(200, { compositeResponse: responses });
      },
    },
  ];
}

class CompositeFailed extends Error {}

function subPath(url: string, version: string): { path: string; query: URLSearchParams; version: string } {
  const parsed = new URL(url, 'http://composite.invalid');
  const m = /^\/services\/data\/v(\d+\.\d)(\/.*)?$/.exec(parsed.pathname);
  if (!m) throw new SalesforceError(400, 'INVALID_FIELD', `The url must start with /services/data/v${version}`);
  return { path: m[2] ?? '/', query: parsed.searchParams, version: m[1]! };
}

function runSub(
  ctx: SandboxContext,
  routes: readonly Route[],
  parent: ApiRequest,
  sub: SubRequest,
  results: Map<string, { ok: boolean; body: unknown }>,
): ApiResponse {
  try {
    const url = resolveReferences(sub.url, results);
    const bodyText = sub.body === undefined ? '' : resolveReferences(JSON.stringify(sub.body), results);
    const { path, query, version } = subPath(url, parent.version);
    const headers: Record<string, string | undefined> = {};
    for (const [k, v] of Object.entries(sub.httpHeaders ?? {})) headers[k.toLowerCase()] = v;
    const request: ApiRequest = {
      method: sub.method.toUpperCase(),
      path,
      query,
      headers,
      body: Buffer.from(bodyText),
      version,
      userId: parent.userId,
    };
    const route = match(routes, request);
    return ctx.state.savepoint(() => {
      const response = route.route.handler(request, route.params);
      if (response.status >= 400) throw new SubFailed(response);
      return response;
    });
  } catch (error) {
    if (error instanceof SubFailed) return error.response;
    if (error instanceof SalesforceError) return json(error.status, error.toBody());
    throw error;
  }
}

/** A subrequest that answered an error after writing: thrown to undo its own writes, then reported. */
class SubFailed extends Error {
  constructor(readonly response: ApiResponse) {
    super('subrequest failed');
  }
}
