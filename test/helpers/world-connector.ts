import type { World } from '../../sandbox/world/world.js';
import type { CrmName } from '../../src/domain/records.js';
import type { CrmConnectorModule, RecordChanges, StreamPage, SyncStream } from '../../src/ports/crm-connector.js';
import type { CrmWriter } from '../../src/ports/crm-writer.js';
import { type WorldRecords, worldToRecords } from './world-to-records.js';

/**
 * A CRM module serving a planted world from memory (no network), full sync only: for cycle and write-back tests
 * that need realistic data but not a CRM's wire protocol. `records` can be edited between syncs.
 */
export function worldConnectorModule(
  world: World,
  options: { pageSize?: number; writer?: () => CrmWriter; crm?: CrmName } = {},
): CrmConnectorModule & { records: WorldRecords } {
  const pageSize = options.pageSize ?? 1000;
  const records = worldToRecords(world);
  const stream = (
    name: string,
    changes: (from: number, to: number) => RecordChanges,
    size: () => number,
  ): SyncStream => ({
    name,
    async *read({ cursor, mode }): AsyncIterable<StreamPage> {
      const done = cursor?.state.done === true;
      if (mode === 'incremental' && done) return;
      let offset = done ? 0 : Number(cursor?.state.offset ?? 0);
      while (offset < size()) {
        const to = Math.min(size(), offset + pageSize);
        yield {
          changes: changes(offset, to),
          cursor: { watermark: null, state: { offset: to, done: to >= size() } },
          requests: 1,
        };
        offset = to;
      }
    },
  });
  const crm = options.crm ?? 'hubspot';
  const module: CrmConnectorModule & { records: WorldRecords } = {
    crm,
    records,
    identify: async ({ apiBaseUrl }) => ({
      externalId: `world-${world.seed}`,
      name: `World ${world.seed}`,
      apiBaseUrl,
    }),
    create: () => ({
      crm,
      ...(options.writer ? { writer: options.writer } : {}),
      async readRecords(refs) {
        const changes: RecordChanges = { contacts: [], companies: [], deals: [], removals: [] };
        for (const ref of refs) {
          const list =
            ref.type === 'contact'
              ? records.contacts
              : ref.type === 'company'
                ? records.companies
                : ref.type === 'deal'
                  ? records.deals
                  : [];
          const found = (list as Array<{ id: string }>).find((r) => r.id === ref.id);
          if (!found) changes.removals!.push({ type: ref.type, id: ref.id, at: new Date().toISOString() });
          else if (ref.type === 'contact') changes.contacts!.push(found as WorldRecords['contacts'][number]);
          else if (ref.type === 'company') changes.companies!.push(found as WorldRecords['companies'][number]);
          else if (ref.type === 'deal') changes.deals!.push(found as WorldRecords['deals'][number]);
        }
        return changes;
      },
      streams: () => [
        stream(
          'owners',
          (a, b) => ({ owners: records.owners.slice(a, b) }),
          () => records.owners.length,
        ),
        stream(
          'products',
          (a, b) => ({ products: records.products.slice(a, b) }),
          () => records.products.length,
        ),
        stream(
          'companies',
          (a, b) => ({ companies: records.companies.slice(a, b) }),
          () => records.companies.length,
        ),
        stream(
          'contacts',
          (a, b) => ({ contacts: records.contacts.slice(a, b) }),
          () => records.contacts.length,
        ),
        stream(
          'deals',
          (a, b) => {
            const deals = records.deals.slice(a, b);
            const ids = new Set(deals.map((d) => d.id));
            return {
              deals,
              stageHistory: records.stageChanges.filter((c) => ids.has(c.dealId)),
              associations: (['contact', 'company', 'line_item'] as const).map((toType) => ({
                fromType: 'deal' as const,
                fromIds: [...ids],
                toType,
                links: records.associations.filter(
                  (l) => l.fromType === 'deal' && l.toType === toType && ids.has(l.fromId),
                ),
              })),
            };
          },
          () => records.deals.length,
        ),
        stream(
          'line_items',
          (a, b) => ({ lineItems: records.lineItems.slice(a, b) }),
          () => records.lineItems.length,
        ),
        stream(
          'contact_companies',
          (a, b) => {
            const ids = records.contacts.slice(a, b).map((c) => c.id);
            const set = new Set(ids);
            return {
              associations: [
                {
                  fromType: 'contact',
                  fromIds: ids,
                  toType: 'company',
                  links: records.associations.filter(
                    (l) => l.fromType === 'contact' && l.toType === 'company' && set.has(l.fromId),
                  ),
                },
              ],
            };
          },
          () => records.contacts.length,
        ),
      ],
    }),
  };
  return module;
}
