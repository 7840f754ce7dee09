import type { ObjectType } from '../../../src/domain/records.js';

/** How one HubSpot object type is read: its API name, modified-date property, properties and associations. */
export interface ObjectSpec {
  /** Stream name (and cursor key). */
  name: string;
  objectType: ObjectType;
  apiType: string;
  /** The property incremental sync filters on (contacts: `lastmodifieddate`; the rest: `hs_lastmodifieddate`). */
  modified: string;
  properties: string[];
  /** Properties read with their history (deal stages → stage history). */
  history: string[];
  /** Associations kept for each record: the API type to ask for and the canonical type it maps to. */
  associations: Array<{ apiType: string; toType: ObjectType }>;
  /** Without the scope for this type (products need `e-commerce`), skip it with a warning instead of failing. */
  optionalScope?: boolean;
}

const COMMON = ['hs_object_id', 'createdate', 'hs_lastmodifieddate', 'hs_merged_object_ids'];

export const OBJECT_SPECS: Record<'companies' | 'contacts' | 'deals' | 'line_items' | 'products', ObjectSpec> = {
  companies: {
    name: 'companies',
    objectType: 'company',
    apiType: 'companies',
    modified: 'hs_lastmodifieddate',
    properties: [
      ...COMMON,
      'name',
      'domain',
      'industry',
      'numberofemployees',
      'annualrevenue',
      'country',
      'city',
      'hubspot_owner_id',
      'num_associated_contacts',
      'num_associated_deals',
    ],
    history: [],
    associations: [],
  },
  contacts: {
    name: 'contacts',
    objectType: 'contact',
    apiType: 'contacts',
    modified: 'lastmodifieddate',
    properties: [
      ...COMMON,
      'lastmodifieddate',
      'email',
      'firstname',
      'lastname',
      'phone',
      'jobtitle',
      'country',
      'city',
      'company',
      'associatedcompanyid',
      'hubspot_owner_id',
      'lifecyclestage',
      'hs_lead_status',
      'notes_last_updated',
      'hs_last_sales_activity_timestamp',
      'hs_email_open',
      'hs_analytics_num_page_views',
      'num_associated_deals',
    ],
    history: [],
    associations: [{ apiType: 'companies', toType: 'company' }],
  },
  deals: {
    name: 'deals',
    objectType: 'deal',
    apiType: 'deals',
    modified: 'hs_lastmodifieddate',
    properties: [
      ...COMMON,
      'dealname',
      'amount',
      'deal_currency_code',
      'pipeline',
      'dealstage',
      'closedate',
      'hubspot_owner_id',
      'num_notes',
      'notes_last_updated',
      'hs_last_sales_activity_timestamp',
      'hs_is_closed',
      'hs_is_closed_won',
      'hs_deal_stage_probability',
      'num_associated_contacts',
      'hs_num_of_associated_line_items',
    ],
    history: ['dealstage', 'amount'],
    associations: [
      { apiType: 'contacts', toType: 'contact' },
      { apiType: 'companies', toType: 'company' },
      { apiType: 'line_items', toType: 'line_item' },
    ],
  },
  line_items: {
    name: 'line_items',
    objectType: 'line_item',
    apiType: 'line_items',
    modified: 'hs_lastmodifieddate',
    properties: [...COMMON, 'name', 'quantity', 'price', 'amount', 'hs_discount_percentage', 'hs_product_id', 'hs_sku'],
    history: [],
    associations: [{ apiType: 'deals', toType: 'deal' }],
  },
  products: {
    name: 'products',
    objectType: 'product',
    apiType: 'products',
    modified: 'hs_lastmodifieddate',
    properties: [...COMMON, 'name', 'description', 'price', 'hs_sku', 'hs_product_type'],
    history: [],
    associations: [],
    optionalScope: true,
  },
};
