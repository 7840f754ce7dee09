/**
 * The one error base class of crm-agent. Every error we raise on purpose carries a stable `code`
 * that callers (CLI exit codes, HTTP status mapping, tests) branch on; the message is for humans.
 * Modelled on @slack/oauth's `errors.ts`: `name` from the constructor, `cause` through ErrorOptions.
 */
export const ErrorCode = {
  ConfigInvalid: 'CONFIG_INVALID',
  ManifestInvalid: 'MANIFEST_INVALID',
  StoreUnreachable: 'STORE_UNREACHABLE',
  StoreDataDirUnwritable: 'STORE_DATA_DIR_UNWRITABLE',
  StoreSchemaNewer: 'STORE_SCHEMA_NEWER',
  StoreSchemaOutdated: 'STORE_SCHEMA_OUTDATED',
  StoreMigrationFailed: 'STORE_MIGRATION_FAILED',
  StoreBusy: 'STORE_BUSY',
  StoreClosed: 'STORE_CLOSED',
  NotBuilt: 'NOT_BUILT',
  Usage: 'USAGE',
  TenantNotFound: 'TENANT_NOT_FOUND',
  NeedsReauth: 'NEEDS_REAUTH',
  CrmApi: 'CRM_API_ERROR',
  BudgetExhausted: 'BUDGET_EXHAUSTED',
  Crypto: 'CRYPTO_ERROR',
  EngineInput: 'ENGINE_INPUT',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

export class CrmAgentError extends Error {
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/** A configuration value is missing or malformed; the message names the variable and what it expects. */
export class ConfigError extends CrmAgentError {
  constructor(message: string, options?: ErrorOptions) {
    super(ErrorCode.ConfigInvalid, message, options);
  }
}

type StoreErrorCode =
  | typeof ErrorCode.StoreUnreachable
  | typeof ErrorCode.StoreDataDirUnwritable
  | typeof ErrorCode.StoreSchemaNewer
  | typeof ErrorCode.StoreSchemaOutdated
  | typeof ErrorCode.StoreMigrationFailed
  | typeof ErrorCode.StoreBusy
  | typeof ErrorCode.StoreClosed;

/** The store cannot be opened, reached or migrated. */
export class StoreError extends CrmAgentError {
  constructor(code: StoreErrorCode, message: string, options?: ErrorOptions) {
    super(code, message, options);
  }
}

/** A command or CRM connector that a later milestone fills in; it never prints fake results. */
export class NotBuiltError extends CrmAgentError {
  constructor(what: string) {
    super(ErrorCode.NotBuilt, `${what.startsWith('the ') ? what : `\`crm-agent ${what}\``} is not built yet.`);
  }
}

export class TenantNotFoundError extends CrmAgentError {
  constructor(tenantId: string) {
    super(ErrorCode.TenantNotFound, `no tenant with id ${tenantId} (list them with \`crm-agent tenants\`)`);
  }
}

/**
 * The CRM refused the tenant's credentials for good (revoked token, refused refresh): the tenant is marked
 * `needs_reauth` and nothing retries until an admin reinstalls.
 */
export class NeedsReauthError extends CrmAgentError {
  constructor(
    readonly tenantId: string,
    reason: string,
    options?: ErrorOptions,
  ) {
    super(ErrorCode.NeedsReauth, `tenant ${tenantId} needs re-authorisation: ${reason}`, options);
  }
}

/** A CRM API call failed after the retries that could help. */
export class CrmApiError extends CrmAgentError {
  constructor(
    message: string,
    readonly details: {
      crm: string;
      status: number;
      /** The CRM's own error code or category (e.g. `VALIDATION_ERROR`, `MALFORMED_QUERY`). */
      crmCode?: string;
      retryable: boolean;
      retryAfterMs?: number;
    },
    options?: ErrorOptions,
  ) {
    super(ErrorCode.CrmApi, message, options);
  }
}

/** crm-agent reached the share of the CRM's API allocation it may use; the run stops cleanly and says so. */
export class BudgetExhaustedError extends CrmAgentError {
  constructor(message: string, options?: ErrorOptions) {
    super(ErrorCode.BudgetExhausted, message, options);
  }
}

/** Ciphertext that does not decrypt (wrong key, tampered, or bound to another tenant). */
export class CryptoError extends CrmAgentError {
  constructor(message: string, options?: ErrorOptions) {
    super(ErrorCode.Crypto, message, options);
  }
}

export function isCrmAgentError(error: unknown): error is CrmAgentError {
  return error instanceof CrmAgentError;
}

/** One line describing any thrown value, for logs and CLI output. */
export function describeError(error: unknown): string {
  const message = (error as { message?: unknown } | null)?.message;
  if (typeof message === 'string' && message !== '') return message.split('\n')[0]!;
  return String(error);
}
