/** The CRM object types the sandbox serves, by their API names, with HubSpot's type ids and singular names. */
export const OBJECT_TYPES = ['contacts', 'companies', 'deals', 'line_items', 'products', 'tasks'] as const;
export type ObjectTypeName = (typeof OBJECT_TYPES)[number];

export const OBJECT_TYPE_IDS: Record<ObjectTypeName, string> = {
  contacts: '0-1',
  companies: '0-2',
  deals: '0-3',
  products: '0-7',
  line_items: '0-8',
  tasks: '0-27',
};

export const SINGULAR: Record<ObjectTypeName, string> = {
  contacts: 'contact',
  companies: 'company',
  deals: 'deal',
  line_items: 'line_item',
  products: 'product',
  tasks: 'task',
};

/** The modified-time property HubSpot keeps on each type (contacts are the odd one out). */
export const LAST_MODIFIED: Record<ObjectTypeName, string> = {
  contacts: 'lastmodifieddate',
  companies: 'hs_lastmodifieddate',
  deals: 'hs_lastmodifieddate',
  line_items: 'hs_lastmodifieddate',
  products: 'hs_lastmodifieddate',
  tasks: 'hs_lastmodifieddate',
};

/** The created-time property of each type. */
export const CREATED: Record<ObjectTypeName, string> = {
  contacts: 'createdate',
  companies: 'createdate',
  deals: 'createdate',
  line_items: 'createdate',
  products: 'createdate',
  tasks: 'hs_createdate',
};

/** Properties a read returns when the caller names none (HubSpot's defaults per type). */
export const DEFAULT_PROPERTIES: Record<ObjectTypeName, string[]> = {
  contacts: ['createdate', 'email', 'firstname', 'hs_object_id', 'lastmodifieddate', 'lastname'],
  companies: ['createdate', 'domain', 'hs_lastmodifieddate', 'hs_object_id', 'name'],
  deals: [
    'amount',
    'closedate',
    'createdate',
    'dealname',
    'dealstage',
    'hs_lastmodifieddate',
    'hs_object_id',
    'pipeline',
  ],
  line_items: [
    'amount',
    'createdate',
    'hs_lastmodifieddate',
    'hs_object_id',
    'hs_product_id',
    'name',
    'price',
    'quantity',
  ],
  products: ['createdate', 'description', 'hs_lastmodifieddate', 'hs_object_id', 'name', 'price'],
  tasks: ['hs_createdate', 'hs_lastmodifieddate', 'hs_object_id'],
};

/**
 * Resolves how a caller names an object type: `contacts`, `contact`, `CONTACT`, `0-1`, `line_items`, `lineitem`.
 * Undefined for a type the sandbox does not serve.
 */
export function resolveObjectType(name: string): ObjectTypeName | undefined {
  const n = name.toLowerCase().replace(/[-_]/g, '');
  for (const type of OBJECT_TYPES) {
    const plain = type.replace(/_/g, '');
    if (n === plain || n === SINGULAR[type].replace(/_/g, '') || name === OBJECT_TYPE_IDS[type]) return type;
  }
  if (n === 'lineitem' || n === 'lineitems') return 'line_items';
  if (n === 'companys') return 'companies';
  return undefined;
}
