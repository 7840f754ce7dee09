import type { ObjectType } from '../../../src/domain/records.js';

/** Key prefixes of the standard objects crm-agent writes (the first three characters of every record id). */
const BY_PREFIX: Readonly<Record<string, string>> = {
  '003': 'Contact',
  '00Q': 'Lead',
  '001': 'Account',
  '006': 'Opportunity',
  '00T': 'Task',
};

/** The sObjects behind each canonical type crm-agent writes: a canonical contact is a Contact or a Lead. */
export const SOBJECTS_OF = {
  contact: ['Contact', 'Lead'],
  company: ['Account'],
  deal: ['Opportunity'],
  task: ['Task'],
} as const satisfies Partial<Record<ObjectType | 'task', readonly string[]>>;

/** The sObject a record of a canonical type is, told by its id's key prefix; undefined when they do not fit. */
export function sobjectOf(type: ObjectType | 'task', id: string): string | undefined {
  const object = BY_PREFIX[id.slice(0, 3)];
  const allowed: readonly string[] =
    (SOBJECTS_OF as Partial<Record<ObjectType | 'task', readonly string[]>>)[type] ?? [];
  return object && allowed.includes(object) ? object : undefined;
}
