import type { StreamPage, StreamReadContext, SyncStream } from '../../../src/ports/crm-connector.js';
import type { Row } from '../map.js';
import { chain, page, requestMeter, type StreamDeps } from './common.js';

const ISO = /^[A-Z]{3}$/;

/**
 * The org's currency: `Organization.DefaultCurrencyIsoCode` (Object Reference, "Organization"). With multi-currency
 * on (records carry `CurrencyIsoCode`: the Opportunity describe lists it), amounts are in each record's currency and
 * the corporate one is the active `CurrencyType` with `IsCorporate`; its `ConversionRate` is units of that currency
 * per unit of the corporate currency (Object Reference, "CurrencyType"), so the rate into the corporate currency is
 * its inverse. One or two small queries per sync.
 */
export function accountStream(deps: StreamDeps): SyncStream {
  const { describer } = deps;
  return {
    name: 'account',
    async *read(_context: StreamReadContext): AsyncGenerator<StreamPage> {
      const meter = requestMeter(deps.client);
      const rows = async (soql: string): Promise<Row[]> => {
        const out: Row[] = [];
        for await (const result of chain(deps, () => ({ soql, all: false }))) out.push(...(result.records as Row[]));
        return out;
      };
      const [org] = await rows('SELECT DefaultCurrencyIsoCode FROM Organization');
      let currency = typeof org?.DefaultCurrencyIsoCode === 'string' ? org.DefaultCurrencyIsoCode : undefined;
      const exchangeRates: Record<string, number> = {};
      const multiCurrency = (await describer.describe('Opportunity')).fields.some((f) => f.name === 'CurrencyIsoCode');
      if (multiCurrency) {
        const types = await rows('SELECT IsoCode, ConversionRate, IsCorporate FROM CurrencyType WHERE IsActive = true');
        const corporate = types.find((t) => t.IsCorporate === true);
        if (typeof corporate?.IsoCode === 'string') currency = corporate.IsoCode;
        for (const t of types) {
          const rate = Number(t.ConversionRate);
          if (t.IsCorporate !== true && typeof t.IsoCode === 'string' && ISO.test(t.IsoCode) && rate > 0)
            exchangeRates[t.IsoCode] = 1 / rate;
        }
      }
      const cursor = { watermark: null, state: {} };
      if (!currency || !ISO.test(currency)) {
        yield page(
          { warnings: ['Salesforce Organization: no default currency; amounts are read unlabelled'] },
          cursor,
          meter,
        );
        return;
      }
      yield page({ currency: { currency, exchangeRates } }, cursor, meter);
    },
  };
}
