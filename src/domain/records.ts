/**
 * crm-agent's canonical model: one shape for HubSpot and Salesforce records. Connectors map into it;
 * the engine reads only it. Every record keeps the CRM's own id and timestamps (ISO-8601 UTC).
 */
export type CrmName = 'hubspot' | 'salesforce';

export type ObjectType = 'contact' | 'company' | 'deal' | 'line_item' | 'product' | 'owner';

/** CRM property values as the CRM sent them (HubSpot sends every value as a string). */
export type RawProperties = Record<string, string | null>;

export interface RecordBase {
  /** The CRM's id of the record. */
  id: string;
  createdAt: string | null;
  updatedAt: string | null;
  archived: boolean;
  archivedAt: string | null;
  /** Set when the CRM merged this record into another: the surviving record's id. */
  mergedInto: string | null;
  /** CRM properties not mapped to a field. */
  properties: RawProperties;
}

export interface Contact extends RecordBase {
  /** HubSpot `contact`; Salesforce `Contact` or `Lead`. */
  crmObject: string;
  email: string | null;
  firstName: string | null;
  lastName: string | null;
  companyId: string | null;
  ownerId: string | null;
  lifecycleStage: string | null;
  leadStatus: string | null;
  jobTitle: string | null;
  country: string | null;
  /** Last sales or marketing activity with the contact (HubSpot notes_last_updated, Salesforce LastActivityDate). */
  lastActivityAt: string | null;
  /** Marketing email opens to date (HubSpot hs_email_open; a custom field on Salesforce); null when unknown. */
  emailOpens: number | null;
  /** Website page views to date (HubSpot hs_analytics_num_page_views); null when unknown. */
  pageViews: number | null;
}

export interface Company extends RecordBase {
  name: string | null;
  domain: string | null;
  industry: string | null;
  employees: number | null;
  annualRevenue: number | null;
  country: string | null;
  ownerId: string | null;
}

export interface Deal extends RecordBase {
  name: string | null;
  amount: number | null;
  currency: string | null;
  pipeline: string | null;
  stage: string | null;
  isClosed: boolean;
  isWon: boolean;
  closeDate: string | null;
  ownerId: string | null;
  companyId: string | null;
  lastActivityAt: string | null;
  /** Logged sales activities (calls, emails, meetings) on the deal (HubSpot num_notes; Salesforce task count). */
  activityCount: number | null;
}

export interface LineItem extends RecordBase {
  dealId: string | null;
  productId: string | null;
  name: string | null;
  quantity: number | null;
  unitPrice: number | null;
  amount: number | null;
}

export interface Product extends RecordBase {
  name: string | null;
  sku: string | null;
  unitPrice: number | null;
}

export interface Owner extends RecordBase {
  email: string | null;
  name: string | null;
  active: boolean;
}

export interface Association {
  fromType: ObjectType;
  fromId: string;
  toType: ObjectType;
  toId: string;
  /** The CRM's association type or label; '' for the default association. */
  label: string;
}

export interface DealStageChange {
  dealId: string;
  stage: string;
  enteredAt: string;
  amount: number | null;
}

/** The record type for each object type. */
export interface RecordByType {
  contact: Contact;
  company: Company;
  deal: Deal;
  line_item: LineItem;
  product: Product;
  owner: Owner;
}

/**
 * A CRM field's definition (HubSpot property, Salesforce field): its label, type and allowed values, so reasons
 * and profiles can use the CRM's own words. Deal stages carry their pipeline metadata in `options[].metadata`.
 */
export interface PropertyDefinition {
  objectType: ObjectType;
  name: string;
  label: string;
  /** The CRM's data type, e.g. HubSpot string | number | date | datetime | enumeration | bool. */
  type: string;
  fieldType: string | null;
  groupName: string | null;
  options: Array<{ value: string; label: string; hidden: boolean; metadata?: Record<string, string> }>;
  /** Only the CRM sets values (ids, timestamps, calculated fields). */
  readOnly: boolean;
  /** Defined by the account (or an app) rather than the CRM. */
  custom: boolean;
}
