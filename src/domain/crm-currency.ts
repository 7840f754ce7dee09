import { z } from 'zod';
import { effectiveSettings } from './tenant-settings.js';

/** Where the sync keeps the CRM's own currency settings in `tenants.settings` (beside the admin's settings). */
export const CRM_CURRENCY_KEY = 'crmCurrency';

/**
 * The currency settings of the CRM account, as the sync read them: HubSpot's company currency (account-info
 * `companyCurrency`), Salesforce's corporate currency (`Organization.DefaultCurrencyIsoCode`, and the
 * `CurrencyType` rates when multi-currency is on). Amounts in the CRM are in `currency` unless a record says
 * otherwise.
 */
export const crmCurrencySchema = z.object({
  currency: z.string().regex(/^[A-Z]{3}$/),
  /** Units of `currency` per unit of each other active currency (e.g. { EUR: 1.08 } when `currency` is USD). */
  exchangeRates: z.record(z.string(), z.number().positive()).default({}),
  /** Other currencies the account uses (HubSpot's `additionalCurrencies`), rates known or not. */
  others: z.array(z.string()).default([]),
});
export type CrmCurrency = z.infer<typeof crmCurrencySchema>;

/** The CRM's currency settings the last sync stored, or undefined (none read yet, or not valid). */
export function crmCurrencyOf(settings: Record<string, unknown>): CrmCurrency | undefined {
  const parsed = crmCurrencySchema.safeParse(settings[CRM_CURRENCY_KEY]);
  return parsed.success ? parsed.data : undefined;
}

/**
 * The currency a tenant's amounts are in, and the rates into it: the CRM's, once a sync has read them; before
 * that, the tenant setting `currency` (default USD).
 */
export function tenantCurrency(settings: Record<string, unknown>): {
  currency: string;
  exchangeRates: Record<string, number>;
} {
  const crm = crmCurrencyOf(settings);
  if (crm) return { currency: crm.currency, exchangeRates: crm.exchangeRates };
  return { currency: effectiveSettings(settings).currency, exchangeRates: {} };
}
