import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';

/** Where HubSpot's published OpenAPI files are copied on the project's machine (read-only; see its README). */
export const HUBSPOT_OPENAPI_DIR = '/work/shared/reference/hubspot-openapi';

/** The files' place beside a checkout: `<ancestor>/shared/reference/hubspot-openapi`. */
const BESIDE = join('shared', 'reference', 'hubspot-openapi');

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/**
 * Finds HubSpot's OpenAPI files from any checkout: `HUBSPOT_OPENAPI_DIR` when set (it must hold them), else
 * `shared/reference/hubspot-openapi` beside the repository or beside any folder above it (`../shared/…` from
 * /work/main, `../../shared/…` from a worktree), else the project machine's copy. Throws, naming every place tried,
 * when none holds a spec file: the contract test fails, it never skips.
 */
export function findHubSpotOpenApiDir(
  options: { env?: NodeJS.ProcessEnv; from?: string; fallback?: string } = {},
): string {
  const env = options.env ?? process.env;
  const holdsSpecs = (dir: string) => existsSync(dir) && readdirSync(dir).some((f) => f.endsWith('.json'));
  const given = env.HUBSPOT_OPENAPI_DIR;
  if (given) {
    if (holdsSpecs(given)) return given;
    throw new Error(`HUBSPOT_OPENAPI_DIR=${given} holds no HubSpot OpenAPI file (*.json)`);
  }
  const tried: string[] = [];
  for (let dir = resolve(options.from ?? REPO_ROOT); ; dir = dirname(dir)) {
    const candidate = join(dir, BESIDE);
    tried.push(candidate);
    if (holdsSpecs(candidate)) return candidate;
    if (dirname(dir) === dir) break;
  }
  const fallback = options.fallback ?? HUBSPOT_OPENAPI_DIR;
  tried.push(fallback);
  if (holdsSpecs(fallback)) return fallback;
  throw new Error(
    `HubSpot's OpenAPI files were not found (tried ${tried.join(', ')}): copy them from github.com/HubSpot/HubSpot-public-api-spec-collection to shared/reference/hubspot-openapi beside the checkout, or set HUBSPOT_OPENAPI_DIR`,
  );
}

type Json = Record<string, unknown>;

/**
 * A place where HubSpot's real responses differ from its published spec, and how the spec is relaxed to follow the
 * real behaviour. Each is listed, with its source, in test/contract/hubspot-openapi-known-differences.md.
 */
interface KnownDifference {
  /** A spec file name prefix, e.g. `CRM_Associations-v4`. */
  file: string;
  /** A components.schemas name. */
  schema: string;
  /** The property path inside that schema, e.g. `properties.toObjectId`. */
  at: string;
  /** The schema put in its place. */
  becomes: Json;
}

export const KNOWN_DIFFERENCES: KnownDifference[] = [
  // Associations v4: real responses carry object ids as JSON numbers (HubSpot's Postman collection says integer).
  {
    file: 'CRM_Associations-v4',
    schema: 'MultiAssociatedObjectWithLabel',
    at: 'properties.toObjectId',
    becomes: { type: ['integer', 'string'] },
  },
  // Associations v4: an unlabelled association's `label` is null.
  {
    file: 'CRM_Associations-v4',
    schema: 'AssociationSpecWithLabel',
    at: 'properties.label',
    becomes: { type: ['string', 'null'] },
  },
  // Record property values are `string | null` (the SDK's generated models say so; the spec says string).
  ...[
    'CRM_Objects-v3',
    'CRM_Contacts-v3',
    'CRM_Companies-v3',
    'CRM_Deals-v3',
    'CRM_Line_Items-v3',
    'CRM_Products-v3',
    'CRM_Tasks-v3',
  ].flatMap((file) =>
    ['SimplePublicObject', 'SimplePublicObjectWithAssociations', 'SimplePublicUpsertObject'].map((schema) => ({
      file,
      schema,
      at: 'properties.properties',
      becomes: { type: 'object', additionalProperties: { type: ['string', 'null'] } },
    })),
  ),
];

/**
 * HubSpot's 429 body, which the spec's `Error` (category required) does not describe: as documented on "API usage
 * guidelines and limits" (developers.hubspot.com/docs/guides/apps/api-usage/usage-details) and retried by
 * @hubspot/api-client on its `policyName`.
 */
export const RATE_LIMIT_BODY: Json = {
  type: 'object',
  required: ['status', 'message', 'errorType', 'correlationId', 'policyName'],
  properties: {
    status: { const: 'error' },
    message: { type: 'string' },
    errorType: { const: 'RATE_LIMIT' },
    correlationId: { type: 'string', format: 'uuid' },
    policyName: { enum: ['TEN_SECONDLY_ROLLING', 'SECONDLY', 'DAILY'] },
    groupName: { type: 'string' },
    requestId: { type: 'string' },
  },
};

/** OpenAPI 3.0's `nullable: true` as JSON Schema: the value or null. */
function nullableToUnion(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(nullableToUnion);
  if (node === null || typeof node !== 'object') return node;
  const out: Json = {};
  for (const [key, value] of Object.entries(node as Json)) {
    if (key === 'nullable' || key === 'example' || key === 'examples') continue;
    out[key] = nullableToUnion(value);
  }
  if ((node as Json).nullable === true) return { anyOf: [out, { type: 'null' }] };
  return out;
}

interface Operation {
  file: string;
  template: string;
  method: string;
  pattern: RegExp;
  /** Path parameters in the template: more means less specific. */
  params: number;
  responses: Record<string, Json>;
}

export interface Validation {
  /** `METHOD template` of the spec operation, or null when no spec file describes the request. */
  operation: string | null;
  /** The response code the body was checked against (`default` for errors without their own). */
  checkedAs: string | null;
  errors: string[];
}

/** HubSpot's published OpenAPI files, compiled with ajv: checks a response against its operation. */
export class HubSpotOpenApi {
  private readonly ajv = new Ajv({ strict: false, allErrors: true, validateSchema: false });
  private readonly operations: Operation[] = [];
  private readonly compiled = new Map<string, ValidateFunction>();
  private rateLimit: ValidateFunction | undefined;

  constructor(dir = findHubSpotOpenApiDir()) {
    // ajv-formats is CommonJS: its default export arrives as the module namespace under ESM.
    const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ??
      addFormatsModule) as unknown as (ajv: Ajv) => void;
    addFormats(this.ajv);
    for (const format of ['int32', 'int64', 'double', 'float', 'byte', 'binary', 'password'])
      this.ajv.addFormat(format, true);
    for (const name of readdirSync(dir).filter((f) => f.endsWith('.json'))) {
      const file = name.replace(/\.json$/, '');
      const spec = nullableToUnion(JSON.parse(readFileSync(join(dir, name), 'utf8'))) as {
        paths: Record<string, Record<string, { responses?: Record<string, Json> }>>;
        components?: { schemas?: Record<string, Json>; responses?: Record<string, Json> };
      };
      for (const difference of KNOWN_DIFFERENCES.filter((d) => file.startsWith(d.file))) {
        const schema = spec.components?.schemas?.[difference.schema];
        if (!schema) continue;
        const keys = difference.at.split('.');
        let parent: Json = schema;
        for (const key of keys.slice(0, -1)) parent = (parent[key] ?? {}) as Json;
        if (parent[keys.at(-1)!] !== undefined) parent[keys.at(-1)!] = difference.becomes;
      }
      this.ajv.addSchema(spec as Json, file);
      for (const [template, methods] of Object.entries(spec.paths)) {
        const pattern = new RegExp(
          `^${template.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/\\\{[^}]+\\\}/g, '[^/]+')}$`,
        );
        for (const [method, op] of Object.entries(methods)) {
          if (!op.responses) continue;
          const responses: Record<string, Json> = {};
          for (const [code, response] of Object.entries(op.responses)) {
            const ref = response.$ref as string | undefined;
            const resolved = ref ? spec.components?.responses?.[ref.split('/').at(-1)!] : response;
            if (resolved) responses[code] = resolved;
          }
          this.operations.push({
            file,
            template,
            method: method.toUpperCase(),
            pattern,
            params: (template.match(/\{/g) ?? []).length,
            responses,
          });
        }
      }
    }
  }

  /** The most specific operation for a request, or undefined. */
  operation(method: string, path: string): Operation | undefined {
    // HubSpot serves `/crm/v3/owners/` (its docs' form) as `/crm/v3/owners`.
    const bare = path.length > 1 ? path.replace(/\/$/, '') : path;
    return this.operations
      .filter((op) => op.method === method.toUpperCase() && op.pattern.test(bare))
      .sort((a, b) => a.params - b.params || a.file.localeCompare(b.file))[0];
  }

  /** Checks one response body (parsed JSON) against the spec's schema for its operation and status. */
  validate(method: string, path: string, status: number, body: unknown): Validation {
    const op = this.operation(method, path);
    if (!op) return { operation: null, checkedAs: null, errors: [] };
    const operation = `${op.method} ${op.template}`;
    if (status === 429 && !op.responses['429']) {
      this.rateLimit ??= this.ajv.compile(RATE_LIMIT_BODY);
      return { operation, checkedAs: '429 (known difference)', errors: this.errorsOf(this.rateLimit, body) };
    }
    const code = op.responses[String(status)] ? String(status) : op.responses.default ? 'default' : null;
    if (!code) return { operation, checkedAs: null, errors: [`status ${status} is not in the spec`] };
    const content = op.responses[code]!.content as Record<string, { schema?: Json }> | undefined;
    const schema = content?.['application/json']?.schema ?? content?.['*/*']?.schema;
    if (!schema) {
      const empty = body === undefined || body === null || body === '';
      return { operation, checkedAs: code, errors: empty ? [] : ['a body where the spec has none'] };
    }
    const key = `${op.file} ${op.method} ${op.template} ${code}`;
    let validate = this.compiled.get(key);
    if (!validate) {
      // Local references resolve inside the spec file the schema came from.
      const rooted = JSON.parse(JSON.stringify(schema).replace(/"\$ref":"#/g, `"$ref":"${op.file}#`)) as Json;
      validate = this.ajv.compile(rooted);
      this.compiled.set(key, validate);
    }
    return { operation, checkedAs: code, errors: this.errorsOf(validate, body) };
  }

  private errorsOf(validate: ValidateFunction, body: unknown): string[] {
    if (validate(body)) return [];
    return (validate.errors ?? []).map(
      (e) => `${e.instancePath || '/'} ${e.message ?? ''} ${JSON.stringify(e.params)}`,
    );
  }
}
