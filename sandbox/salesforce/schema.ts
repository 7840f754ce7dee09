/**
 * The sandbox org's metadata: which sObjects exist and their fields, as `describe` reports them. Values are
 * held as JSON-ready scalars except datetimes, which are epoch milliseconds (whole seconds, as Salesforce
 * stores them) so that comparisons and sorting stay cheap.
 */
export type FieldType =
  | 'id'
  | 'reference'
  | 'string'
  | 'textarea'
  | 'email'
  | 'phone'
  | 'url'
  | 'picklist'
  | 'boolean'
  | 'int'
  | 'double'
  | 'currency'
  | 'percent'
  | 'date'
  | 'datetime'
  /** Compound fields (API 30.0+): read-only, computed from their components, never stored. */
  | 'address'
  | 'location';

export type Value = string | number | boolean | null;
export type SfRecord = Record<string, Value>;

/** What a formula or derived field may look at. */
export interface FormulaContext {
  /** The org's today, `YYYY-MM-DD` (the org's time zone is GMT). */
  today: string;
  lookup(object: string, id: string | null): SfRecord | undefined;
}

export interface FieldDef {
  name: string;
  label: string;
  type: FieldType;
  length?: number;
  precision?: number;
  scale?: number;
  nillable: boolean;
  createable: boolean;
  updateable: boolean;
  custom: boolean;
  /** Insert needs a value (nillable false, createable, no default). */
  required?: boolean;
  referenceTo?: string[];
  relationshipName?: string;
  /** `labels`: a value's label where it differs from the value (API names of custom picklists). */
  picklist?: { values: string[]; restricted: boolean; defaultValue?: string; labels?: Record<string, string> };
  externalId?: boolean;
  idLookup?: boolean;
  unique?: boolean;
  defaultValue?: Value;
  /** Formula (calculated) fields: computed when read, never stored, and they never move SystemModstamp. */
  formula?: { expression: string; compute(record: SfRecord, context: FormulaContext): Value };
  /**
   * `profile`: every user sees it (standard fields, fields shipped with the org). `permission-set`: fields created
   * through the API start hidden from everyone until FieldPermissions grant them (field-level security).
   */
  access: 'profile' | 'permission-set';
  description?: string;
  /** A compound field's components: the key its JSON value uses → the component field (`city` → `BillingCity`). */
  components?: Record<string, string>;
  /** A component's compound field (`BillingCity` → `BillingAddress`), as describe's `compoundFieldName` says. */
  compoundFieldName?: string;
}

export interface ObjectDef {
  name: string;
  label: string;
  labelPlural: string;
  keyPrefix: string;
  custom: boolean;
  createable: boolean;
  updateable: boolean;
  deletable: boolean;
  queryable: boolean;
  /** getUpdated / getDeleted work on it. */
  replicateable: boolean;
  /** Deleted records go to the recycle bin (queryAll, undelete). */
  recycleBin: boolean;
  isPlatformEvent?: boolean;
  /** Tooling API objects live in their own namespace (`/tooling/...`). */
  tooling?: boolean;
  fields: Map<string, FieldDef>;
}

type FieldOptions = Partial<Omit<FieldDef, 'name' | 'label' | 'type'>>;

function field(name: string, label: string, type: FieldType, options: FieldOptions = {}): FieldDef {
  return {
    name,
    label,
    type,
    nillable: true,
    createable: true,
    updateable: true,
    custom: name.endsWith('__c'),
    access: 'profile',
    ...options,
  };
}

const readOnly: FieldOptions = { createable: false, updateable: false };
const text = (name: string, label: string, length = 255, o: FieldOptions = {}) =>
  field(name, label, 'string', { length, ...o });
const required = (f: FieldDef): FieldDef => ({ ...f, nillable: false, required: true });
const ref = (name: string, label: string, to: string[], relationshipName: string, o: FieldOptions = {}) =>
  field(name, label, 'reference', { referenceTo: to, relationshipName, length: 18, ...o });
const picklist = (name: string, label: string, values: string[], restricted = false, o: FieldOptions = {}) =>
  field(name, label, 'picklist', { picklist: { values, restricted }, length: 255, ...o });
const num = (name: string, label: string, type: 'int' | 'double' | 'currency' | 'percent', o: FieldOptions = {}) =>
  field(name, label, type, { precision: 18, scale: type === 'int' ? 0 : 2, ...o });
const formula = (
  name: string,
  label: string,
  type: FieldType,
  expression: string,
  compute: (record: SfRecord, context: FormulaContext) => Value,
): FieldDef => field(name, label, type, { ...readOnly, formula: { expression, compute } });

/**
 * An Address compound and its components, as Salesforce names them (SOAP API Developer Guide, "Address Compound
 * Fields"): standard ones by prefix (`Billing` → `BillingStreet`, …, `BillingAddress`; Lead's have no prefix), custom
 * ones by the field's name (`HQ__c` → `HQ__Street__s`, `HQ__City__s`, …; state and country only as codes, since
 * custom address fields need State and Country/Territory Picklists).
 */
export function addressFields(
  compound: string,
  label: string,
  component: (part: string) => string,
  options: { custom?: boolean; access?: FieldDef['access'] } = {},
): FieldDef[] {
  const custom = options.custom ?? false;
  const parts: Array<[key: string, part: string, make: (name: string, label: string) => FieldDef]> = [
    ['street', 'Street', (n, l) => field(n, l, 'textarea', { length: 255 })],
    ['city', 'City', (n, l) => text(n, l, 40)],
    ...(custom
      ? []
      : ([
          ['state', 'State', (n: string, l: string) => text(n, l, 80)],
          ['country', 'Country', (n: string, l: string) => text(n, l, 80)],
        ] as Array<[string, string, (name: string, label: string) => FieldDef]>)),
    ['postalCode', 'PostalCode', (n, l) => text(n, l, 20)],
    ...(custom
      ? ([
          ['stateCode', 'StateCode', (n: string, l: string) => text(n, l, 10)],
          ['countryCode', 'CountryCode', (n: string, l: string) => text(n, l, 10)],
        ] as Array<[string, string, (name: string, label: string) => FieldDef]>)
      : []),
    ['latitude', 'Latitude', (n, l) => num(n, l, 'double', { scale: 15 })],
    ['longitude', 'Longitude', (n, l) => num(n, l, 'double', { scale: 15 })],
    [
      'geocodeAccuracy',
      'GeocodeAccuracy',
      (n, l) =>
        picklist(
          n,
          l,
          ['Address', 'NearAddress', 'Block', 'Street', 'ExtendedZip', 'Zip', 'City', 'County', 'State', 'Unknown'],
          true,
        ),
    ],
  ];
  const access = options.access ?? 'profile';
  const components = parts.map(([key, part, make]) => ({
    key,
    def: {
      ...make(component(part), `${label.replace(/ ?Address$/, '')} ${part}`.trim()),
      custom,
      access,
      compoundFieldName: compound,
    },
  }));
  return [
    field(compound, label, 'address', {
      ...readOnly,
      custom,
      access,
      components: Object.fromEntries(components.map((c) => [c.key, c.def.name])),
    }),
    ...components.map((c) => c.def),
  ];
}

/** A custom Location (geolocation) field `X__c` and its components `X__Latitude__s`, `X__Longitude__s`. */
export function locationFields(name: string, label: string, access: FieldDef['access'], scale = 6): FieldDef[] {
  const base = name.replace(/__c$/, '');
  const part = (p: 'Latitude' | 'Longitude'): FieldDef => ({
    ...num(`${base}__${p}__s`, `${label} (${p})`, 'double', { scale }),
    custom: true,
    access,
    compoundFieldName: name,
  });
  const latitude = part('Latitude');
  const longitude = part('Longitude');
  return [
    field(name, label, 'location', {
      ...readOnly,
      custom: true,
      access,
      components: { latitude: latitude.name, longitude: longitude.name },
    }),
    latitude,
    longitude,
  ];
}

/** A compound field's value as the REST API writes it: an object of its components, or null when all are empty. */
export function compoundValue(field: FieldDef, record: SfRecord): Record<string, Value> | null {
  const out: Record<string, Value> = {};
  let any = false;
  for (const [key, name] of Object.entries(field.components ?? {}).sort(([a], [b]) => a.localeCompare(b))) {
    out[key] = record[name] ?? null;
    if (out[key] !== null) any = true;
  }
  if (field.type === 'address') {
    for (const key of ['state', 'country', 'stateCode', 'countryCode']) out[key] ??= null;
  }
  return any ? Object.fromEntries(Object.entries(out).sort(([a], [b]) => a.localeCompare(b))) : null;
}

/** Id, IsDeleted, audit fields and SystemModstamp: on every standard object. */
function systemFields(options: { owner?: boolean; noIsDeleted?: boolean } = {}): FieldDef[] {
  const fields = [
    field('Id', `Record ID`, 'id', { ...readOnly, nillable: false, idLookup: true, length: 18 }),
    // User has no IsDeleted (users are deactivated, never deleted: Object Reference, "User").
    ...(options.noIsDeleted ? [] : [field('IsDeleted', 'Deleted', 'boolean', { ...readOnly, nillable: false })]),
    field('CreatedDate', 'Created Date', 'datetime', { ...readOnly, nillable: false }),
    ref('CreatedById', 'Created By ID', ['User'], 'CreatedBy', { ...readOnly, nillable: false }),
    field('LastModifiedDate', 'Last Modified Date', 'datetime', { ...readOnly, nillable: false }),
    ref('LastModifiedById', 'Last Modified By ID', ['User'], 'LastModifiedBy', { ...readOnly, nillable: false }),
    field('SystemModstamp', 'System Modstamp', 'datetime', { ...readOnly, nillable: false }),
  ];
  if (options.owner) fields.push(ref('OwnerId', 'Owner ID', ['User'], 'Owner', { nillable: false }));
  return fields;
}

function objectDef(
  name: string,
  keyPrefix: string,
  fields: FieldDef[],
  options: Partial<Omit<ObjectDef, 'name' | 'keyPrefix' | 'fields'>> = {},
): ObjectDef {
  return {
    name,
    label: options.label ?? name,
    labelPlural: options.labelPlural ?? `${options.label ?? name}s`,
    keyPrefix,
    custom: name.endsWith('__c') || name.endsWith('__e'),
    createable: true,
    updateable: true,
    deletable: true,
    queryable: true,
    replicateable: true,
    recycleBin: true,
    ...options,
    fields: new Map(fields.map((f) => [f.name.toLowerCase(), f])),
  };
}

const days = (from: string, to: string) => Math.round((Date.parse(to) - Date.parse(from)) / 86_400_000);
const dateOf = (ms: Value | undefined) => (typeof ms === 'number' ? new Date(ms).toISOString().slice(0, 10) : null);

/** The standard opportunity stages of a new org: the sales path of the sandbox's world. */
export const OPPORTUNITY_STAGES = [
  { name: 'Prospecting', probability: 10, forecast: 'Pipeline', closed: false, won: false },
  { name: 'Qualification', probability: 20, forecast: 'Pipeline', closed: false, won: false },
  { name: 'Needs Analysis', probability: 40, forecast: 'Pipeline', closed: false, won: false },
  { name: 'Proposal/Price Quote', probability: 65, forecast: 'BestCase', closed: false, won: false },
  { name: 'Negotiation/Review', probability: 85, forecast: 'Forecast', closed: false, won: false },
  { name: 'Closed Won', probability: 100, forecast: 'Closed', closed: true, won: true },
  { name: 'Closed Lost', probability: 0, forecast: 'Omitted', closed: true, won: false },
] as const;
export const FORECAST_LABELS: Record<string, string> = {
  Pipeline: 'Pipeline',
  BestCase: 'Best Case',
  Forecast: 'Commit',
  Closed: 'Closed',
  Omitted: 'Omitted',
};
const stageOf = (name: Value | undefined) => OPPORTUNITY_STAGES.find((s) => s.name === name);

export const LEAD_STATUSES = [
  'Open - Not Contacted',
  'Working - Contacted',
  'Closed - Converted',
  'Closed - Not Converted',
];
export const TASK_STATUSES = ['Not Started', 'In Progress', 'Completed', 'Waiting on someone else', 'Deferred'];
const LEAD_SOURCES = ['Web', 'Phone Inquiry', 'Partner Referral', 'Purchased List', 'Other'];
const OPPORTUNITY_TYPES = [
  'New Customer',
  'Existing Customer - Upgrade',
  'Existing Customer - Renewal',
  'Existing Customer - Downgrade',
];

/** Builds the org's objects. Each sandbox gets its own copy: custom fields are added to it at run time. */
export function createSchema(): Map<string, ObjectDef> {
  const defs: ObjectDef[] = [
    objectDef(
      'Organization',
      '00D',
      [
        ...systemFields(),
        text('Name', 'Name', 80, readOnly),
        text('OrganizationType', 'Edition', 40, readOnly),
        text('InstanceName', 'Instance Name', 5, readOnly),
        field('IsSandbox', 'Is Sandbox', 'boolean', readOnly),
        text('TimeZoneSidKey', 'Default Time Zone', 40, readOnly),
        // A picklist of ISO codes in the Object Reference; the org's currency when multi-currency is off.
        text('DefaultCurrencyIsoCode', 'Locale Currency', 3, readOnly),
      ],
      { createable: false, updateable: false, deletable: false, replicateable: false, recycleBin: false },
    ),
    objectDef(
      'User',
      '005',
      [
        ...systemFields({ noIsDeleted: true }),
        required(text('Username', 'Username', 80, { unique: true, idLookup: true })),
        text('FirstName', 'First Name', 40),
        required(text('LastName', 'Last Name', 80)),
        text('Name', 'Full Name', 121, readOnly),
        required(field('Email', 'Email', 'email', { length: 128 })),
        required(text('Alias', 'Alias', 8)),
        text('Title', 'Title', 80),
        field('IsActive', 'Active', 'boolean', { nillable: false, defaultValue: true }),
        picklist('UserType', 'User Type', ['Standard', 'PowerPartner', 'CsnOnly'], true, readOnly),
        text('TimeZoneSidKey', 'Time Zone', 40),
      ],
      { deletable: false, recycleBin: false },
    ),
    objectDef('Account', '001', [
      ...systemFields({ owner: true }),
      required(text('Name', 'Account Name', 255, { idLookup: true })),
      field('Website', 'Website', 'url', { length: 255 }),
      picklist('Industry', 'Industry', []),
      num('NumberOfEmployees', 'Employees', 'int', { precision: 8 }),
      num('AnnualRevenue', 'Annual Revenue', 'currency'),
      ...addressFields('BillingAddress', 'Billing Address', (part) => `Billing${part}`),
      field('Phone', 'Account Phone', 'phone', { length: 40 }),
      picklist('Type', 'Account Type', ['Prospect', 'Customer - Direct', 'Customer - Channel', 'Partner', 'Other']),
      field('Description', 'Account Description', 'textarea', { length: 32000 }),
      field('LastActivityDate', 'Last Activity', 'date', readOnly),
      ref('MasterRecordId', 'Master Record ID', ['Account'], 'MasterRecord', readOnly),
      formula(
        'Revenue_Per_Employee__c',
        'Revenue per Employee',
        'currency',
        'AnnualRevenue / NumberOfEmployees',
        (r) =>
          typeof r.AnnualRevenue === 'number' && typeof r.NumberOfEmployees === 'number' && r.NumberOfEmployees > 0
            ? Math.round((r.AnnualRevenue / r.NumberOfEmployees) * 100) / 100
            : null,
      ),
    ]),
    objectDef('Contact', '003', [
      ...systemFields({ owner: true }),
      picklist('Salutation', 'Salutation', ['Mr.', 'Ms.', 'Mrs.', 'Dr.', 'Prof.']),
      text('FirstName', 'First Name', 40),
      required(text('LastName', 'Last Name', 80)),
      text('Name', 'Full Name', 121, readOnly),
      ref('AccountId', 'Account ID', ['Account'], 'Account'),
      field('Email', 'Email', 'email', { length: 80, idLookup: true }),
      field('Phone', 'Business Phone', 'phone', { length: 40 }),
      text('Title', 'Title', 128),
      ...addressFields('MailingAddress', 'Mailing Address', (part) => `Mailing${part}`),
      picklist('LeadSource', 'Lead Source', LEAD_SOURCES),
      field('Description', 'Contact Description', 'textarea', { length: 32000 }),
      field('LastActivityDate', 'Last Activity', 'date', readOnly),
      ref('MasterRecordId', 'Master Record ID', ['Contact'], 'MasterRecord', readOnly),
      num('Email_Opens__c', 'Email Opens', 'double', {
        scale: 0,
        description: 'Marketing email opens to date, written nightly by the marketing integration.',
      }),
      num('Page_Views__c', 'Page Views', 'double', {
        scale: 0,
        description: 'Website page views to date, written nightly by the marketing integration.',
      }),
      formula(
        'Engagement_Score__c',
        'Engagement Score',
        'double',
        'BLANKVALUE(Email_Opens__c, 0) * 2 + BLANKVALUE(Page_Views__c, 0)',
        (r) => Number(r.Email_Opens__c ?? 0) * 2 + Number(r.Page_Views__c ?? 0),
      ),
    ]),
    objectDef('Lead', '00Q', [
      ...systemFields({ owner: true }),
      text('FirstName', 'First Name', 40),
      required(text('LastName', 'Last Name', 80)),
      text('Name', 'Full Name', 121, readOnly),
      required(text('Company', 'Company', 255)),
      field('Email', 'Email', 'email', { length: 80 }),
      field('Phone', 'Phone', 'phone', { length: 40 }),
      text('Title', 'Title', 128),
      picklist('Status', 'Lead Status', LEAD_STATUSES, true, {
        nillable: false,
        defaultValue: 'Open - Not Contacted',
      }),
      picklist('LeadSource', 'Lead Source', LEAD_SOURCES),
      picklist('Industry', 'Industry', []),
      num('NumberOfEmployees', 'Employees', 'int', { precision: 8 }),
      num('AnnualRevenue', 'Annual Revenue', 'currency'),
      ...addressFields('Address', 'Address', (part) => part),
      picklist('Rating', 'Rating', ['Hot', 'Warm', 'Cold']),
      field('IsConverted', 'Converted', 'boolean', { ...readOnly, nillable: false }),
      field('ConvertedDate', 'Converted Date', 'date', readOnly),
      ref('ConvertedAccountId', 'Converted Account ID', ['Account'], 'ConvertedAccount', readOnly),
      ref('ConvertedContactId', 'Converted Contact ID', ['Contact'], 'ConvertedContact', readOnly),
      ref('ConvertedOpportunityId', 'Converted Opportunity ID', ['Opportunity'], 'ConvertedOpportunity', readOnly),
      field('LastActivityDate', 'Last Activity', 'date', readOnly),
      ref('MasterRecordId', 'Master Record ID', ['Lead'], 'MasterRecord', readOnly),
      num('Email_Opens__c', 'Email Opens', 'double', { scale: 0 }),
      num('Page_Views__c', 'Page Views', 'double', { scale: 0 }),
    ]),
    objectDef('Opportunity', '006', [
      ...systemFields({ owner: true }),
      required(text('Name', 'Name', 120)),
      ref('AccountId', 'Account ID', ['Account'], 'Account'),
      required(
        picklist(
          'StageName',
          'Stage',
          OPPORTUNITY_STAGES.map((s) => s.name),
          true,
        ),
      ),
      num('Amount', 'Amount', 'currency'),
      num('Probability', 'Probability (%)', 'percent', { precision: 3, scale: 0 }),
      formula('ExpectedRevenue', 'Expected Amount', 'currency', 'Amount * Probability', (r) =>
        typeof r.Amount === 'number' && typeof r.Probability === 'number'
          ? Math.round(r.Amount * r.Probability) / 100
          : null,
      ),
      required(field('CloseDate', 'Close Date', 'date')),
      picklist('Type', 'Opportunity Type', OPPORTUNITY_TYPES),
      picklist('LeadSource', 'Lead Source', LEAD_SOURCES),
      text('NextStep', 'Next Step', 255),
      field('Description', 'Description', 'textarea', { length: 32000 }),
      field('IsClosed', 'Closed', 'boolean', { ...readOnly, nillable: false }),
      field('IsWon', 'Won', 'boolean', { ...readOnly, nillable: false }),
      picklist('ForecastCategory', 'Forecast Category', Object.keys(FORECAST_LABELS), true, readOnly),
      picklist('ForecastCategoryName', 'Forecast Category', Object.values(FORECAST_LABELS), true, readOnly),
      field('HasOpportunityLineItem', 'Has Line Item', 'boolean', { ...readOnly, nillable: false }),
      ref('Pricebook2Id', 'Price Book ID', ['Pricebook2'], 'Pricebook2'),
      field('LastActivityDate', 'Last Activity', 'date', readOnly),
      formula('FiscalYear', 'Fiscal Year', 'int', 'YEAR(CloseDate)', (r) =>
        typeof r.CloseDate === 'string' ? Number(r.CloseDate.slice(0, 4)) : null,
      ),
      formula('FiscalQuarter', 'Fiscal Quarter', 'int', 'CEILING(MONTH(CloseDate) / 3)', (r) =>
        typeof r.CloseDate === 'string' ? Math.ceil(Number(r.CloseDate.slice(5, 7)) / 3) : null,
      ),
      num('Activity_Count__c', 'Activity Count', 'double', {
        scale: 0,
        description: 'Logged calls, emails and meetings; kept up to date by a record-triggered flow on Task.',
      }),
      formula(
        'Days_Open__c',
        'Days Open',
        'double',
        'IF(IsClosed, CloseDate - DATEVALUE(CreatedDate), TODAY() - DATEVALUE(CreatedDate))',
        (r, c) => {
          const created = dateOf(r.CreatedDate);
          if (!created) return null;
          const closed = stageOf(r.StageName)?.closed ?? false;
          return days(created, closed && typeof r.CloseDate === 'string' ? r.CloseDate : c.today);
        },
      ),
    ]),
    objectDef(
      'OpportunityStage',
      '01J',
      [
        ...systemFields(),
        text('MasterLabel', 'Master Label', 255, readOnly),
        text('ApiName', 'API Name', 255, readOnly),
        field('IsActive', 'Active', 'boolean', readOnly),
        num('SortOrder', 'Sort Order', 'int', readOnly),
        field('IsClosed', 'Closed', 'boolean', readOnly),
        field('IsWon', 'Won', 'boolean', readOnly),
        picklist('ForecastCategory', 'Forecast Type', Object.keys(FORECAST_LABELS), true, readOnly),
        picklist('ForecastCategoryName', 'Forecast Category', Object.values(FORECAST_LABELS), true, readOnly),
        num('DefaultProbability', 'Probability (%)', 'percent', readOnly),
        text('Description', 'Description', 255, readOnly),
      ],
      { createable: false, updateable: false, deletable: false, replicateable: false, recycleBin: false },
    ),
    objectDef(
      'OpportunityHistory',
      '008',
      [
        ...systemFields(),
        ref('OpportunityId', 'Opportunity ID', ['Opportunity'], 'Opportunity', readOnly),
        picklist(
          'StageName',
          'Stage',
          OPPORTUNITY_STAGES.map((s) => s.name),
          true,
          readOnly,
        ),
        num('Amount', 'Amount', 'currency', readOnly),
        num('ExpectedRevenue', 'Expected Amount', 'currency', readOnly),
        field('CloseDate', 'Close Date', 'date', readOnly),
        num('Probability', 'Probability (%)', 'percent', readOnly),
        picklist('ForecastCategory', 'Forecast Category', Object.keys(FORECAST_LABELS), true, readOnly),
        num('PrevAmount', 'Previous Amount', 'currency', readOnly),
        field('PrevCloseDate', 'Previous Close Date', 'date', readOnly),
      ],
      { createable: false, updateable: false, deletable: false },
    ),
    objectDef(
      'OpportunityContactRole',
      '00K',
      [
        ...systemFields(),
        required(ref('OpportunityId', 'Opportunity ID', ['Opportunity'], 'Opportunity', { updateable: false })),
        required(ref('ContactId', 'Contact ID', ['Contact'], 'Contact')),
        picklist('Role', 'Role', [
          'Business User',
          'Decision Maker',
          'Economic Buyer',
          'Economic Decision Maker',
          'Evaluator',
          'Executive Sponsor',
          'Influencer',
          'Technical Buyer',
          'Other',
        ]),
        field('IsPrimary', 'Primary', 'boolean', { nillable: false, defaultValue: false }),
      ],
      { label: 'Opportunity Contact Role' },
    ),
    objectDef('Product2', '01t', [
      ...systemFields(),
      required(text('Name', 'Product Name', 255)),
      text('ProductCode', 'Product Code', 255),
      text('StockKeepingUnit', 'Product SKU', 180, { externalId: true, unique: true, idLookup: true }),
      picklist('Family', 'Product Family', ['platform', 'analytics', 'security', 'services', 'extensions']),
      field('IsActive', 'Active', 'boolean', { nillable: false, defaultValue: true }),
      field('Description', 'Product Description', 'textarea', { length: 4000 }),
    ]),
    objectDef('Pricebook2', '01s', [
      ...systemFields(),
      required(text('Name', 'Price Book Name', 255)),
      field('IsActive', 'Active', 'boolean', { nillable: false, defaultValue: false }),
      field('IsStandard', 'Is Standard Price Book', 'boolean', { ...readOnly, nillable: false }),
      text('Description', 'Description', 255),
    ]),
    objectDef(
      'PricebookEntry',
      '01u',
      [
        ...systemFields(),
        required(ref('Pricebook2Id', 'Price Book ID', ['Pricebook2'], 'Pricebook2', { updateable: false })),
        required(ref('Product2Id', 'Product ID', ['Product2'], 'Product2', { updateable: false })),
        required(num('UnitPrice', 'List Price', 'currency')),
        field('IsActive', 'Active', 'boolean', { nillable: false, defaultValue: false }),
        field('UseStandardPrice', 'Use Standard Price', 'boolean', { nillable: false, defaultValue: false }),
        text('Name', 'Product Name', 255, readOnly),
        text('ProductCode', 'Product Code', 255, readOnly),
      ],
      { recycleBin: false },
    ),
    objectDef('OpportunityLineItem', '00k', [
      ...systemFields(),
      required(ref('OpportunityId', 'Opportunity ID', ['Opportunity'], 'Opportunity', { updateable: false })),
      ref('PricebookEntryId', 'Price Book Entry ID', ['PricebookEntry'], 'PricebookEntry', { updateable: false }),
      ref('Product2Id', 'Product ID', ['Product2'], 'Product2', { updateable: false }),
      text('Name', 'Opportunity Product Name', 376, readOnly),
      text('ProductCode', 'Product Code', 255, readOnly),
      required(num('Quantity', 'Quantity', 'double')),
      num('UnitPrice', 'Sales Price', 'currency'),
      num('ListPrice', 'List Price', 'currency', readOnly),
      num('Discount', 'Discount', 'percent'),
      formula('TotalPrice', 'Total Price', 'currency', 'Quantity * UnitPrice * (1 - Discount)', (r) =>
        typeof r.Quantity === 'number' && typeof r.UnitPrice === 'number'
          ? Math.round(r.Quantity * r.UnitPrice * (1 - Number(r.Discount ?? 0) / 100) * 100) / 100
          : null,
      ),
      field('ServiceDate', 'Date', 'date'),
      text('Description', 'Line Description', 255),
    ]),
    objectDef('Task', '00T', [
      ...systemFields({ owner: true }),
      text('Subject', 'Subject', 255),
      ref('WhoId', 'Name ID', ['Contact', 'Lead'], 'Who'),
      ref('WhatId', 'Related To ID', ['Account', 'Opportunity'], 'What'),
      field('ActivityDate', 'Due Date Only', 'date'),
      picklist('Status', 'Status', TASK_STATUSES, true, { nillable: false, defaultValue: 'Not Started' }),
      picklist('Priority', 'Priority', ['High', 'Normal', 'Low'], true, { nillable: false, defaultValue: 'Normal' }),
      picklist('Type', 'Type', ['Call', 'Email', 'Meeting', 'Other']),
      picklist('TaskSubtype', 'Task Subtype', ['Task', 'Email', 'Call'], true, { updateable: false }),
      field('Description', 'Description', 'textarea', { length: 32000 }),
      field('IsClosed', 'Closed', 'boolean', { ...readOnly, nillable: false }),
      field('IsHighPriority', 'High Priority', 'boolean', { ...readOnly, nillable: false }),
      ref('AccountId', 'Account ID', ['Account'], 'Account', readOnly),
    ]),
    objectDef(
      'PermissionSet',
      '0PS',
      [
        ...systemFields(),
        required(text('Name', 'Name', 80)),
        required(text('Label', 'Label', 80)),
        text('Description', 'Description', 255),
        field('IsOwnedByProfile', 'Is Owned by Profile', 'boolean', { ...readOnly, nillable: false }),
      ],
      { recycleBin: false, replicateable: false },
    ),
    objectDef(
      'FieldPermissions',
      '01k',
      [
        ...systemFields(),
        required(ref('ParentId', 'Parent ID', ['PermissionSet'], 'Parent', { updateable: false })),
        required(text('SobjectType', 'Sobject Type Name', 40, { updateable: false })),
        required(text('Field', 'Field Name', 120, { updateable: false })),
        field('PermissionsRead', 'Read Access', 'boolean', { nillable: false, defaultValue: false }),
        field('PermissionsEdit', 'Edit Access', 'boolean', { nillable: false, defaultValue: false }),
      ],
      { recycleBin: false, replicateable: false, label: 'Field Permissions', labelPlural: 'Field Permissions' },
    ),
    objectDef(
      'PermissionSetAssignment',
      '0Pa',
      [
        ...systemFields(),
        required(
          ref('PermissionSetId', 'Permission Set ID', ['PermissionSet'], 'PermissionSet', { updateable: false }),
        ),
        required(ref('AssigneeId', 'Assignee ID', ['User'], 'Assignee', { updateable: false })),
      ],
      { recycleBin: false, replicateable: false, updateable: false },
    ),
  ];
  return new Map(defs.map((d) => [d.name.toLowerCase(), d]));
}

/** Tooling API objects: custom field and custom object definitions. */
export function createToolingSchema(): Map<string, ObjectDef> {
  const toolingOptions = { tooling: true, recycleBin: false, replicateable: false, updateable: false } as const;
  const defs = [
    objectDef(
      'CustomField',
      '00N',
      [
        field('Id', 'Custom Field Definition ID', 'id', { ...readOnly, nillable: false }),
        text('DeveloperName', 'Field Name', 40, readOnly),
        text('TableEnumOrId', 'Table Enum or ID', 40, readOnly),
        text('FullName', 'Full Name', 255, { updateable: false }),
        text('NamespacePrefix', 'Namespace Prefix', 15, readOnly),
        text('Description', 'Description', 1000, readOnly),
        field('CreatedDate', 'Created Date', 'datetime', readOnly),
        field('LastModifiedDate', 'Last Modified Date', 'datetime', readOnly),
      ],
      { ...toolingOptions, label: 'Custom Field Definition' },
    ),
    objectDef(
      'CustomObject',
      '01I',
      [
        field('Id', 'Custom Object Definition ID', 'id', { ...readOnly, nillable: false }),
        text('DeveloperName', 'Object Name', 40, readOnly),
        text('FullName', 'Full Name', 255, { updateable: false }),
        text('NamespacePrefix', 'Namespace Prefix', 15, readOnly),
        field('CreatedDate', 'Created Date', 'datetime', readOnly),
      ],
      { ...toolingOptions, label: 'Custom Object Definition' },
    ),
  ];
  return new Map(defs.map((d) => [d.name.toLowerCase(), d]));
}

/** A platform event definition (`…__e`): publish-only, no queries, no recycle bin. */
export function platformEventDef(name: string, label: string, fields: FieldDef[] = []): ObjectDef {
  return objectDef(
    name,
    'e00',
    [
      field('ReplayId', 'Replay ID', 'string', { ...readOnly, length: 255 }),
      field('CreatedDate', 'Created Date', 'datetime', readOnly),
      ref('CreatedById', 'Created By ID', ['User'], 'CreatedBy', readOnly),
      field('EventUuid', 'Event UUID', 'string', { ...readOnly, length: 36 }),
      ...fields,
    ],
    {
      label,
      isPlatformEvent: true,
      updateable: false,
      deletable: false,
      queryable: false,
      replicateable: false,
      recycleBin: false,
    },
  );
}

/** A custom field as created through the Tooling API (`Metadata.type` → describe type). */
export function customFieldDef(
  name: string,
  metadata: {
    label: string;
    type: string;
    length?: number;
    precision?: number;
    scale?: number;
    externalId?: boolean;
    unique?: boolean;
    description?: string;
    picklistValues?: string[];
    picklistLabels?: Record<string, string>;
    restricted?: boolean;
  },
  access: FieldDef['access'],
): FieldDef | undefined {
  const types: Record<string, FieldType> = {
    Text: 'string',
    TextArea: 'textarea',
    LongTextArea: 'textarea',
    Number: 'double',
    Currency: 'currency',
    Percent: 'percent',
    Checkbox: 'boolean',
    Date: 'date',
    DateTime: 'datetime',
    Email: 'email',
    Phone: 'phone',
    Url: 'url',
    Picklist: 'picklist',
  };
  const type = types[metadata.type];
  if (!type) return undefined;
  return field(name, metadata.label, type, {
    custom: true,
    access,
    ...(metadata.length !== undefined ? { length: metadata.length } : type === 'string' ? { length: 255 } : {}),
    ...(metadata.precision !== undefined ? { precision: metadata.precision } : {}),
    ...(metadata.scale !== undefined ? { scale: metadata.scale } : {}),
    ...(metadata.externalId ? { externalId: true, idLookup: true } : {}),
    ...(metadata.unique ? { unique: true } : {}),
    ...(metadata.description ? { description: metadata.description } : {}),
    ...(type === 'picklist'
      ? {
          picklist: {
            values: metadata.picklistValues ?? [],
            restricted: metadata.restricted ?? false,
            ...(metadata.picklistLabels ? { labels: metadata.picklistLabels } : {}),
          },
        }
      : {}),
    ...(type === 'boolean' ? { nillable: false, defaultValue: false } : {}),
  });
}

export const stage = stageOf;
