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
} from '../../src/domain/records.js';
import type { RecordChanges } from '../../src/ports/crm-connector.js';
import {
  base,
  bool,
  id,
  keysOf,
  type Mapped,
  mapWith,
  num,
  type ObjectSpec,
  properties,
  type Row,
  recordBase,
  refId,
  text,
  when,
} from './map-rows.js';
import type { SalesforceSettings } from './settings.js';

export { isoDateTime, type Mapped, type ObjectSpec, type Row } from './map-rows.js';

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

const lineItemSchema = base.extend({
  OpportunityId: refId,
  Product2Id: refId,
  Name: text,
  Quantity: num,
  UnitPrice: num,
  TotalPrice: num,
});

const userSchema = base.extend({ Email: text, Name: text, IsActive: bool });

type BaseRow = z.infer<typeof base>;
type SpecRecord = Contact | Company | Deal | LineItem | Owner;
type RecordFields<R> = Omit<R, keyof ReturnType<typeof recordBase> | 'properties'>;

/**
 * One Salesforce object as a row of the table below: its schema (what is validated and kept out of `properties`),
 * what else is queried, the number-valued custom fields the tenant's settings name, how a row becomes a record,
 * and where the records go in the changes. `companyOf` adds the record → company link (Contact and Opportunity).
 */
interface ObjectTableRow<S extends BaseRow, R extends SpecRecord> {
  object: string;
  type: ObjectType;
  schema: z.ZodType<S> & { shape: object };
  /** Queried besides the schema's fields. */
  alsoQueried: readonly string[];
  /** Queried fields kept out of `properties` besides the schema's (`MasterRecordId`: read by every mapping). */
  alsoMapped?: readonly string[];
  /** Custom number fields named by settings (null when the org lacks them). */
  customNumbers?: (settings: SalesforceSettings) => string[];
  key: 'contacts' | 'companies' | 'deals' | 'lineItems' | 'owners';
  toRecord(row: S, settings: SalesforceSettings): RecordFields<R>;
  removal?: (row: S) => { mergedInto: string | null } | undefined;
  companyOf?: (row: S) => string | null;
}

function objectSpec<S extends BaseRow, R extends SpecRecord>(table: ObjectTableRow<S, R>): ObjectSpec {
  return {
    object: table.object,
    type: table.type,
    fields: [...keysOf(table.schema), ...table.alsoQueried],
    map(rows, settings) {
      const custom = table.customNumbers?.(settings) ?? [];
      // The custom fields join the schema (validated as numbers); the row type stays the table's.
      const schema = custom.length
        ? ((table.schema as unknown as z.ZodObject).extend(
            Object.fromEntries(custom.map((f) => [f, num])),
          ) as unknown as z.ZodType<S>)
        : table.schema;
      const mappedKeys = new Set([...keysOf(table.schema), ...(table.alsoMapped ?? []), ...custom]);
      const out = mapWith(
        table.type,
        schema,
        rows,
        (r, raw) => ({ ...recordBase(r), properties: properties(raw, mappedKeys), ...table.toRecord(r, settings) }),
        table.removal,
      );
      const changes: RecordChanges = { [table.key]: out.records, removals: out.removals };
      const companyOf = table.companyOf;
      if (companyOf) {
        const fromType = table.type as 'contact' | 'deal';
        const links: Association[] = out.live.flatMap((r) => {
          const toId = companyOf(r);
          return toId ? [{ fromType, fromId: r.Id, toType: 'company' as const, toId, label: '' }] : [];
        });
        changes.associations = out.live.length
          ? [{ fromType, fromIds: out.live.map((r) => r.Id), toType: 'company', links }]
          : [];
      }
      return { changes, rejected: out.rejected };
    },
  };
}

/** The engagement fields (custom fields a standard org lacks: null when absent), validated as numbers. */
const engagementFields = (settings: SalesforceSettings) => [settings.fields.emailOpens, settings.fields.pageViews];

function engagement(
  row: object,
  settings: SalesforceSettings,
): { emailOpens: number | null; pageViews: number | null } {
  const r = row as Record<string, number | null>;
  return { emailOpens: r[settings.fields.emailOpens] ?? null, pageViews: r[settings.fields.pageViews] ?? null };
}

export const CONTACT = objectSpec<z.infer<typeof contactSchema>, Contact>({
  object: 'Contact',
  type: 'contact',
  schema: contactSchema,
  alsoQueried: ['MasterRecordId', 'Phone', 'LeadSource', 'MailingCity'],
  alsoMapped: ['MasterRecordId'],
  customNumbers: engagementFields,
  key: 'contacts',
  toRecord: (r, settings) => ({
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
  companyOf: (r) => r.AccountId,
});

export const LEAD = objectSpec<z.infer<typeof leadSchema>, Contact>({
  object: 'Lead',
  type: 'contact',
  schema: leadSchema,
  alsoQueried: [
    'MasterRecordId',
    'Company',
    'Phone',
    'LeadSource',
    'Industry',
    'NumberOfEmployees',
    'AnnualRevenue',
    'Rating',
  ],
  alsoMapped: ['MasterRecordId'],
  customNumbers: engagementFields,
  key: 'contacts',
  toRecord: (r, settings) => ({
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
  // A converted lead lives on as the contact it became: locally it is archived as merged into that contact.
  removal: (r) => (r.IsConverted ? { mergedInto: r.ConvertedContactId } : undefined),
});

export const ACCOUNT = objectSpec<z.infer<typeof accountSchema>, Company>({
  object: 'Account',
  type: 'company',
  schema: accountSchema,
  alsoQueried: ['MasterRecordId', 'Type', 'BillingCity', 'Phone'],
  alsoMapped: ['MasterRecordId'],
  key: 'companies',
  toRecord: (r) => ({
    name: r.Name,
    domain: domainOf(r.Website),
    industry: r.Industry,
    employees: r.NumberOfEmployees,
    annualRevenue: r.AnnualRevenue,
    country: r.BillingCountry,
    ownerId: r.OwnerId,
  }),
});

export const OPPORTUNITY = objectSpec<z.infer<typeof opportunitySchema>, Deal>({
  object: 'Opportunity',
  type: 'deal',
  schema: opportunitySchema,
  alsoQueried: ['Probability', 'ForecastCategory', 'LeadSource', 'HasOpportunityLineItem'],
  customNumbers: (settings) => [settings.fields.activityCount],
  key: 'deals',
  toRecord: (r, settings) => ({
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
    activityCount: (r as unknown as Record<string, number | null>)[settings.fields.activityCount] ?? null,
  }),
  companyOf: (r) => r.AccountId,
});

export const LINE_ITEM = objectSpec<z.infer<typeof lineItemSchema>, LineItem>({
  object: 'OpportunityLineItem',
  type: 'line_item',
  schema: lineItemSchema,
  alsoQueried: ['Discount', 'ListPrice', 'ProductCode'],
  key: 'lineItems',
  toRecord: (r) => ({
    dealId: r.OpportunityId,
    productId: r.Product2Id,
    name: r.Name,
    quantity: r.Quantity,
    unitPrice: r.UnitPrice,
    amount: r.TotalPrice,
  }),
});

export const USER = objectSpec<z.infer<typeof userSchema>, Owner>({
  object: 'User',
  type: 'owner',
  schema: userSchema,
  alsoQueried: ['Title', 'Username'],
  key: 'owners',
  toRecord: (r) => ({ email: r.Email, name: r.Name, active: r.IsActive }),
});

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
