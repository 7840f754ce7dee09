import { randomUUID } from 'node:crypto';

/**
 * HubSpot's error bodies, as the public API sends them: `{ status: "error", message, correlationId, category,
 * subCategory?, errors?, context?, links? }`, and the 429 body with `errorType` and `policyName`.
 */
export interface HubSpotErrorBody {
  status: 'error';
  message: string;
  correlationId: string;
  category?: string;
  subCategory?: string;
  errors?: Array<Record<string, unknown>>;
  context?: Record<string, unknown>;
  links?: Record<string, string>;
  errorType?: string;
  policyName?: string;
  groupName?: string;
  requestId?: string;
}

/** An error a route throws; the app's error handler answers `status` with `body`. */
export class HubSpotHttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: HubSpotErrorBody | Record<string, unknown>,
    readonly headers: Record<string, string> = {},
  ) {
    super(typeof body.message === 'string' ? body.message : `HTTP ${status}`);
  }
}

function errorBody(message: string, category: string, extra: Partial<HubSpotErrorBody> = {}): HubSpotErrorBody {
  return { status: 'error', message, correlationId: randomUUID(), category, ...extra };
}

export function validationError(message: string, extra: Partial<HubSpotErrorBody> = {}): HubSpotHttpError {
  return new HubSpotHttpError(400, errorBody(message, 'VALIDATION_ERROR', extra));
}

export function notFound(message = 'resource not found'): HubSpotHttpError {
  return new HubSpotHttpError(404, errorBody(message, 'OBJECT_NOT_FOUND'));
}

export function conflict(message: string, category = 'CONFLICT', extra: Partial<HubSpotErrorBody> = {}) {
  return new HubSpotHttpError(409, errorBody(message, category, extra));
}

export function invalidAuthentication(): HubSpotHttpError {
  return new HubSpotHttpError(
    401,
    errorBody(
      'Authentication credentials not found. This API supports OAuth 2.0 authentication and you can find more details at https://developers.hubspot.com/docs/methods/auth/oauth-overview',
      'INVALID_AUTHENTICATION',
    ),
  );
}

export function expiredAuthentication(expiredAt: number, now: number): HubSpotHttpError {
  const minutes = Math.max(0, Math.floor((now - expiredAt) / 60_000));
  return new HubSpotHttpError(
    401,
    errorBody(`The OAuth token used to make this call expired ${minutes} minute(s) ago.`, 'EXPIRED_AUTHENTICATION', {
      context: { 'expire time': [new Date(expiredAt).toUTCString()] },
    }),
  );
}

export function missingScopes(required: string[]): HubSpotHttpError {
  return new HubSpotHttpError(
    403,
    errorBody(
      "This app hasn't been granted all required scopes to make this call. Read more about required scopes here: https://developers.hubspot.com/scopes.",
      'MISSING_SCOPES',
      {
        errors: [
          { message: 'One or more of the following scopes are required.', context: { requiredScopes: required } },
        ],
        links: { scopes: 'https://developers.hubspot.com/scopes' },
      },
    ),
  );
}

/** The burst (or daily) limit: HubSpot's 429 body, which the official client retries by `policyName`. */
export function rateLimited(policy: 'TEN_SECONDLY_ROLLING' | 'DAILY', headers: Record<string, string> = {}) {
  const message =
    policy === 'DAILY' ? 'You have reached your daily limit.' : 'You have reached your ten_secondly_rolling limit.';
  return new HubSpotHttpError(
    429,
    {
      status: 'error',
      message,
      errorType: 'RATE_LIMIT',
      correlationId: randomUUID(),
      policyName: policy,
      groupName: policy === 'DAILY' ? 'api-calls-daily' : 'api-calls-burst',
      requestId: randomUUID(),
    },
    headers,
  );
}

/** The search API's own limit: the "secondly" body (the official client matches this exact message), no headers. */
export function searchRateLimited(): HubSpotHttpError {
  return new HubSpotHttpError(429, {
    status: 'error',
    message: 'You have reached your secondly limit.',
    errorType: 'RATE_LIMIT',
    correlationId: randomUUID(),
    policyName: 'SECONDLY',
    requestId: randomUUID(),
  });
}

export function serverError(status: number): HubSpotHttpError {
  const message =
    status === 502 || status === 504
      ? 'The server did not respond in time.'
      : 'An internal error occurred. Please try again.';
  return new HubSpotHttpError(status, errorBody(message, 'INTERNAL_ERROR'));
}

/** One invalid property value, in the shape HubSpot embeds in its VALIDATION_ERROR message. */
export interface PropertyValueError {
  isValid: false;
  message: string;
  error: string;
  name: string;
  localizedErrorMessage: string;
}

export function propertyValueError(name: string, error: string, message: string): PropertyValueError {
  return { isValid: false, message, error, name, localizedErrorMessage: message };
}

/**
 * HubSpot's answer to a write with invalid property values: the errors are JSON inside the message and nowhere else
 * (`{ status, message: "Property values were not valid: [{\"isValid\":false,…}]", correlationId, category }`, as
 * recorded from the real API in github.com/gregorspan/csc-frodx/issues/21), so a client reads the message.
 */
export function invalidProperties(errors: PropertyValueError[]): HubSpotHttpError {
  return validationError(`Property values were not valid: ${JSON.stringify(errors)}`);
}

/** OAuth endpoints answer in RFC 6749 style with HubSpot's own status and message alongside. */
export function oauthError(status: number, error: string, hubspotStatus: string, description: string) {
  return new HubSpotHttpError(status, {
    error,
    error_description: description,
    status: hubspotStatus,
    message: description,
    correlationId: randomUUID(),
  });
}

/** A 207 batch's per-input error entry (StandardError). */
export function standardError(
  category: string,
  message: string,
  context: Record<string, unknown> = {},
  status = 'error',
): Record<string, unknown> {
  return { status, category, message, context, errors: [], links: {} };
}
