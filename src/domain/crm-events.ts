import type { CrmName, ObjectType } from './records.js';

export type CrmChangeKind =
  | 'created'
  | 'updated'
  | 'deleted'
  | 'merged'
  | 'restored'
  | 'association'
  | 'privacy_deletion';

/**
 * One change a CRM told crm-agent about (a HubSpot webhook event, a Salesforce outbound-message notification),
 * normalised. Senders deliver at least once and in any order: `eventKey` is unique per sender event and is
 * the deduplication key; `occurredAt` orders events of one record.
 */
export interface CrmChangeEvent {
  crm: CrmName;
  eventKey: string;
  /** HubSpot hub id / Salesforce org id: which tenant it is about. */
  accountId: string;
  objectType: ObjectType | 'other';
  objectId: string;
  change: CrmChangeKind;
  occurredAt: string;
  propertyName?: string;
  propertyValue?: string;
  /** Merges: the surviving record and the ids merged into it. */
  survivorId?: string;
  mergedIds?: string[];
  /**
   * Association changes: the record at the other end of the link that was added or removed (`objectId` is the
   * end the event is about). Both ends' links are read again, whichever side owns the link locally.
   */
  associated?: { objectType: ObjectType | 'other'; objectId: string; removed: boolean; primary: boolean };
}
