import type { FieldDef, ObjectDef } from './schema.js';
import type { OrgState } from './state.js';

const SOAP_TYPES: Record<string, string> = {
  id: 'tns:ID',
  reference: 'tns:ID',
  boolean: 'xsd:boolean',
  int: 'xsd:int',
  double: 'xsd:double',
  currency: 'xsd:double',
  percent: 'xsd:double',
  date: 'xsd:date',
  datetime: 'xsd:dateTime',
  address: 'urn:address',
  location: 'urn:location',
};

function describeField(field: FieldDef, access: { edit: boolean }): Record<string, unknown> {
  const numeric = ['int', 'double', 'currency', 'percent'].includes(field.type);
  const compound = field.components !== undefined;
  return {
    aggregatable: field.type !== 'textarea',
    autoNumber: false,
    byteLength: field.length === undefined ? 0 : field.length * 3,
    calculated: field.formula !== undefined,
    calculatedFormula: field.formula?.expression ?? null,
    cascadeDelete: false,
    caseSensitive: false,
    compoundFieldName: field.compoundFieldName ?? null,
    createable: field.createable && access.edit,
    custom: field.custom,
    defaultValue: field.defaultValue ?? null,
    defaultedOnCreate: field.defaultValue !== undefined || ['Id', 'CreatedDate', 'OwnerId'].includes(field.name),
    dependentPicklist: false,
    deprecatedAndHidden: false,
    digits: field.type === 'int' ? (field.precision ?? 9) : 0,
    externalId: field.externalId ?? false,
    filterable: field.type !== 'textarea' && !compound,
    groupable: !numeric && field.type !== 'textarea' && field.type !== 'datetime' && !compound,
    idLookup: field.idLookup ?? false,
    inlineHelpText: null,
    label: field.label,
    length:
      field.type === 'int' || numeric || compound || ['boolean', 'date', 'datetime'].includes(field.type)
        ? 0
        : (field.length ?? 255),
    name: field.name,
    nameField: field.name === 'Name',
    namePointing: (field.referenceTo?.length ?? 0) > 1,
    nillable: field.nillable,
    permissionable: field.custom && !field.required,
    picklistValues: (field.picklist?.values ?? []).map((value) => ({
      active: true,
      defaultValue: value === field.defaultValue,
      label: field.picklist?.labels?.[value] ?? value,
      validFor: null,
      value,
    })),
    polymorphicForeignKey: (field.referenceTo?.length ?? 0) > 1,
    precision: numeric && field.type !== 'int' ? (field.precision ?? 18) : 0,
    referenceTo: field.referenceTo ?? [],
    relationshipName: field.relationshipName ?? null,
    restrictedPicklist: field.picklist?.restricted ?? false,
    scale: numeric && field.type !== 'int' ? (field.scale ?? 0) : 0,
    soapType: SOAP_TYPES[field.type] ?? 'xsd:string',
    sortable: field.type !== 'textarea' && !compound,
    type: field.type,
    unique: field.unique ?? false,
    updateable: field.updateable && access.edit,
    ...(field.description ? { description: field.description } : {}),
  };
}

function objectUrls(def: ObjectDef, version: string): Record<string, string> {
  const base = `/services/data/v${version}/${def.tooling ? 'tooling/' : ''}sobjects/${def.name}`;
  return { sobject: base, describe: `${base}/describe`, rowTemplate: `${base}/{ID}` };
}

/** The short form describeGlobal lists. */
export function describeObjectSummary(def: ObjectDef, version: string): Record<string, unknown> {
  return {
    activateable: false,
    createable: def.createable,
    custom: def.custom,
    customSetting: false,
    deletable: def.deletable,
    deprecatedAndHidden: false,
    feedEnabled: false,
    hasSubtypes: false,
    isSubtype: false,
    keyPrefix: def.keyPrefix,
    label: def.label,
    labelPlural: def.labelPlural,
    layoutable: !def.isPlatformEvent,
    mergeable: ['Account', 'Contact', 'Lead'].includes(def.name),
    mruEnabled: false,
    name: def.name,
    queryable: def.queryable,
    replicateable: def.replicateable,
    retrieveable: def.queryable,
    searchable: def.queryable,
    triggerable: true,
    undeletable: def.recycleBin,
    updateable: def.updateable,
    urls: objectUrls(def, version),
  };
}

/** `GET /sobjects/{name}/describe`, with only the fields `userId` may see. */
export function describeObject(
  state: OrgState,
  def: ObjectDef,
  userId: string,
  version: string,
): Record<string, unknown> {
  const fields: Array<Record<string, unknown>> = [];
  // Compound fields exist from API 30.0 on (SOAP API Developer Guide, "Compound Fields").
  const compounds = Number.parseFloat(version) >= 30;
  for (const field of def.fields.values()) {
    if (field.components && !compounds) continue;
    const access = state.access(userId, def, field);
    if (access.read) fields.push(describeField(field, access));
  }
  const childRelationships: Array<Record<string, unknown>> = [];
  for (const child of state.schema.values()) {
    for (const field of child.fields.values()) {
      if (field.type !== 'reference' || !field.referenceTo?.includes(def.name) || field.name.endsWith('ById')) continue;
      childRelationships.push({
        cascadeDelete: ['OpportunityId', 'ParentId', 'PermissionSetId'].includes(field.name),
        childSObject: child.name,
        deprecatedAndHidden: false,
        field: field.name,
        junctionIdListNames: [],
        junctionReferenceTo: [],
        relationshipName: child.name === def.name ? null : child.labelPlural.replace(/\s+/g, ''),
        restrictedDelete: false,
      });
    }
  }
  return {
    ...describeObjectSummary(def, version),
    actionOverrides: [],
    childRelationships,
    compactLayoutable: !def.isPlatformEvent,
    fields,
    listviewable: null,
    lookupLayoutable: null,
    namedLayoutInfos: [],
    networkScopeFieldName: null,
    recordTypeInfos: [],
    searchLayoutable: def.queryable,
    sobjectDescribeOption: 'FULL',
    supportedScopes: [],
    urls: objectUrls(def, version),
  };
}
