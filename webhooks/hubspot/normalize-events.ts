import { z } from 'zod';
import type { CrmChangeEvent, CrmChangeKind } from '../../src/domain/crm-events.js';
import type { ObjectType } from '../../src/domain/records.js';

const id = z.union([z.number(), z.string()]).transform(String);

/** One event of a HubSpot webhook delivery (crm-apis.md §4); unknown fields are kept out, never fail the batch. */
const eventSchema = z.looseObject({
  eventId: id,
  subscriptionId: id,
  portalId: id,
  occurredAt: z.number(),
  subscriptionType: z.string(),
  objectId: id.optional(),
  objectTypeId: z.string().optional(),
  propertyName: z.string().optional(),
  propertyValue: z.string().optional(),
  primaryObjectId: id.optional(),
  mergedObjectIds: z.array(id).optional(),
  newObjectId: id.optional(),
  attemptNumber: z.number().optional(),
  // associationChange events (developers.hubspot.com/changelog/new-subscription-types-for-webhooks): the link,
  // e.g. CONTACT_TO_COMPANY from fromObjectId to toObjectId; no objectId.
  associationType: z.string().optional(),
  fromObjectId: id.optional(),
  toObjectId: id.optional(),
  associationRemoved: z.boolean().optional(),
  isPrimaryAssociation: z.boolean().optional(),
});

/** A delivery: a JSON array of at most 100 events. */
export const deliverySchema = z.array(eventSchema).min(1).max(100);

const OBJECTS: Record<string, ObjectType> = {
  contact: 'contact',
  company: 'company',
  deal: 'deal',
  line_item: 'line_item',
  product: 'product',
  '0-1': 'contact',
  '0-2': 'company',
  '0-3': 'deal',
  '0-8': 'line_item',
  '0-7': 'product',
};

const CHANGES: Record<string, CrmChangeKind> = {
  creation: 'created',
  propertyChange: 'updated',
  deletion: 'deleted',
  merge: 'merged',
  restore: 'restored',
  associationChange: 'association',
  privacyDeletion: 'privacy_deletion',
};

/** The far end's object type of an association type such as `CONTACT_TO_COMPANY` or `DEAL_TO_LINE_ITEM`. */
function associatedTypeOf(associationType: string | undefined): ObjectType | 'other' {
  const to = associationType?.split('_TO_')[1];
  return to === undefined ? 'other' : (OBJECTS[to.toLowerCase()] ?? 'other');
}

/** HubSpot events → crm-agent's change events. Subscription types we do not know become `other`. */
export function normalizeHubSpotEvents(delivery: z.infer<typeof deliverySchema>): CrmChangeEvent[] {
  return delivery.map((e) => {
    const [prefix = '', action = ''] = e.subscriptionType.split('.');
    const objectType = OBJECTS[prefix === 'object' ? (e.objectTypeId ?? '') : prefix] ?? 'other';
    const change = CHANGES[action] ?? 'updated';
    const survivor = e.newObjectId ?? e.primaryObjectId;
    if (change === 'association') {
      return {
        crm: 'hubspot',
        eventKey: `${e.portalId}:${e.subscriptionId}:${e.eventId}`,
        accountId: e.portalId,
        objectType,
        objectId: e.fromObjectId ?? e.objectId ?? '',
        change,
        occurredAt: new Date(e.occurredAt).toISOString(),
        ...(e.toObjectId !== undefined
          ? {
              associated: {
                objectType: associatedTypeOf(e.associationType),
                objectId: e.toObjectId,
                removed: e.associationRemoved ?? false,
                primary: e.isPrimaryAssociation ?? false,
              },
            }
          : {}),
      };
    }
    return {
      crm: 'hubspot',
      eventKey: `${e.portalId}:${e.subscriptionId}:${e.eventId}`,
      accountId: e.portalId,
      objectType,
      objectId: e.objectId ?? survivor ?? '',
      change,
      occurredAt: new Date(e.occurredAt).toISOString(),
      ...(e.propertyName !== undefined ? { propertyName: e.propertyName } : {}),
      ...(e.propertyValue !== undefined ? { propertyValue: e.propertyValue } : {}),
      ...(change === 'merged' && survivor !== undefined ? { survivorId: survivor } : {}),
      ...(e.mergedObjectIds ? { mergedIds: e.mergedObjectIds } : {}),
    };
  });
}
