import { XMLParser } from 'fast-xml-parser';
import type { CrmChangeEvent } from '../../src/domain/crm-events.js';
import type { ObjectType } from '../../src/domain/records.js';

/** A parsed Salesforce Outbound Message (SOAP `notifications`, up to 100 per message). */
export interface OutboundMessage {
  organizationId: string;
  actionId: string;
  /** A session of the org's integration user, when the outbound message has "Send Session ID" on. */
  sessionId?: string;
  notifications: Array<{ id: string; sObjectType: string; recordId: string; fields: Record<string, string> }>;
}

export class OutboundMessageError extends Error {}

/** Parses the SOAP body; throws OutboundMessageError naming what is missing. */
export function parseOutboundMessage(xml: string): OutboundMessage {
  // SOAP forbids document type declarations; refusing them also rules out entity-expansion attacks.
  if (/<!DOCTYPE/i.test(xml)) throw new OutboundMessageError('DOCTYPE declarations are not allowed');
  const parser = new XMLParser({
    removeNSPrefix: true,
    ignoreAttributes: false,
    attributeNamePrefix: '@',
    parseTagValue: false,
    isArray: (name) => name === 'Notification',
  });
  let doc: unknown;
  try {
    doc = parser.parse(xml, true);
  } catch (error) {
    throw new OutboundMessageError(`not well-formed XML: ${(error as Error).message}`);
  }
  const body = (doc as { Envelope?: { Body?: { notifications?: Record<string, unknown> } } }).Envelope?.Body;
  const n = body?.notifications;
  if (!n) throw new OutboundMessageError('no SOAP Envelope/Body/notifications element');
  const organizationId = text(n.OrganizationId);
  if (!organizationId) throw new OutboundMessageError('notifications without OrganizationId');
  const raw = (n.Notification as unknown[] | undefined) ?? [];
  if (raw.length === 0 || raw.length > 100)
    throw new OutboundMessageError(`expected 1–100 notifications, got ${raw.length}`);
  const notifications = raw.map((item, i) => {
    const notification = item as Record<string, unknown>;
    const sObject = notification.sObject as Record<string, unknown> | undefined;
    const id = text(notification.Id);
    const recordId = text(sObject?.Id);
    if (!id || !sObject || !recordId) throw new OutboundMessageError(`notification ${i + 1} lacks Id or sObject/Id`);
    const type = String(sObject['@type'] ?? '').replace(/^.*:/, '');
    const fields: Record<string, string> = {};
    for (const [key, value] of Object.entries(sObject)) if (!key.startsWith('@')) fields[key] = text(value) ?? '';
    return { id, sObjectType: type, recordId, fields };
  });
  const sessionId = text(n.SessionId);
  return { organizationId, actionId: text(n.ActionId) ?? '', ...(sessionId ? { sessionId } : {}), notifications };
}

/** A SOAP 1.1 fault: Salesforce counts it as not delivered and retries the message later. */
export function outboundMessageFault(reason: string): string {
  const esc = reason.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  return (
    '<?xml version="1.0" encoding="UTF-8"?>' +
    '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body><soapenv:Fault>' +
    `<faultcode>soapenv:Server</faultcode><faultstring>${esc}</faultstring>` +
    '</soapenv:Fault></soapenv:Body></soapenv:Envelope>'
  );
}

/** The SOAP acknowledgement Salesforce waits for; without it, it retries the message. */
export function outboundMessageAck(ack: boolean): string {
  return (
    '<?xml version="1.0" encoding="UTF-8"?>' +
    '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body>' +
    `<notificationsResponse xmlns="http://soap.sforce.com/2005/09/outbound"><Ack>${ack}</Ack></notificationsResponse>` +
    '</soapenv:Body></soapenv:Envelope>'
  );
}

const TYPES: Record<string, ObjectType> = {
  Contact: 'contact',
  Lead: 'contact',
  Account: 'company',
  Opportunity: 'deal',
  OpportunityLineItem: 'line_item',
  Product2: 'product',
  User: 'owner',
};

/** Each notification says a record was created or changed (outbound messages never announce deletions). */
export function normalizeOutboundMessage(message: OutboundMessage, receivedAt: string): CrmChangeEvent[] {
  return message.notifications.map((n) => ({
    crm: 'salesforce',
    // Notification ids are unique per delivery attempt set: a retry of the same message repeats them.
    eventKey: `${message.organizationId}:${n.id}`,
    accountId: message.organizationId,
    objectType: TYPES[n.sObjectType] ?? 'other',
    objectId: n.recordId,
    change: 'updated',
    occurredAt: n.fields.SystemModstamp || n.fields.LastModifiedDate || receivedAt,
  }));
}

function text(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'object') {
    const inner = (value as Record<string, unknown>)['#text'];
    return inner === undefined ? undefined : String(inner);
  }
  return String(value);
}
