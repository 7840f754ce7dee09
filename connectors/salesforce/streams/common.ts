import type { Clock } from '../../../src/lib/clock.js';
import { CrmApiError } from '../../../src/lib/errors.js';
import type { Logger } from '../../../src/lib/logger.js';
import type { RecordChanges, StreamPage } from '../../../src/ports/crm-connector.js';
import type { SyncCursor } from '../../../src/store/repositories/sync-cursors.js';
import type { SalesforceClient } from '../client.js';
import { parseCsvObjects } from '../csv.js';
import { isoDateTime, type Row } from '../map.js';
import { type Describe, describeSchema, type QueryPage } from '../schemas.js';
import type { SalesforceSettings } from '../settings.js';
import type { Keyset } from '../soql.js';

/** Custom fields copied into `properties` per object, at most (keeps the query URL well inside its limit). */
const MAX_CUSTOM_FIELDS = 100;
/** The prefix of crm-agent's own custom fields (OutputField.apiName). */
const OWN_PREFIX = 'CrmAgent_';

/**
 * The field types of describe's `type` the connector knows how to read as a scalar (SOAP API Developer Guide,
 * "Field Types"; `fieldType` of DescribeSObjectResult). `address` and `location` are compound: never selected
 * themselves, their components are.
 */
const SCALAR_TYPES = new Set([
  'id',
  'reference',
  'string',
  'textarea',
  'email',
  'phone',
  'url',
  'picklist',
  'multipicklist',
  'combobox',
  'boolean',
  'int',
  'long',
  'double',
  'currency',
  'percent',
  'date',
  'datetime',
  'time',
  'encryptedstring',
  'base64',
  'anyType',
]);
const COMPOUND_TYPES = new Set(['address', 'location']);

/** A field the connector leaves out of its queries, and why (reported as a warning, never a failed sync). */
export interface SkippedField {
  object: string;
  field: string;
  type: string;
  reason: string;
}

/** One query chain (a query and its queryMore pages) at a time: Salesforce allows a user only 10 open cursors. */
export class ChainLock {
  private tail: Promise<void> = Promise.resolve();

  async acquire(): Promise<() => void> {
    let release!: () => void;
    const previous = this.tail;
    this.tail = new Promise<void>((resolve) => {
      release = resolve;
    });
    await previous;
    return release;
  }
}

/** Describes each object once per connector, and decides which of its fields to query. */
export class Describer {
  private readonly cache = new Map<string, Promise<Describe>>();

  constructor(private readonly client: SalesforceClient) {}

  /** Forgets every describe (after crm-agent changed the org's metadata: new fields, granted field access). */
  forget(): void {
    this.cache.clear();
  }

  describe(object: string): Promise<Describe> {
    let described = this.cache.get(object);
    if (!described) {
      described = this.client
        .json({ method: 'GET', url: this.client.dataPath(`/sobjects/${object}/describe`) })
        .then((body) => {
          const parsed = describeSchema.safeParse(body);
          if (!parsed.success) {
            throw new CrmApiError(`Salesforce sent a describe of ${object} of an unexpected shape`, {
              crm: 'salesforce',
              status: 200,
              retryable: false,
            });
          }
          return parsed.data;
        });
      described.catch(() => this.cache.delete(object));
      this.cache.set(object, described);
    }
    return described;
  }

  /**
   * The wanted fields the org has (and this user may see), plus its custom fields for `properties` — except
   * formulas on TODAY()/NOW(), whose values change without the record changing (SystemModstamp stays put), and
   * crm-agent's own fields always among them. A compound field (Address, Location) is never selected itself but
   * through its components (`Loc__Latitude__s`, `Loc__Longitude__s`, `Addr__City__s`…): Bulk API 2.0 refuses
   * compounds in a query job ("Selecting compound data not supported in Bulk Query"), and REST and Bulk then read
   * the same fields, the components holding everything the compound would. A field of a type the connector does
   * not know is left out and listed in `skipped`.
   */
  async fields(
    object: string,
    wanted: readonly string[],
  ): Promise<{ names: string[]; types: Map<string, string>; skipped: SkippedField[] }> {
    const d = await this.describe(object);
    const types = new Map(d.fields.map((f) => [f.name, f.type]));
    const compounds = new Set(d.fields.filter((f) => COMPOUND_TYPES.has(f.type)).map((f) => f.name));
    for (const f of d.fields) if (f.compoundFieldName) compounds.add(f.compoundFieldName);
    const customCompounds = new Set(d.fields.filter((f) => f.custom && compounds.has(f.name)).map((f) => f.name));
    const skipped: SkippedField[] = [];
    const readable = (f: Describe['fields'][number]) => {
      if (compounds.has(f.name)) return false;
      if (SCALAR_TYPES.has(f.type)) return true;
      skipped.push({
        object,
        field: f.name,
        type: f.type,
        reason: `field type '${f.type}' is not one the connector reads`,
      });
      return false;
    };
    const byName = new Map(d.fields.map((f) => [f.name, f]));
    const names = wanted.filter((name) => {
      const f = byName.get(name);
      return f !== undefined && readable(f);
    });
    // crm-agent's own fields first: write-back compares its plan with the values they hold now.
    const custom = d.fields
      .filter(
        (f) =>
          (f.custom || (f.compoundFieldName != null && customCompounds.has(f.compoundFieldName))) &&
          !names.includes(f.name) &&
          !/\b(TODAY|NOW)\s*\(/i.test(f.calculatedFormula ?? '') &&
          readable(f),
      )
      .sort((a, b) => Number(b.name.startsWith(OWN_PREFIX)) - Number(a.name.startsWith(OWN_PREFIX)))
      .slice(0, MAX_CUSTOM_FIELDS)
      .map((f) => f.name);
    const unique = [...new Map(skipped.map((s) => [s.field, s])).values()];
    return { names: [...names, ...custom], types, skipped: unique };
  }
}

export interface StreamDeps {
  client: SalesforceClient;
  settings: SalesforceSettings;
  describer: Describer;
  chains: ChainLock;
  clock: Clock;
  logger: Logger;
}

/** Bulk CSV cells as the REST API would have typed them: numbers, booleans, and null for empty cells. */
export function typedRows(csv: string, types: ReadonlyMap<string, string>): Row[] {
  return parseCsvObjects(csv).map((row) => {
    const out: Row = {};
    for (const [key, value] of Object.entries(row)) {
      const type = types.get(key);
      if (value === '') out[key] = null;
      else if (type === 'boolean') out[key] = value === 'true';
      else if (type === 'int' || type === 'double' || type === 'currency' || type === 'percent')
        out[key] = Number(value);
      else out[key] = value;
    }
    return out;
  });
}

/**
 * Whether a stream carries on with the pass its cursor describes: an unfinished pass is resumed (an interrupted full
 * pass even by an incremental sync, since its watermark is not valid yet); `--full` starts over from an unfinished
 * incremental one.
 */
export function resumes(
  previous: { done?: unknown; pass?: unknown } | undefined,
  mode: 'full' | 'incremental',
): boolean {
  return (
    previous?.done === false && previous.pass !== undefined && !(mode === 'full' && previous.pass === 'incremental')
  );
}

export const isInvalidLocator = (error: unknown) =>
  error instanceof CrmApiError && error.details.crmCode === 'INVALID_QUERY_LOCATOR';

/** Counts the requests a stream makes between the pages it yields. */
export function requestMeter(client: SalesforceClient): () => { requests: number; throttled: number } {
  let requests = client.requests;
  let throttled = client.throttled;
  return () => {
    const out = { requests: client.requests - requests, throttled: client.throttled - throttled };
    requests = client.requests;
    throttled = client.throttled;
    return out;
  };
}

export function page(
  changes: RecordChanges,
  cursor: SyncCursor,
  meter: () => { requests: number; throttled: number },
): StreamPage {
  return { changes, cursor, ...meter() };
}

/** The later of two keyset positions. */
export function laterOf(a: Keyset | null | undefined, b: Keyset | null | undefined): Keyset | null {
  if (!a) return b ?? null;
  if (!b) return a;
  const d = Date.parse(a.ts) - Date.parse(b.ts);
  return d > 0 || (d === 0 && a.id > b.id) ? a : b;
}

/** A keyset position moved to `row` if the row comes later (bulk results arrive in no particular order). */
export function laterKey(current: Keyset | null, row: Row, field: string): Keyset | null {
  const ts = rowTime(row, field);
  return ts && typeof row.Id === 'string' ? laterOf(current, { ts, id: row.Id }) : current;
}

export function minusSeconds(iso: string, seconds: number): string {
  return new Date(Date.parse(iso) - seconds * 1000).toISOString();
}

/** A row's timestamp field as ISO (undefined when absent or unreadable). */
export function rowTime(row: Row, field: string): string | undefined {
  const v = row[field];
  if (typeof v !== 'string') return undefined;
  try {
    return isoDateTime(v);
  } catch {
    return undefined;
  }
}

/**
 * Follows one query chain page by page, holding the chain lock while it is open. When Salesforce drops the cursor
 * (INVALID_QUERY_LOCATOR: too many open cursors, or one that went stale) the query starts again from `restart()`,
 * the keyset position of the last row already handed out: nothing is skipped, nothing is lost.
 */
export async function* chain(deps: StreamDeps, start: () => { soql: string; all: boolean }): AsyncGenerator<QueryPage> {
  const release = await deps.chains.acquire();
  try {
    const first = start();
    let current = await deps.client.query(first.soql, { all: first.all, batchSize: deps.settings.batchSize });
    let restarts = 0;
    for (;;) {
      yield current;
      if (current.done || !current.nextRecordsUrl) return;
      try {
        current = await deps.client.queryMore(current.nextRecordsUrl, { batchSize: deps.settings.batchSize });
        restarts = 0;
      } catch (error) {
        if (!isInvalidLocator(error) || restarts >= 3) throw error;
        restarts++;
        deps.logger.warn(
          { restarts },
          'Salesforce dropped the query cursor (INVALID_QUERY_LOCATOR): querying again from the last row read',
        );
        const again = start();
        current = await deps.client.query(again.soql, { all: again.all, batchSize: deps.settings.batchSize });
      }
    }
  } finally {
    release();
  }
}
