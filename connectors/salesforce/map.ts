import { z } from 'zod';
import type {
  Association,
  Company,
  Contact,
  Deal,
  DealStageChange,
  LineItem,
  ObjectType,
  Owner,
  Product,
  RawProperties,
} from '../../src/domain/records.js';
import type { RecordChanges } from '../../src/ports/crm-connector.js';
import type { SalesforceSettings } from './settings.js';

/** A row as a query returns it (REST JSON, or a Bulk CSV row converted to the same types). */
export type Row = Record<string, unknown>;

/** Salesforce datetimes (`2026-11-01T09:30:00.000+0000`) and dates (`2026-11-01`) as ISO-8601 UTC. */
export function isoDateTime(value: string): string {
  // The shape Salesforce always sends, converted without parsing (this runs for every timestamp of every row).
  if (value.length === 28 && value.endsWith('+0000') && value[10] === 'T' && value[19] === '.') {
    return `${value.slice(0, 23)}Z`;
  }
  if (value.length === 10 && value[4] === '-' && value[7] === '-') return `${value}T00:00:00.000Z`;
  const normalized = /^\d{4}-\d{2}-\d{2}$/.test(value)
    ? `${value}T00:00:00Z`
    : value.replace(/([+-]\d{2})(\d{2})$/, '$1:$2');
  const ms = Date.parse(normalized);
  if (Number.isNaN(ms)) throw new Error(`not a date: ${value}`);
  return new Date(ms).toISOString();
}

const id = z.string().regex(/^[a-zA-Z0-9]{15}(?:[a-zA-Z0-9]{3})?$/, 'not a Salesforce id');
const text = z
  .string()
  .nullish()
  .transform((v) => v ?? null);
const refId = id.nullish().transform((v) => v ?? null);
const num = z
  .number()
  .nullish()
  .transform((v) => v ?? null);
const bool = z
  .boolean()
  .nullish()
  .transform((v) => v ?? false);
const when = z
  .string()
  .nullish()
  .transform((v, ctx) => {
    if (v === null || v === undefined) return null;
    try {
      return isoDateTime(v);
    } catch {
      ctx.addIssue({ code: 'custom', message: `not a date or datetime: ${v}` });
      return z.NEVER;
    }
  });
const base = z.looseObject({
  Id: id,
  IsDeleted: bool,
  CreatedDate: when,
  LastModifiedDate: when,
  SystemModstamp: when,
});

/** What one page of rows of an object changes locally. */
export interface Mapped {
  changes: RecordChanges;
  /** Rows that could not be mapped: reported, the sync goes on. */
  rejected: NonNullable<RecordChanges['rejected']>;
}

export interface ObjectSpec {
  object: string;
  type: ObjectType;
  /** Fields the mapping reads; queried when the org has them. */
  fields: readonly string[];
  /** Maps one page of rows into changes (records, removals, associations). */
  map(rows: readonly Row[], settings: SalesforceSettings): Mapped;
}

/** Unmapped fields of a row, as the CRM sent them (strings), for `properties`. */
function properties(row: Row, mapped: ReadonlySet<string>): RawProperties {
  const out: RawProperties = {};
  for (const [key, value] of Object.entries(row)) {
    if (key === 'attributes' || mapped.has(key) || (typeof value === 'object' && value !== null)) continue;
    out[key] = value === null || value === undefined ? null : String(value);
  }
  return out;
}

/** The fields a schema reads: what a spec queries and what stays out of `properties`. */
const keysOf = (schema: { shape: object }) => Object.keys(schema.shape);

function recordBase(row: z.infer<typeof base>) {
  return {
    id: row.Id,
    createdAt: row.CreatedDate,
    updatedAt: row.LastModifiedDate ?? row.SystemModstamp,
    archived: false,
    archivedAt: null,
    mergedInto: null,
  };
}

/**
 * The shared shape of every mapping: validate each row, turn deleted (or merged, or converted) rows into removals,
 * map the rest, and report rows that fail instead of stopping.
 */
function mapWith<S extends z.ZodType<z.infer<typeof base>>, R>(
  type: ObjectType,
  schema: S,
  rows: readonly Row[],
  toRecord: (row: z.infer<S>, raw: Row) => R,
  removal?: (row: z.infer<S>) => { mergedInto: string | null } | undefined,
): {
  records: R[];
  removals: NonNullable<RecordChanges['removals']>;
  rejected: Mapped['rejected'];
  live: Array<z.infer<S>>;
} {
  const records: R[] = [];
  const removals: NonNullable<RecordChanges['removals']> = [];
  const rejected: Mapped['rejected'] = [];
  const live: Array<z.infer<S>> = [];
  for (const raw of rows) {
    const parsed = schema.safeParse(raw);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      rejected.push({
        type,
        id: typeof raw.Id === 'string' ? raw.Id : '(no id)',
        reason: `${issue?.path.join('.') || 'row'}: ${issue?.message ?? 'invalid'}`,
      });
      continue;
    }
    const row = parsed.data;
    const gone = row.IsDeleted
      ? { mergedInto: (raw.MasterRecordId as string | null | undefined) ?? null }
      : removal?.(row);
    if (gone) {
      removals.push({
        type,
        id: row.Id,
        at: row.SystemModstamp ?? new Date(0).toISOString(),
        mergedInto: gone.mergedInto,
      });
      continue;
    }
    records.push(toRecord(row, raw));
    live.push(row);
  }
  return { records, removals, rejected, live };
}

const contactSchema = base.extend({
  FirstName: text,
  LastName: text,
  Email: text,
  Title: text,
  AccountId: refId,
  OwnerId: refId,
  MailingCountry: text,
  LastActivityDate: when,
});

const leadSchema = base.extend({
  FirstName: text,
  LastName: text,
  Email: text,
  Title: text,
  OwnerId: refId,
  Status: text,
  Country: text,
  LastActivityDate: when,
  IsConverted: bool,
  ConvertedContactId: refId,
});

/** The engagement fields (custom fields a standard org lacks: null when absent), validated as numbers. */
const engagementFields = (settings: SalesforceSettings) => ({
  [settings.fields.emailOpens]: num,
  [settings.fields.pageViews]: num,
});

function engagement(
  row: object,
  settings: SalesforceSettings,
): { emailOpens: number | null; pageViews: number | null } {
  const r = row as Record<string, number | null>;
  return { emailOpens: r[settings.fields.emailOpens] ?? null, pageViews: r[settings.fields.pageViews] ?? null };
}

export const CONTACT: ObjectSpec = {
  object: 'Contact',
  type: 'contact',
  fields: [...keysOf(contactSchema), 'MasterRecordId', 'Phone', 'LeadSource', 'MailingCity'],
  map(rows, settings) {
    const schema = contactSchema.extend(engagementFields(settings)) as unknown as typeof contactSchema;
    const mappedKeys = new Set([
      ...keysOf(contactSchema),
      'MasterRecordId',
      settings.fields.emailOpens,
      settings.fields.pageViews,
    ]);
    const out = mapWith(
      'contact',
      schema,
      rows,
      (r, raw): Contact => ({
        ...recordBase(r),
        properties: properties(raw, mappedKeys),
        crmObject: 'Contact',
        email: r.Email,
        firstName: r.FirstName,
        lastName: r.LastName,
        companyId: r.AccountId,
        ownerId: r.OwnerId,
        lifecycleStage: null,
        leadStatus: null,
        jobTitle: r.Title,
        country: r.MailingCountry,
        lastActivityAt: r.LastActivityDate,
        ...engagement(r, settings),
      }),
    );
    const links: Association[] = out.live
      .filter((r) => r.AccountId)
      .map((r) => ({ fromType: 'contact', fromId: r.Id, toType: 'company', toId: r.AccountId!, label: '' }));
    return {
      changes: {
        contacts: out.records,
        removals: out.removals,
        associations: out.live.length
          ? [{ fromType: 'contact', fromIds: out.live.map((r) => r.Id), toType: 'company', links }]
          : [],
      },
      rejected: out.rejected,
    };
  },
};

export const LEAD: ObjectSpec = {
  object: 'Lead',
  type: 'contact',
  fields: [
    ...keysOf(leadSchema),
    'MasterRecordId',
    'Company',
    'Phone',
    'LeadSource',
    'Industry',
    'NumberOfEmployees',
    'AnnualRevenue',
    'Rating',
  ],
  map(rows, settings) {
    const schema = leadSchema.extend(engagementFields(settings)) as unknown as typeof leadSchema;
    const mappedKeys = new Set([
      ...keysOf(leadSchema),
      settings.fields.emailOpens,
      settings.fields.pageViews,
      'MasterRecordId',
    ]);
    // A converted lead lives on as the contact it became: locally it is archived as merged into that contact.
    const out = mapWith(
      'contact',
      schema,
      rows,
      (r, raw): Contact => ({
        ...recordBase(r),
        properties: properties(raw, mappedKeys),
        crmObject: 'Lead',
        email: r.Email,
        firstName: r.FirstName,
        lastName: r.LastName,
        companyId: null,
        ownerId: r.OwnerId,
        lifecycleStage: 'lead',
        leadStatus: r.Status,
        jobTitle: r.Title,
        country: r.Country,
        lastActivityAt: r.LastActivityDate,
        ...engagement(r, settings),
      }),
      (r) => (r.IsConverted ? { mergedInto: r.ConvertedContactId } : undefined),
    );
    return { changes: { contacts: out.records, removals: out.removals }, rejected: out.rejected };
  },
};

const accountSchema = base.extend({
  Name: text,
  Website: text,
  Industry: text,
  NumberOfEmployees: num,
  AnnualRevenue: num,
  BillingCountry: text,
  OwnerId: refId,
});

/** `https://www.acme.example.com/about` → `acme.example.com`. */
export function domainOf(website: string | null): string | null {
  if (!website) return null;
  try {
    const host = new URL(/^[a-z]+:\/\//i.test(website) ? website : `https://${website}`).hostname.toLowerCase();
    return host.replace(/^www\./, '') || null;
  } catch {
    return null;
  }
}

export const ACCOUNT: ObjectSpec = {
  object: 'Account',
  type: 'company',
  fields: [...keysOf(accountSchema), 'MasterRecordId', 'Type', 'BillingCity', 'Phone'],
  map(rows) {
    const mappedKeys = new Set([...keysOf(accountSchema), 'MasterRecordId']);
    const out = mapWith(
      'company',
      accountSchema,
      rows,
      (r, raw): Company => ({
        ...recordBase(r),
        properties: properties(raw, mappedKeys),
        name: r.Name,
        domain: domainOf(r.Website),
        industry: r.Industry,
        employees: r.NumberOfEmployees,
        annualRevenue: r.AnnualRevenue,
        country: r.BillingCountry,
        ownerId: r.OwnerId,
      }),
    );
    return { changes: { companies: out.records, removals: out.removals }, rejected: out.rejected };
  },
};

const opportunitySchema = base.extend({
  Name: text,
  Amount: num,
  CurrencyIsoCode: text,
  Type: text,
  StageName: text,
  IsClosed: bool,
  IsWon: bool,
  CloseDate: when,
  OwnerId: refId,
  AccountId: refId,
  LastActivityDate: when,
});

export const OPPORTUNITY: ObjectSpec = {
  object: 'Opportunity',
  type: 'deal',
  fields: [...keysOf(opportunitySchema), 'Probability', 'ForecastCategory', 'LeadSource', 'HasOpportunityLineItem'],
  map(rows, settings) {
    const count = settings.fields.activityCount;
    const schema = opportunitySchema.extend({ [count]: num }) as unknown as typeof opportunitySchema;
    const mappedKeys = new Set([...keysOf(opportunitySchema), count]);
    const out = mapWith(
      'deal',
      schema,
      rows,
      (r, raw): Deal => ({
        ...recordBase(r),
        properties: properties(raw, mappedKeys),
        name: r.Name,
        amount: r.Amount,
        currency: r.CurrencyIsoCode,
        pipeline: r.Type,
        stage: r.StageName,
        isClosed: r.IsClosed,
        isWon: r.IsWon,
        closeDate: r.CloseDate,
        ownerId: r.OwnerId,
        companyId: r.AccountId,
        lastActivityAt: r.LastActivityDate,
        activityCount: (r as unknown as Record<string, number | null>)[count] ?? null,
      }),
    );
    const links: Association[] = out.live
      .filter((r) => r.AccountId)
      .map((r) => ({ fromType: 'deal', fromId: r.Id, toType: 'company', toId: r.AccountId!, label: '' }));
    return {
      changes: {
        deals: out.records,
        removals: out.removals,
        associations: out.live.length
          ? [{ fromType: 'deal', fromIds: out.live.map((r) => r.Id), toType: 'company', links }]
          : [],
      },
      rejected: out.rejected,
    };
  },
};

const lineItemSchema = base.extend({
  OpportunityId: refId,
  Product2Id: refId,
  Name: text,
  Quantity: num,
  UnitPrice: num,
  TotalPrice: num,
});

export const LINE_ITEM: ObjectSpec = {
  object: 'OpportunityLineItem',
  type: 'line_item',
  fields: [...keysOf(lineItemSchema), 'Discount', 'ListPrice', 'ProductCode'],
  map(rows) {
    const mappedKeys = new Set([...keysOf(lineItemSchema)]);
    const out = mapWith(
      'line_item',
      lineItemSchema,
      rows,
      (r, raw): LineItem => ({
        ...recordBase(r),
        properties: properties(raw, mappedKeys),
        dealId: r.OpportunityId,
        productId: r.Product2Id,
        name: r.Name,
        quantity: r.Quantity,
        unitPrice: r.UnitPrice,
        amount: r.TotalPrice,
      }),
    );
    return { changes: { lineItems: out.records, removals: out.removals }, rejected: out.rejected };
  },
};

const userSchema = base.extend({ Email: text, Name: text, IsActive: bool });

export const USER: ObjectSpec = {
  object: 'User',
  type: 'owner',
  fields: [...keysOf(userSchema), 'Title', 'Username'],
  map(rows) {
    const mappedKeys = new Set([...keysOf(userSchema)]);
    const out = mapWith(
      'owner',
      userSchema,
      rows,
      (r, raw): Owner => ({
        ...recordBase(r),
        properties: properties(raw, mappedKeys),
        email: r.Email,
        name: r.Name,
        active: r.IsActive,
      }),
    );
    return { changes: { owners: out.records, removals: out.removals }, rejected: out.rejected };
  },
};

const productSchema = base.extend({ Name: text, ProductCode: text, StockKeepingUnit: text });

/** Product2 rows; `prices` holds each product's standard price book price. */
export function mapProducts(rows: readonly Row[], prices: ReadonlyMap<string, number | null>): Mapped {
  const mappedKeys = new Set([...keysOf(productSchema)].filter((k) => k !== 'StockKeepingUnit'));
  const out = mapWith(
    'product',
    productSchema,
    rows,
    (r, raw): Product => ({
      ...recordBase(r),
      properties: properties(raw, mappedKeys),
      name: r.Name,
      sku: r.ProductCode ?? r.StockKeepingUnit,
      unitPrice: prices.get(r.Id) ?? null,
    }),
  );
  return { changes: { products: out.records, removals: out.removals }, rejected: out.rejected };
}
export const PRODUCT_FIELDS = [...keysOf(productSchema), 'Family', 'IsActive'];

const roleSchema = z.looseObject({ Id: id, OpportunityId: id, ContactId: refId, Role: text, IsPrimary: bool });

/** A whole opportunity's contact roles → its deal→contact associations (the role is the label). */
export function mapContactRoles(opportunityIds: readonly string[], rows: readonly Row[]): Mapped {
  const rejected: Mapped['rejected'] = [];
  const links: Association[] = [];
  for (const raw of rows) {
    const parsed = roleSchema.safeParse(raw);
    if (!parsed.success) {
      rejected.push({
        type: 'deal',
        id: String(raw.OpportunityId ?? raw.Id),
        reason: `contact role ${String(raw.Id)}: ${parsed.error.issues[0]?.message}`,
      });
      continue;
    }
    if (!parsed.data.ContactId) continue;
    links.push({
      fromType: 'deal',
      fromId: parsed.data.OpportunityId,
      toType: 'contact',
      toId: parsed.data.ContactId,
      label: parsed.data.Role ?? '',
    });
  }
  return {
    changes: { associations: [{ fromType: 'deal', fromIds: [...opportunityIds], toType: 'contact', links }] },
    rejected,
  };
}

const historySchema = z.looseObject({
  Id: id,
  OpportunityId: id,
  StageName: z.string(),
  Amount: num,
  CreatedDate: when,
});

/**
 * OpportunityHistory snapshots, in order per opportunity → the times each stage was entered. A snapshot also
 * records amount and close date changes: only those where the stage differs from the one before count.
 */
export function mapStageHistory(rows: readonly Row[]): Mapped {
  const rejected: Mapped['rejected'] = [];
  const changes: DealStageChange[] = [];
  let previous: { opp: string; stage: string } | undefined;
  for (const raw of rows) {
    const parsed = historySchema.safeParse(raw);
    if (!parsed.success || !parsed.data.CreatedDate) {
      rejected.push({
        type: 'deal',
        id: String(raw.OpportunityId ?? raw.Id),
        reason: `stage history ${String(raw.Id)}: ${parsed.success ? 'no CreatedDate' : parsed.error.issues[0]?.message}`,
      });
      continue;
    }
    const r = parsed.data;
    if (previous?.opp !== r.OpportunityId || previous.stage !== r.StageName) {
      changes.push({ dealId: r.OpportunityId, stage: r.StageName, enteredAt: r.CreatedDate!, amount: r.Amount });
    }
    previous = { opp: r.OpportunityId, stage: r.StageName };
  }
  return { changes: { stageHistory: changes }, rejected };
}
