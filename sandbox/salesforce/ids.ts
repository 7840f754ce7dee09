/**
 * Salesforce record ids: a 3-character key prefix naming the object, 2 characters of instance, a reserved
 * character, 9 base-62 characters, and (in the 18-character form every API returns) a 3-character suffix that
 * encodes which of the first 15 characters are upper case, so the id survives case-insensitive systems.
 */
const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const SUFFIX = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ012345';

export const KEY_PREFIXES = {
  Account: '001',
  Contact: '003',
  Lead: '00Q',
  Opportunity: '006',
  OpportunityLineItem: '00k',
  OpportunityContactRole: '00K',
  OpportunityHistory: '008',
  OpportunityStage: '01J',
  Product2: '01t',
  Pricebook2: '01s',
  PricebookEntry: '01u',
  User: '005',
  Task: '00T',
  Organization: '00D',
  PermissionSet: '0PS',
  FieldPermissions: '01k',
  PermissionSetAssignment: '0Pa',
  CustomField: '00N',
  CustomObject: '01I',
  BulkJob: '750',
  QueryLocator: '01g',
  OutboundAction: '04k',
  OutboundNotification: '04l',
  PlatformEvent: 'e00',
} as const;

/** The 3-character case-safety suffix of a 15-character id. */
export function idSuffix(id15: string): string {
  let out = '';
  for (let chunk = 0; chunk < 3; chunk++) {
    let bits = 0;
    for (let i = 0; i < 5; i++) {
      const c = id15.charCodeAt(chunk * 5 + i);
      if (c >= 65 && c <= 90) bits |= 1 << i;
    }
    out += SUFFIX[bits];
  }
  return out;
}

/** Builds the 18-character id of `prefix` + instance `pod` + the `n`-th record. */
export function makeId(prefix: string, pod: string, n: number): string {
  let digits = '';
  let rest = n;
  for (let i = 0; i < 9; i++) {
    digits = BASE62[rest % 62] + digits;
    rest = Math.floor(rest / 62);
  }
  const id15 = `${prefix}${pod}0${digits}`;
  return id15 + idSuffix(id15);
}

/** The 18-character form of a 15- or 18-character id; undefined when it is not an id at all. */
export function normalizeId(value: string): string | undefined {
  if (!/^[a-zA-Z0-9]{15}(?:[A-Z0-5]{3})?$/.test(value)) return undefined;
  const id15 = value.slice(0, 15);
  const full = id15 + idSuffix(id15);
  if (value.length === 18 && value.toUpperCase() !== full.toUpperCase()) return undefined;
  return full;
}

/** A random-looking but seeded 15-character token body (session ids, codes). */
export function tokenBody(random: () => number, length: number): string {
  let out = '';
  for (let i = 0; i < length; i++) out += BASE62[Math.floor(random() * 62)];
  return out;
}
