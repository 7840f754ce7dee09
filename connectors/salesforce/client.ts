import type { TokenProvider } from '../../src/auth/token-provider.js';
import type { Clock } from '../../src/lib/clock.js';
import { BudgetExhaustedError, CrmApiError } from '../../src/lib/errors.js';
import { attemptSignal, backoffCeiling, fullJitter, parseRetryAfter } from '../../src/lib/http/backoff.js';
import { sendWithRetries } from '../../src/lib/http/send-with-retries.js';
import type { Logger } from '../../src/lib/logger.js';
import type { ApiBudget } from './budget.js';
import { errorBodySchema, type QueryPage, queryPageSchema } from './schemas.js';
import { API_VERSION } from './settings.js';

export interface SalesforceClientOptions {
  tokens: TokenProvider;
  fetch: typeof fetch;
  clock: Clock;
  logger: Logger;
  /** The org's instance URL now (it can change with a token refresh). */
  instanceUrl(): string;
  budget: ApiBudget;
  /** Tries per request for transient failures (5xx, network) of idempotent requests. Default 5. */
  maxAttempts?: number;
  /** Backoff: full jitter on base × 2^n, capped. */
  backoffBaseMs?: number;
  backoffCapMs?: number;
  random?: () => number;
  /** Per-request timeout. Default 120 s. */
  timeoutMs?: number;
  /**
   * Session refreshes one request may do after 401 INVALID_SESSION_ID. A request backing off on transient
   * failures can outlive several sessions, so every expiry is answered with a refresh; the bound stops a session
   * the org keeps refusing. Default 5.
   */
  maxRefreshes?: number;
}

export interface SfRequest {
  method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';
  /** Absolute URL, or a path from the instance root (`/services/data/...`). */
  url: string;
  body?: string;
  headers?: Record<string, string>;
  /** Safe to send again after an ambiguous failure. GET is; writes are not unless the caller says so. */
  idempotent?: boolean;
  signal?: AbortSignal;
}

export interface SfResponse {
  status: number;
  headers: Headers;
  text: string;
}

const TRANSIENT = new Set([429, 500, 502, 503, 504]);

/** The first error of a Salesforce error array, on one line. */
function describeFailure(status: number, text: string): { code: string | undefined; message: string } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return { code: undefined, message: text.slice(0, 200) || `HTTP ${status}` };
  }
  const errors = errorBodySchema.safeParse(parsed);
  const first = errors.success ? errors.data[0] : undefined;
  const message = (first?.message ?? text)
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .join(' | ');
  return { code: first?.errorCode, message: message.slice(0, 500) };
}

/**
 * Talks to one org's REST API with fetch. Every request first takes from crm-agent's share of the org's daily
 * allocation (and reads Sforce-Limit-Info back); every 401 INVALID_SESSION_ID refreshes the session (the token
 * provider keeps one refresh in flight; at most `maxRefreshes` per request) and resends; transient failures of idempotent requests are retried with
 * jittered exponential backoff on the injected clock; a write whose outcome is unknown is never sent twice.
 * Failures are CrmApiErrors carrying Salesforce's errorCode; 403 REQUEST_LIMIT_EXCEEDED is a BudgetExhaustedError.
 */
export class SalesforceClient {
  /** Requests sent (attempts included), and those retried after a transient failure. */
  requests = 0;
  throttled = 0;

  constructor(private readonly options: SalesforceClientOptions) {}

  dataPath(path: string): string {
    return `/services/data/v${API_VERSION}${path}`;
  }

  send(request: SfRequest): Promise<SfResponse> {
    const { clock, tokens, budget } = this.options;
    const maxAttempts = this.options.maxAttempts ?? 5;
    const idempotent = request.idempotent ?? request.method === 'GET';
    let attempt = 0;
    return sendWithRetries<SfResponse>({
      tokens,
      clock,
      maxRefreshes: this.options.maxRefreshes ?? 5,
      signal: request.signal,
      attempt: async ({ token, canRefresh }) => {
        attempt++;
        await budget.take();
        const url = request.url.startsWith('http') ? request.url : `${this.options.instanceUrl()}${request.url}`;
        this.requests++;
        let response: Response;
        try {
          response = await this.options.fetch(url, {
            method: request.method,
            headers: { authorization: `Bearer ${token}`, accept: 'application/json', ...request.headers },
            ...(request.body !== undefined ? { body: request.body } : {}),
            signal: attemptSignal(this.options.timeoutMs ?? 120_000, request.signal),
          });
        } catch (error) {
          if (request.signal?.aborted) return { kind: 'fail', error: request.signal.reason };
          if (idempotent && attempt < maxAttempts) {
            this.throttled++;
            return { kind: 'retry', waitMs: this.backoff(attempt) };
          }
          const failure = new CrmApiError(
            `Salesforce could not be reached (${request.method} ${new URL(url).pathname}): ${(error as Error).message}`,
            { crm: 'salesforce', status: 0, retryable: true },
            { cause: error },
          );
          return { kind: 'fail', error: failure };
        }
        budget.observe(response.headers.get('sforce-limit-info'));
        const text = await response.text();
        if (response.status < 400 || response.status === 300) {
          return { kind: 'done', value: { status: response.status, headers: response.headers, text } };
        }
        const failure = describeFailure(response.status, text);
        if (response.status === 401 && canRefresh) {
          // A refused session does not count as an attempt: the request goes again with the new one.
          attempt--;
          return { kind: 'refresh' };
        }
        if (response.status === 403 && failure.code === 'REQUEST_LIMIT_EXCEEDED') {
          const error = new BudgetExhaustedError(
            `the Salesforce org refused the request: REQUEST_LIMIT_EXCEEDED (${response.headers.get('sforce-limit-info') ?? 'daily allocation used up'}). ` +
              'The sync stops here and resumes from its last checkpoint once the org has requests left.',
          );
          return { kind: 'fail', error };
        }
        if (TRANSIENT.has(response.status) && idempotent && attempt < maxAttempts) {
          this.throttled++;
          const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'), clock.now()) ?? 0;
          return { kind: 'retry', waitMs: Math.max(this.backoff(attempt), retryAfterMs) };
        }
        const error = new CrmApiError(
          `Salesforce answered ${response.status} ${failure.code ?? ''}: ${failure.message}`.replace('  ', ' '),
          {
            crm: 'salesforce',
            status: response.status,
            ...(failure.code ? { crmCode: failure.code } : {}),
            retryable: TRANSIENT.has(response.status),
          },
        );
        return { kind: 'fail', error };
      },
    });
  }

  /** Full jitter under min(cap, base·2^(attempt−1)). */
  private backoff(attempt: number): number {
    const ceiling = backoffCeiling(attempt, this.options.backoffBaseMs ?? 500, this.options.backoffCapMs ?? 30_000);
    return fullJitter(ceiling, this.options.random ?? Math.random);
  }

  async json(request: SfRequest): Promise<unknown> {
    const response = await this.send(request);
    try {
      return JSON.parse(response.text) as unknown;
    } catch (error) {
      throw new CrmApiError(
        `Salesforce sent a response that is not JSON (${request.method} ${request.url})`,
        {
          crm: 'salesforce',
          status: response.status,
          retryable: false,
        },
        { cause: error },
      );
    }
  }

  /** The first page of a SOQL query (`all`: queryAll, deleted rows included). */
  query(soql: string, options: { all?: boolean; batchSize?: number; signal?: AbortSignal } = {}): Promise<QueryPage> {
    const path = this.dataPath(`/${options.all ? 'queryAll' : 'query'}?q=${encodeURIComponent(soql)}`);
    return this.page(path, options);
  }

  /** The page a previous page's `nextRecordsUrl` points at. */
  queryMore(nextRecordsUrl: string, options: { batchSize?: number; signal?: AbortSignal } = {}): Promise<QueryPage> {
    return this.page(nextRecordsUrl, options);
  }

  private async page(url: string, options: { batchSize?: number; signal?: AbortSignal }): Promise<QueryPage> {
    const body = await this.json({
      method: 'GET',
      url,
      ...(options.batchSize ? { headers: { 'sforce-query-options': `batchSize=${options.batchSize}` } } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
    });
    const parsed = queryPageSchema.safeParse(body);
    if (!parsed.success) {
      throw new CrmApiError(`Salesforce sent a query page of an unexpected shape: ${parsed.error.issues[0]?.message}`, {
        crm: 'salesforce',
        status: 200,
        retryable: false,
      });
    }
    return parsed.data;
  }
}
