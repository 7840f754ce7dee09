import { conflict, notFound, type PropertyValueError, propertyValueError, validationError } from './errors.js';
import { OBJECT_TYPES, type ObjectTypeName } from './object-types.js';

export type PropertyType = 'string' | 'number' | 'date' | 'datetime' | 'enumeration' | 'bool' | 'phone_number';

export interface PropertyOption {
  label: string;
  value: string;
  displayOrder: number;
  hidden: boolean;
  description?: string;
}

/** A property definition as the properties API shows it. */
export interface PropertyDefinition {
  name: string;
  label: string;
  type: PropertyType;
  fieldType: string;
  groupName: string;
  description: string;
  options: PropertyOption[];
  displayOrder: number;
  hasUniqueValue: boolean;
  hidden: boolean;
  formField: boolean;
  calculated: boolean;
  externalOptions: boolean;
  hubspotDefined: boolean;
  /** Values only HubSpot sets (ids, timestamps, calculated counts): an API write to them is refused. */
  readOnlyValue: boolean;
  createdAt: string;
  updatedAt: string;
  archived: boolean;
  archivedAt?: string;
}

export interface PropertyGroup {
  name: string;
  label: string;
  displayOrder: number;
  archived: boolean;
}

const TYPES: readonly PropertyType[] = ['string', 'number', 'date', 'datetime', 'enumeration', 'bool', 'phone_number'];
const FIELD_TYPES = [
  'text',
  'textarea',
  'number',
  'date',
  'file',
  'select',
  'radio',
  'checkbox',
  'booleancheckbox',
  'calculation_equation',
  'html',
  'phonenumber',
];

type Spec = [
  name: string,
  label: string,
  type: PropertyType,
  fieldType: string,
  readOnly?: boolean,
  options?: string[],
];

const BUILT_IN: Record<ObjectTypeName, { group: string; specs: Spec[] }> = {
  contacts: {
    group: 'contactinformation',
    specs: [
      ['email', 'Email', 'string', 'text'],
      ['firstname', 'First Name', 'string', 'text'],
      ['lastname', 'Last Name', 'string', 'text'],
      ['jobtitle', 'Job Title', 'string', 'text'],
      ['phone', 'Phone Number', 'string', 'phonenumber'],
      ['country', 'Country/Region', 'string', 'text'],
      ['city', 'City', 'string', 'text'],
      ['company', 'Company Name', 'string', 'text'],
      ['lifecyclestage', 'Lifecycle Stage', 'enumeration', 'radio', false, LIFECYCLE()],
      [
        'hs_lead_status',
        'Lead Status',
        'enumeration',
        'radio',
        false,
        ['NEW', 'OPEN', 'IN_PROGRESS', 'OPEN_DEAL', 'UNQUALIFIED', 'ATTEMPTED_TO_CONTACT', 'CONNECTED', 'BAD_TIMING'],
      ],
      ['hubspot_owner_id', 'Contact owner', 'enumeration', 'select'],
      ['associatedcompanyid', 'Primary Associated Company ID', 'number', 'number'],
      ['notes_last_updated', 'Last Activity Date', 'datetime', 'date', true],
      ['hs_last_sales_activity_timestamp', 'Last Engagement Date', 'datetime', 'date', true],
      ['hs_email_open', 'Marketing emails opened', 'number', 'number', true],
      ['hs_analytics_num_page_views', 'Number of Pageviews', 'number', 'number', true],
      ['num_associated_deals', 'Associated Deals', 'number', 'number', true],
      ['hs_merged_object_ids', 'Merged Contact IDs', 'enumeration', 'checkbox', true],
      ['createdate', 'Create Date', 'datetime', 'date', true],
      ['lastmodifieddate', 'Last Modified Date', 'datetime', 'date', true],
      ['hs_lastmodifieddate', 'Object last modified date/time', 'datetime', 'date', true],
      ['hs_object_id', 'Record ID', 'number', 'number', true],
    ],
  },
  companies: {
    group: 'companyinformation',
    specs: [
      ['name', 'Company name', 'string', 'text'],
      ['domain', 'Company Domain Name', 'string', 'text'],
      ['industry', 'Industry', 'enumeration', 'select'],
      ['numberofemployees', 'Number of Employees', 'number', 'number'],
      ['annualrevenue', 'Annual Revenue', 'number', 'number'],
      ['country', 'Country/Region', 'string', 'text'],
      ['city', 'City', 'string', 'text'],
      ['hubspot_owner_id', 'Company owner', 'enumeration', 'select'],
      ['num_associated_contacts', 'Number of Associated Contacts', 'number', 'number', true],
      ['num_associated_deals', 'Number of Associated Deals', 'number', 'number', true],
      ['hs_merged_object_ids', 'Merged Company IDs', 'enumeration', 'checkbox', true],
      ['createdate', 'Create Date', 'datetime', 'date', true],
      ['hs_lastmodifieddate', 'Last Modified Date', 'datetime', 'date', true],
      ['hs_object_id', 'Record ID', 'number', 'number', true],
    ],
  },
  deals: {
    group: 'dealinformation',
    specs: [
      ['dealname', 'Deal Name', 'string', 'text'],
      ['amount', 'Amount', 'number', 'number'],
      ['deal_currency_code', 'Currency', 'enumeration', 'select', false, ['USD', 'EUR', 'GBP', 'CAD', 'AUD']],
      ['pipeline', 'Pipeline', 'enumeration', 'select'],
      ['dealstage', 'Deal Stage', 'enumeration', 'radio'],
      ['closedate', 'Close Date', 'datetime', 'date'],
      ['hubspot_owner_id', 'Deal owner', 'enumeration', 'select'],
      ['num_notes', 'Number of Sales Activities', 'number', 'number', true],
      ['notes_last_updated', 'Last Activity Date', 'datetime', 'date', true],
      ['hs_last_sales_activity_timestamp', 'Last Engagement Date', 'datetime', 'date', true],
      ['hs_is_closed', 'Is Deal Closed?', 'bool', 'booleancheckbox', true],
      ['hs_is_closed_won', 'Is Closed Won', 'bool', 'booleancheckbox', true],
      ['hs_deal_stage_probability', 'Deal probability', 'number', 'number', true],
      ['num_associated_contacts', 'Number of Associated Contacts', 'number', 'number', true],
      ['hs_num_of_associated_line_items', 'Number of Line Items', 'number', 'number', true],
      ['hs_merged_object_ids', 'Merged Deal IDs', 'enumeration', 'checkbox', true],
      ['createdate', 'Create Date', 'datetime', 'date'],
      ['hs_lastmodifieddate', 'Last Modified Date', 'datetime', 'date', true],
      ['hs_object_id', 'Record ID', 'number', 'number', true],
    ],
  },
  line_items: {
    group: 'lineiteminformation',
    specs: [
      ['name', 'Name', 'string', 'text'],
      ['quantity', 'Quantity', 'number', 'number'],
      ['price', 'Unit price', 'number', 'number'],
      ['amount', 'Net price', 'number', 'number', true],
      ['hs_discount_percentage', 'Discount Percentage', 'number', 'number'],
      ['hs_product_id', 'Product ID', 'number', 'number'],
      ['hs_sku', 'SKU', 'string', 'text'],
      ['createdate', 'Create Date', 'datetime', 'date', true],
      ['hs_lastmodifieddate', 'Last Modified Date', 'datetime', 'date', true],
      ['hs_object_id', 'Record ID', 'number', 'number', true],
    ],
  },
  products: {
    group: 'productinformation',
    specs: [
      ['name', 'Name', 'string', 'text'],
      ['description', 'Description', 'string', 'textarea'],
      ['price', 'Unit price', 'number', 'number'],
      ['hs_sku', 'SKU', 'string', 'text'],
      ['hs_product_type', 'Product type', 'enumeration', 'select', false, ['inventory', 'non_inventory', 'service']],
      ['createdate', 'Create Date', 'datetime', 'date', true],
      ['hs_lastmodifieddate', 'Last Modified Date', 'datetime', 'date', true],
      ['hs_object_id', 'Record ID', 'number', 'number', true],
    ],
  },
  tasks: {
    group: 'taskinformation',
    specs: [
      ['hs_timestamp', 'Due date', 'datetime', 'date'],
      ['hs_task_subject', 'Task Title', 'string', 'text'],
      ['hs_task_body', 'Notes', 'string', 'html'],
      [
        'hs_task_status',
        'Task Status',
        'enumeration',
        'select',
        false,
        ['NOT_STARTED', 'IN_PROGRESS', 'WAITING', 'COMPLETED', 'DEFERRED'],
      ],
      ['hs_task_priority', 'Priority', 'enumeration', 'select', false, ['NONE', 'LOW', 'MEDIUM', 'HIGH']],
      ['hs_task_type', 'Task Type', 'enumeration', 'select', false, ['EMAIL', 'CALL', 'TODO']],
      ['hs_task_reminders', 'Reminders', 'enumeration', 'checkbox'],
      ['hubspot_owner_id', 'Assigned to', 'enumeration', 'select'],
      ['hs_createdate', 'Create Date', 'datetime', 'date', true],
      ['hs_lastmodifieddate', 'Last Modified Date', 'datetime', 'date', true],
      ['hs_object_id', 'Record ID', 'number', 'number', true],
    ],
  },
};

function LIFECYCLE(): string[] {
  return [
    'subscriber',
    'lead',
    'marketingqualifiedlead',
    'salesqualifiedlead',
    'opportunity',
    'customer',
    'evangelist',
    'other',
  ];
}

/** Enumeration properties whose options are not a fixed list (owners, pipelines, stages, free multi-values). */
const OPEN_ENUMERATIONS = new Set(['hubspot_owner_id', 'hs_merged_object_ids', 'hs_task_reminders']);

function option(value: string, displayOrder: number, label = value): PropertyOption {
  return { label, value, displayOrder, hidden: false };
}

/** Every object type's property definitions and groups, with HubSpot's rules for creating and changing them. */
export class PropertyRegistry {
  private readonly definitions = new Map<ObjectTypeName, Map<string, PropertyDefinition>>();
  private readonly groups = new Map<ObjectTypeName, Map<string, PropertyGroup>>();

  constructor(private readonly now: () => number) {
    const at = new Date(now()).toISOString();
    for (const type of OBJECT_TYPES) {
      const { group, specs } = BUILT_IN[type];
      this.groups.set(
        type,
        new Map([[group, { name: group, label: labelOf(group), displayOrder: 0, archived: false }]]),
      );
      const defs = new Map<string, PropertyDefinition>();
      specs.forEach(([name, label, ptype, fieldType, readOnly, options], i) => {
        defs.set(name, {
          name,
          label,
          type: ptype,
          fieldType,
          groupName: group,
          description: '',
          options: (options ?? (ptype === 'bool' ? ['true', 'false'] : [])).map((v, k) => option(v, k)),
          displayOrder: i,
          hasUniqueValue: name === 'hs_object_id',
          hidden: false,
          formField: !readOnly,
          calculated: readOnly === true && name.startsWith('num_'),
          externalOptions: name === 'hubspot_owner_id',
          hubspotDefined: true,
          readOnlyValue: readOnly === true,
          createdAt: at,
          updatedAt: at,
          archived: false,
        });
      });
      this.definitions.set(type, defs);
    }
  }

  get(type: ObjectTypeName, name: string): PropertyDefinition | undefined {
    const def = this.definitions.get(type)!.get(name);
    return def && !def.archived ? def : undefined;
  }

  list(type: ObjectTypeName, archived = false): PropertyDefinition[] {
    return [...this.definitions.get(type)!.values()].filter((d) => d.archived === archived);
  }

  /** Replaces an enumeration's options (used for owners, pipelines and stages, which the CRM keeps current). */
  setOptions(type: ObjectTypeName, name: string, options: Array<{ value: string; label: string }>): void {
    const def = this.definitions.get(type)!.get(name);
    if (def) def.options = options.map((o, i) => option(o.value, i, o.label));
  }

  create(type: ObjectTypeName, input: Record<string, unknown>): PropertyDefinition {
    const name = requiredString(input, 'name');
    const label = requiredString(input, 'label');
    const ptype = requiredString(input, 'type') as PropertyType;
    const fieldType = requiredString(input, 'fieldType');
    const groupName = requiredString(input, 'groupName');
    if (!/^[a-z][a-z0-9_]*$/.test(name)) {
      throw validationError(`Property name '${name}' is invalid: use lowercase letters, digits and underscores.`);
    }
    if (!TYPES.includes(ptype)) throw validationError(`Invalid property type '${ptype}'.`);
    if (!FIELD_TYPES.includes(fieldType)) throw validationError(`Invalid fieldType '${fieldType}'.`);
    if (!this.groups.get(type)!.get(groupName) || this.groups.get(type)!.get(groupName)!.archived) {
      throw validationError(`Property group '${groupName}' does not exist.`, {
        subCategory: 'Properties.PROPERTY_GROUP_NOT_FOUND',
      });
    }
    const options = parseOptions(input.options);
    if (ptype === 'enumeration' && options.length === 0 && input.externalOptions !== true) {
      throw validationError('Enumeration properties must have options.', {
        subCategory: 'Properties.ENUMERATION_OPTIONS_REQUIRED',
      });
    }
    const defs = this.definitions.get(type)!;
    const existing = defs.get(name);
    const at = new Date(this.now()).toISOString();
    if (existing && !existing.archived) {
      throw conflict(`A property named '${name}' already exists.`, 'OBJECT_ALREADY_EXISTS', {
        subCategory: 'Properties.PROPERTY_WITH_NAME_EXISTS',
        context: { name: [name] },
      });
    }
    if (input.hasUniqueValue === true && this.list(type).filter((d) => d.hasUniqueValue).length >= 11) {
      throw validationError('An object may have at most 10 unique-value properties.');
    }
    const def: PropertyDefinition = {
      name,
      label,
      type: ptype,
      fieldType,
      groupName,
      description: typeof input.description === 'string' ? input.description : '',
      options,
      displayOrder: typeof input.displayOrder === 'number' ? input.displayOrder : -1,
      hasUniqueValue: input.hasUniqueValue === true,
      hidden: input.hidden === true,
      formField: input.formField === true,
      calculated: false,
      externalOptions: input.externalOptions === true,
      hubspotDefined: false,
      readOnlyValue: false,
      createdAt: existing?.createdAt ?? at,
      updatedAt: at,
      archived: false,
    };
    defs.set(name, def);
    return def;
  }

  update(type: ObjectTypeName, name: string, input: Record<string, unknown>): PropertyDefinition {
    const def = this.get(type, name);
    if (!def) throw notFound(`Property ${name} does not exist`);
    if ('name' in input && input.name !== name) throw validationError('A property name cannot be changed.');
    if ('hasUniqueValue' in input && input.hasUniqueValue !== def.hasUniqueValue) {
      throw validationError('hasUniqueValue cannot be changed once it is set.');
    }
    if (def.hubspotDefined && ('type' in input || 'fieldType' in input)) {
      throw validationError(`The type of HubSpot-defined property ${name} cannot be changed.`);
    }
    if (typeof input.label === 'string') def.label = input.label;
    if (typeof input.description === 'string') def.description = input.description;
    if (typeof input.groupName === 'string') {
      if (!this.groups.get(type)!.get(input.groupName))
        throw validationError(`Property group '${input.groupName}' does not exist.`);
      def.groupName = input.groupName;
    }
    if (typeof input.type === 'string') {
      if (!TYPES.includes(input.type as PropertyType)) throw validationError(`Invalid property type '${input.type}'.`);
      def.type = input.type as PropertyType;
    }
    if (typeof input.fieldType === 'string') def.fieldType = input.fieldType;
    if (typeof input.displayOrder === 'number') def.displayOrder = input.displayOrder;
    if (typeof input.hidden === 'boolean') def.hidden = input.hidden;
    if (typeof input.formField === 'boolean') def.formField = input.formField;
    // The options list is replaced as a whole, never merged.
    if ('options' in input) def.options = parseOptions(input.options);
    def.updatedAt = new Date(this.now()).toISOString();
    return def;
  }

  archive(type: ObjectTypeName, name: string): void {
    const def = this.get(type, name);
    if (!def) throw notFound(`Property ${name} does not exist`);
    if (def.hubspotDefined) throw validationError(`HubSpot-defined property ${name} cannot be archived.`);
    def.archived = true;
    def.archivedAt = new Date(this.now()).toISOString();
  }

  listGroups(type: ObjectTypeName): PropertyGroup[] {
    return [...this.groups.get(type)!.values()].filter((g) => !g.archived);
  }

  getGroup(type: ObjectTypeName, name: string): PropertyGroup {
    const group = this.groups.get(type)!.get(name);
    if (!group || group.archived) throw notFound(`Property group ${name} does not exist`);
    return group;
  }

  createGroup(type: ObjectTypeName, input: Record<string, unknown>): PropertyGroup {
    const name = requiredString(input, 'name');
    const label = requiredString(input, 'label');
    const groups = this.groups.get(type)!;
    const existing = groups.get(name);
    if (existing && !existing.archived) {
      throw conflict(`A property group named '${name}' already exists.`, 'OBJECT_ALREADY_EXISTS', {
        subCategory: 'PropertyGroupError.GROUP_WITH_NAME_EXISTS',
      });
    }
    const group = {
      name,
      label,
      displayOrder: typeof input.displayOrder === 'number' ? input.displayOrder : -1,
      archived: false,
    };
    groups.set(name, group);
    return group;
  }

  updateGroup(type: ObjectTypeName, name: string, input: Record<string, unknown>): PropertyGroup {
    const group = this.getGroup(type, name);
    if (typeof input.label === 'string') group.label = input.label;
    if (typeof input.displayOrder === 'number') group.displayOrder = input.displayOrder;
    return group;
  }

  archiveGroup(type: ObjectTypeName, name: string): void {
    const group = this.getGroup(type, name);
    if (this.list(type).some((d) => d.groupName === name)) {
      throw validationError(`Property group ${name} still has active properties.`, {
        subCategory: 'PropertyGroupError.GROUP_WITH_ACTIVE_PROPERTIES',
      });
    }
    group.archived = true;
  }

  /**
   * Checks and normalises values for a write. `system` writes (the sandbox itself: seed, calculated values) may
   * set read-only properties. Returns normalised values ('' clears) or the per-property errors HubSpot reports.
   */
  normalise(
    type: ObjectTypeName,
    values: Record<string, unknown>,
    options: { system?: boolean } = {},
  ): { values: Record<string, string>; errors: PropertyValueError[] } {
    const out: Record<string, string> = {};
    const errors: PropertyValueError[] = [];
    for (const [name, raw] of Object.entries(values)) {
      const def = this.get(type, name);
      if (!def) {
        errors.push(propertyValueError(name, 'PROPERTY_DOESNT_EXIST', `Property "${name}" does not exist`));
        continue;
      }
      if (def.readOnlyValue && !options.system) {
        errors.push(
          propertyValueError(name, 'READ_ONLY_VALUE', `"${name}" is a read only property; its value cannot be set.`),
        );
        continue;
      }
      if (raw === null || raw === undefined || raw === '') {
        out[name] = '';
        continue;
      }
      const value =
        typeof raw === 'string' ? raw : typeof raw === 'number' || typeof raw === 'boolean' ? String(raw) : null;
      if (value === null) {
        errors.push(
          propertyValueError(name, 'INVALID_TYPE', `${JSON.stringify(raw)} is not a valid value for ${name}`),
        );
        continue;
      }
      const checked = checkValue(def, value);
      if (typeof checked === 'string') out[name] = checked;
      else errors.push(checked);
    }
    return { values: out, errors };
  }
}

function checkValue(def: PropertyDefinition, value: string): string | PropertyValueError {
  const bad = (code: string, message: string) => propertyValueError(def.name, code, message);
  switch (def.type) {
    case 'number': {
      const v = value.trim();
      if (!/^-?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(v))
        return bad('INVALID_INTEGER', `${JSON.stringify(value)} was not a valid number.`);
      return String(Number(v));
    }
    case 'bool':
      if (value !== 'true' && value !== 'false')
        return bad('INVALID_BOOLEAN', `${JSON.stringify(value)} is not a valid boolean.`);
      return value;
    case 'date': {
      const ms = parseTime(value);
      if (ms === undefined) return bad('INVALID_DATE', `${JSON.stringify(value)} is not a valid date.`);
      if (ms % 86_400_000 !== 0) {
        return bad('INVALID_DATE', `${value} is at ${new Date(ms).toISOString().slice(11)}, not midnight!`);
      }
      return new Date(ms).toISOString().slice(0, 10);
    }
    case 'datetime': {
      const ms = parseTime(value);
      if (ms === undefined) return bad('INVALID_DATE', `${JSON.stringify(value)} is not a valid datetime.`);
      return new Date(ms).toISOString();
    }
    case 'enumeration': {
      if (OPEN_ENUMERATIONS.has(def.name) && def.options.length === 0) return value;
      const allowed = new Set(def.options.map((o) => o.value));
      const parts = def.fieldType === 'checkbox' ? value.split(';') : [value];
      const wrong = parts.find((p) => !allowed.has(p));
      if (wrong !== undefined) {
        // HubSpot names the value unquoted: "reports was not one of the allowed options: [PRODUCT_ISSUE, …]"
        // (a real 400 recorded in github.com/gregorspan/csc-frodx/issues/21).
        const listed = def.options.map((o) => `${o.label}`).join(', ');
        return bad('INVALID_OPTION', `${wrong} was not one of the allowed options: [${listed}]`);
      }
      return value;
    }
    default:
      if (def.name === 'email' && !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(value)) {
        return bad('INVALID_EMAIL', `Email address ${value} is invalid`);
      }
      return value;
  }
}

/** A time as HubSpot accepts it on writes and in filters: milliseconds since the epoch, or ISO-8601. */
export function parseTime(value: string): number | undefined {
  if (/^-?\d+$/.test(value)) return Number(value);
  if (!/^\d{4}-\d{2}-\d{2}/.test(value)) return undefined;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : ms;
}

function requiredString(input: Record<string, unknown>, key: string): string {
  const value = input[key];
  if (typeof value !== 'string' || value === '') {
    throw validationError(`Invalid input: '${key}' is required.`, {
      errors: [{ message: `${key} is required`, code: 'REQUIRED_FIELD', in: key }],
    });
  }
  return value;
}

function parseOptions(raw: unknown): PropertyOption[] {
  if (raw === undefined) return [];
  if (!Array.isArray(raw)) throw validationError('options must be an array.');
  return raw.map((o, i) => {
    const entry = (o ?? {}) as Record<string, unknown>;
    if (typeof entry.value !== 'string' || typeof entry.label !== 'string') {
      throw validationError(`Option ${i} needs a string label and value.`);
    }
    return {
      label: entry.label,
      value: entry.value,
      displayOrder: typeof entry.displayOrder === 'number' ? entry.displayOrder : i,
      hidden: entry.hidden === true,
      ...(typeof entry.description === 'string' ? { description: entry.description } : {}),
    };
  });
}

function labelOf(group: string): string {
  return group.replace(/information$/, ' information').replace(/^./, (c) => c.toUpperCase());
}
