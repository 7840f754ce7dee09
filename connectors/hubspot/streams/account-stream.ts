import type { StreamPage, SyncStream } from '../../../src/ports/crm-connector.js';
import type { ClientStats, HubSpotClient } from '../client.js';
import { AccountCurrency } from '../schemas.js';

/**
 * The portal's currency (`GET /account-info/v3/details`: `companyCurrency`, `additionalCurrencies`): one request
 * per sync, so amounts are worded and charted in the currency the portal's deals are in. HubSpot keeps exchange
 * rates elsewhere (settings/v3/currencies); the other currencies are kept by code.
 */
export function accountStream(shared: HubSpotClient): SyncStream {
  return {
    name: 'account',
    async *read(context): AsyncGenerator<StreamPage> {
      const tally: ClientStats = { requests: 0, throttled: 0, retries: 0 };
      const details = await shared.counting(tally).request(
        {
          method: 'GET',
          path: '/account-info/v3/details',
          budget: 'burst',
          idempotent: true,
          signal: context.signal,
        },
        AccountCurrency,
      );
      const currency = details.companyCurrency.toUpperCase();
      yield {
        changes: {
          currency: {
            currency,
            others: (details.additionalCurrencies ?? []).map((c) => c.toUpperCase()).filter((c) => c !== currency),
          },
        },
        cursor: { watermark: null, state: {} },
        requests: tally.requests,
        throttled: tally.throttled,
      };
    },
  };
}
