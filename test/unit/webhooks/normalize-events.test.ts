import { describe, expect, it } from '@jest/globals';
import { deliverySchema, normalizeHubSpotEvents } from '../../../webhooks/hubspot/normalize-events.js';

describe('HubSpot webhook events, normalised', () => {
  it('an associationChange names the link (no objectId): the from end is the record, the to end is associated', () => {
    // developers.hubspot.com/changelog/new-subscription-types-for-webhooks
    const delivery = deliverySchema.parse([
      {
        eventId: 7,
        subscriptionId: 3,
        portalId: 42,
        appId: 9,
        occurredAt: Date.parse('2026-11-24T09:00:00.000Z'),
        subscriptionType: 'deal.associationChange',
        attemptNumber: 0,
        changeSource: 'CRM_UI',
        associationType: 'DEAL_TO_COMPANY',
        fromObjectId: 9000001,
        toObjectId: 5000002,
        associationRemoved: true,
        isPrimaryAssociation: false,
      },
      {
        eventId: 8,
        subscriptionId: 4,
        portalId: 42,
        occurredAt: Date.parse('2026-11-24T09:00:00.000Z'),
        subscriptionType: 'contact.associationChange',
        associationType: 'CONTACT_TO_LINE_ITEM',
        fromObjectId: 11,
        toObjectId: 12,
      },
    ]);
    expect(normalizeHubSpotEvents(delivery)).toEqual([
      {
        crm: 'hubspot',
        eventKey: '42:3:7',
        accountId: '42',
        objectType: 'deal',
        objectId: '9000001',
        change: 'association',
        occurredAt: '2026-11-24T09:00:00.000Z',
        associated: { objectType: 'company', objectId: '5000002', removed: true, primary: false },
      },
      expect.objectContaining({
        objectType: 'contact',
        objectId: '11',
        associated: { objectType: 'line_item', objectId: '12', removed: false, primary: false },
      }),
    ]);
  });
});
