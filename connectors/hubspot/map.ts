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
  PropertyDefinition,
  RawProperties,
  RecordBase,
} from '../../src/domain/records.js';
import type { ObjectRecord, Pipelines, Property } from './schemas.js';

/** A HubSpot value that does not fit the canonical model: the record is reported, the sync goes on. */
export class MappingError extends Error {}

/** What a deal stage means, from the pipelines API's stage metadata. */
export interface StageMeaning {
  isClosed: boolean;
  isWon: boolean;
}

export function stageMeanings(pipelines: Pipelines): Map<string, StageMeaning> {
  const out = new Map<string, StageMeaning>();
  for (const pipeline of pipelines.results) {
    for (const stage of pipeline.stages) {
      const isClosed = stage.metadata.isClosed === 'true';
      const probability = Number(stage.metadata.probability ?? 'NaN');
      out.set(stage.id, { isClosed, isWon: isClosed && probability >= 1 });
    }
  }
  return out;
}

function number(p: RawProperties, name: string): number | null {
  const raw = p[name];
  if (raw === null || raw === undefined || raw === '') return null;
  const n = Number(raw);
  if (!Number.isFinite(n)) throw new MappingError(`${name} is not a number: ${JSON.stringify(raw)}`);
  return n;
}

function time(p: RawProperties, name: string): string | null {
  const raw = p[name];
  if (raw === null || raw === undefined || raw === '') return null;
  const ms = /^-?\d+$/.test(raw) ? Number(raw) : Date.parse(raw);
  if (Number.isNaN(ms)) throw new MappingError(`${name} is not a time: ${JSON.stringify(raw)}`);
  return new Date(ms).toISOString();
}

function text(p: RawProperties, name: string): string | null {
  const raw = p[name];
  return raw === undefined || raw === '' ? null : raw;
}

function latest(...times: Array<string | null>): string | null {
  const present = times.filter((t): t is string => t !== null);
  // ISO-8601 UTC strings order as their times do.
  return present.length === 0 ? null : ([...present].sort().at(-1) ?? null);
}

/** Properties every record carries that the canonical fields already hold. */
const BOOKKEEPING = ['hs_object_id', 'createdate', 'lastmodifieddate', 'hs_lastmodifieddate', 'hs_createdate'];

function base(record: ObjectRecord, mapped: readonly string[]): RecordBase {
  const skip = new Set([...BOOKKEEPING, ...mapped]);
  const properties: RawProperties = {};
  for (const [k, v] of Object.entries(record.properties)) if (!skip.has(k)) properties[k] = v;
  return {
    id: record.id,
    createdAt: new Date(record.createdAt).toISOString(),
    updatedAt: new Date(record.updatedAt).toISOString(),
    archived: record.archived ?? false,
    archivedAt: record.archivedAt ? new Date(record.archivedAt).toISOString() : null,
    mergedInto: null,
    properties,
  };
}

const CONTACT_FIELDS = [
  'email',
  'firstname',
  'lastname',
  'associatedcompanyid',
  'hubspot_owner_id',
  'lifecyclestage',
  'hs_lead_status',
  'jobtitle',
  'country',
  'notes_last_updated',
  'hs_last_sales_activity_timestamp',
  'hs_email_open',
  'hs_analytics_num_page_views',
];

export function mapContact(record: ObjectRecord, links: Association[]): Contact {
  const p = record.properties;
  const primary = links.find((l) => l.toType === 'company' && l.label === 'Primary')?.toId;
  return {
    ...base(record, CONTACT_FIELDS),
    crmObject: 'contact',
    email: text(p, 'email'),
    firstName: text(p, 'firstname'),
    lastName: text(p, 'lastname'),
    companyId: text(p, 'associatedcompanyid') ?? primary ?? null,
    ownerId: text(p, 'hubspot_owner_id'),
    lifecycleStage: text(p, 'lifecyclestage'),
    leadStatus: text(p, 'hs_lead_status'),
    jobTitle: text(p, 'jobtitle'),
    country: text(p, 'country'),
    lastActivityAt: latest(time(p, 'notes_last_updated'), time(p, 'hs_last_sales_activity_timestamp')),
    emailOpens: number(p, 'hs_email_open'),
    pageViews: number(p, 'hs_analytics_num_page_views'),
  };
}

const COMPANY_FIELDS = [
  'name',
  'domain',
  'industry',
  'numberofemployees',
  'annualrevenue',
  'country',
  'hubspot_owner_id',
];

export function mapCompany(record: ObjectRecord): Company {
  const p = record.properties;
  return {
    ...base(record, COMPANY_FIELDS),
    name: text(p, 'name'),
    domain: text(p, 'domain'),
    industry: text(p, 'industry'),
    employees: number(p, 'numberofemployees'),
    annualRevenue: number(p, 'annualrevenue'),
    country: text(p, 'country'),
    ownerId: text(p, 'hubspot_owner_id'),
  };
}

const DEAL_FIELDS = [
  'dealname',
  'amount',
  'deal_currency_code',
  'pipeline',
  'dealstage',
  'closedate',
  'hubspot_owner_id',
  'notes_last_updated',
  'hs_last_sales_activity_timestamp',
  'num_notes',
];

export function mapDeal(record: ObjectRecord, links: Association[], stages: Map<string, StageMeaning>): Deal {
  const p = record.properties;
  const stage = text(p, 'dealstage');
  const meaning = stage === null ? undefined : stages.get(stage);
  const companies = links.filter((l) => l.toType === 'company');
  return {
    ...base(record, DEAL_FIELDS),
    name: text(p, 'dealname'),
    amount: number(p, 'amount'),
    currency: text(p, 'deal_currency_code'),
    pipeline: text(p, 'pipeline'),
    stage,
    // The pipelines API says what a stage means; the calculated flags stand in for a stage it does not list.
    isClosed: meaning?.isClosed ?? p.hs_is_closed === 'true',
    isWon: meaning?.isWon ?? p.hs_is_closed_won === 'true',
    closeDate: time(p, 'closedate'),
    ownerId: text(p, 'hubspot_owner_id'),
    companyId: (companies.find((l) => l.label === 'Primary') ?? companies[0])?.toId ?? null,
    lastActivityAt: latest(time(p, 'notes_last_updated'), time(p, 'hs_last_sales_activity_timestamp')),
    activityCount: number(p, 'num_notes'),
  };
}

/** Each time the deal entered a stage (from `propertiesWithHistory.dealstage`), with the amount it had then. */
export function stageChanges(record: ObjectRecord): DealStageChange[] {
  const history = record.propertiesWithHistory;
  const stages = history?.dealstage ?? [];
  const amounts = [...(history?.amount ?? [])]
    .map((h) => ({ at: Date.parse(h.timestamp), value: h.value ?? null }))
    .sort((a, b) => a.at - b.at);
  const current = number(record.properties, 'amount');
  return stages
    .filter((h) => h.value !== null && h.value !== undefined && h.value !== '')
    .map((h) => {
      const at = Date.parse(h.timestamp);
      const known = amounts.filter((a) => a.at <= at).at(-1);
      const amount =
        known === undefined
          ? amounts.length === 0
            ? current
            : null
          : known.value === null || known.value === ''
            ? null
            : Number(known.value);
      return {
        dealId: record.id,
        stage: h.value as string,
        enteredAt: new Date(at).toISOString(),
        amount: amount !== null && Number.isFinite(amount) ? amount : null,
      };
    });
}

const LINE_ITEM_FIELDS = ['name', 'quantity', 'price', 'amount', 'hs_product_id'];

export function mapLineItem(record: ObjectRecord, links: Association[]): LineItem {
  const p = record.properties;
  return {
    ...base(record, LINE_ITEM_FIELDS),
    dealId: links.find((l) => l.toType === 'deal')?.toId ?? null,
    productId: text(p, 'hs_product_id'),
    name: text(p, 'name'),
    quantity: number(p, 'quantity'),
    unitPrice: number(p, 'price'),
    amount: number(p, 'amount'),
  };
}

const PRODUCT_FIELDS = ['name', 'hs_sku', 'price'];

export function mapProduct(record: ObjectRecord): Product {
  const p = record.properties;
  return {
    ...base(record, PRODUCT_FIELDS),
    name: text(p, 'name'),
    sku: text(p, 'hs_sku'),
    unitPrice: number(p, 'price'),
  };
}

export function mapOwner(owner: {
  id: string;
  email?: string | null | undefined;
  firstName?: string | null | undefined;
  lastName?: string | null | undefined;
  userId?: number | null | undefined;
  createdAt?: string | undefined;
  updatedAt?: string | undefined;
  archived?: boolean | undefined;
}): Owner {
  const name = [owner.firstName, owner.lastName].filter((s) => s).join(' ');
  return {
    id: owner.id,
    createdAt: owner.createdAt ? new Date(owner.createdAt).toISOString() : null,
    updatedAt: owner.updatedAt ? new Date(owner.updatedAt).toISOString() : null,
    archived: owner.archived ?? false,
    archivedAt: null,
    mergedInto: null,
    properties: owner.userId === null || owner.userId === undefined ? {} : { userId: String(owner.userId) },
    email: owner.email ?? null,
    name: name === '' ? null : name,
    active: !(owner.archived ?? false),
  };
}

/** HubSpot-defined v3 association names that mean the primary link (the others are plain links). */
const PRIMARY_NAMES = new Set(['contact_to_company', 'company_to_contact', 'deal_to_company', 'company_to_deal']);

/** The label crm-agent stores for an inline (v3) association type name: '' for a plain link. */
export function inlineLabel(typeName: string): string {
  if (PRIMARY_NAMES.has(typeName)) return 'Primary';
  if (typeName.endsWith('_unlabeled') || /^[a-z]+(_[a-z]+)?_to_[a-z]+(_[a-z]+)?$/.test(typeName)) return '';
  return typeName;
}

/** The label crm-agent stores for a v4 association type: HubSpot's label, '' for an unlabelled one. */
export function v4Label(type: { category: string; typeId: number; label?: string | null | undefined }): string {
  return type.label ?? (type.category === 'HUBSPOT_DEFINED' ? '' : String(type.typeId));
}

/** One Association per distinct label of each link. */
export function dedupeLinks(links: Association[]): Association[] {
  const seen = new Set<string>();
  return links.filter((l) => {
    const key = `${l.toType}:${l.toId}:${l.label}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** Property definitions as crm-agent keeps them; deal stages carry their pipeline's metadata. */
export function mapPropertyDefinitions(
  objectType: ObjectType,
  properties: Property[],
  pipelines?: Pipelines,
): PropertyDefinition[] {
  const stageMeta = new Map<string, Record<string, string>>();
  for (const pipeline of pipelines?.results ?? []) {
    for (const stage of pipeline.stages) {
      const meta: Record<string, string> = { pipelineId: pipeline.id, pipelineLabel: pipeline.label };
      for (const [k, v] of Object.entries(stage.metadata)) if (typeof v === 'string') meta[k] = v;
      stageMeta.set(stage.id, meta);
    }
  }
  return properties
    .filter((p) => !p.archived)
    .map((p) => ({
      objectType,
      name: p.name,
      label: p.label,
      type: p.type,
      fieldType: p.fieldType ?? null,
      groupName: p.groupName ?? null,
      options: (p.options ?? []).map((o) => {
        const metadata = p.name === 'dealstage' ? stageMeta.get(o.value) : undefined;
        return { value: o.value, label: o.label, hidden: o.hidden ?? false, ...(metadata ? { metadata } : {}) };
      }),
      readOnly: p.modificationMetadata?.readOnlyValue ?? p.calculated ?? false,
      custom: p.hubspotDefined !== true,
    }));
}
