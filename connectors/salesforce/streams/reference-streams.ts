import { isoAt } from '../../../src/lib/clock.js';
import type { StreamPage, StreamReadContext, SyncStream } from '../../../src/ports/crm-connector.js';
import { mapProducts, PRODUCT_FIELDS, type Row, USER } from '../map.js';
import { idLiteral, select } from '../soql.js';
import { chain, page, requestMeter, type StreamDeps } from './common.js';

interface State {
  passStart: string;
  /** The last record handed out, in Id order. */
  afterId: string | null;
  done: boolean;
}

function startState(previous: Partial<State> | undefined, passStart: string): State {
  return previous && previous.done === false && previous.passStart
    ? (previous as State)
    : { passStart, afterId: null, done: false };
}

/** Users: few, never deleted (only deactivated): read whole on every run, in Id order, resumable. */
export function ownersStream(deps: StreamDeps): SyncStream {
  const { client, describer, settings, clock } = deps;
  return {
    name: 'owners',
    async *read(context: StreamReadContext): AsyncGenerator<StreamPage> {
      const meter = requestMeter(client);
      const s = startState(context.cursor?.state as Partial<State> | undefined, isoAt(clock));
      const { names } = await describer.fields(USER.object, USER.fields);
      const cursor = () => ({ watermark: null, state: { ...s } as unknown as Record<string, unknown> });
      for await (const result of chain(deps, () => ({
        soql: select({
          fields: names,
          object: 'User',
          where: [s.afterId ? `Id > ${idLiteral(s.afterId)}` : undefined],
          orderBy: ['Id'],
        }),
        all: false,
      }))) {
        const rows = result.records as Row[];
        if (rows.length === 0) continue;
        const mapped = USER.map(rows, settings);
        s.afterId = String(rows.at(-1)!.Id);
        yield page({ ...mapped.changes, rejected: mapped.rejected }, cursor(), meter);
      }
      s.done = true;
      yield page({}, cursor(), meter);
    },
  };
}

/**
 * Products with their standard price book price: a small catalogue read whole on every run (a price change does
 * not move the product's SystemModstamp), ending by archiving products no longer there.
 */
export function productsStream(deps: StreamDeps): SyncStream {
  const { client, describer, clock } = deps;
  return {
    name: 'products',
    async *read(context: StreamReadContext): AsyncGenerator<StreamPage> {
      const meter = requestMeter(client);
      const s = startState(context.cursor?.state as Partial<State> | undefined, isoAt(clock));
      const cursor = () => ({ watermark: null, state: { ...s } as unknown as Record<string, unknown> });
      const prices = new Map<string, number | null>();
      for await (const result of chain(deps, () => ({
        soql: select({
          fields: ['Id', 'Product2Id', 'UnitPrice'],
          object: 'PricebookEntry',
          where: ['IsActive = true', 'Pricebook2.IsStandard = true'],
          orderBy: ['Id'],
        }),
        all: false,
      }))) {
        for (const row of result.records) {
          if (typeof row.Product2Id === 'string')
            prices.set(row.Product2Id, typeof row.UnitPrice === 'number' ? row.UnitPrice : null);
        }
      }
      const { names } = await describer.fields('Product2', PRODUCT_FIELDS);
      for await (const result of chain(deps, () => ({
        soql: select({
          fields: names,
          object: 'Product2',
          where: [s.afterId ? `Id > ${idLiteral(s.afterId)}` : undefined],
          orderBy: ['Id'],
        }),
        all: true,
      }))) {
        const rows = result.records as Row[];
        if (rows.length === 0) continue;
        const mapped = mapProducts(rows, prices);
        s.afterId = String(rows.at(-1)!.Id);
        yield page({ ...mapped.changes, rejected: mapped.rejected }, cursor(), meter);
      }
      s.done = true;
      yield page({ sweep: { type: 'product', notSyncedSince: s.passStart, at: isoAt(clock) } }, cursor(), meter);
    },
  };
}
