import { type SettingsWarn, settingsSection, type TenantSettings } from '../../src/domain/tenant-settings.js';

/** The REST API version the connector speaks (Winter '25); pinned, never negotiated. */
export const API_VERSION = '62.0';

/** The tenant's `salesforce` settings (src/domain/tenant-settings.ts: what each one means, and its default). */
export type SalesforceSettings = TenantSettings['salesforce'];

/** The tenant's `salesforce` settings in force: a bad stored value falls back to its default, `warn` naming it. */
export function parseSettings(settings: Record<string, unknown>, warn?: SettingsWarn): SalesforceSettings {
  return settingsSection(settings, 'salesforce', warn);
}
