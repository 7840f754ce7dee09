import type { AppManifest } from '../config/app-manifest.js';

/**
 * The HubSpot webhook subscriptions the app's manifest asks for, one per event type and per watched property (a
 * propertyChange subscription names its property: HubSpot sends changes of that property only, so crm-agent's own
 * `crm_agent_*` writes never come back as events), plus `contact.privacyDeletion`.
 */
export function hubspotSubscriptions(manifest: AppManifest): Array<{ eventType: string; propertyName?: string }> {
  const { webhooks } = manifest.crms.hubspot;
  return [
    ...webhooks.objects.flatMap((o) => [
      ...o.events.map((event) => ({ eventType: `${o.objectType}.${event}` })),
      ...o.properties.map((propertyName) => ({ eventType: `${o.objectType}.propertyChange`, propertyName })),
    ]),
    ...(webhooks.privacyDeletion ? [{ eventType: 'contact.privacyDeletion' }] : []),
  ];
}
