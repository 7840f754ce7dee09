import { isoAt } from '../../../src/lib/clock.js';
import type { StreamPage, StreamReadContext, SyncStream } from '../../../src/ports/crm-connector.js';
import type { Mapped, Row } from '../map.js';
import { after, changedSince, idLiteral, type Keyset, NO_ID, select, type Watermark } from '../soql.js';
import {
  chain,
  laterKey,
  laterOf,
  minusSeconds,
  page,
  requestMeter,
  resumes,
  rowTime,
  type StreamDeps,
} from './common.js';

/** Opportunities per lookup query (an IN list of 100 ids keeps the URL short). */
const LOOKUP_IDS = 100;

export interface GroupedSpec {
  object: 'OpportunityContactRole' | 'OpportunityHistory';
  fields: readonly string[];
  /** Order within an opportunity's group. */
  orderWithin: readonly string[];
  /** The timestamp that moves when a row changes (SystemModstamp; CreatedDate for insert-only history). */
  changedField: 'SystemModstamp' | 'CreatedDate';
  /** Whether deleted rows can be read back (queryAll) to notice removals. */
  deletions: boolean;
  /** Maps the complete rows of some opportunities (ordered by opportunity, then `orderWithin`). */
  map(opportunityIds: readonly string[], rows: readonly Row[]): Mapped;
}

interface State {
  pass: 'full' | 'incremental';
  /** Full pass: the last opportunity whose rows were all handed out. */
  afterOpportunity: string | null;
  /** Incremental pass: the last changed row read, in (changedField, Id) order. */
  after: Keyset | null;
  floor: string | null;
  /** The last changed row seen in this pass, in (changedField, Id) order. */
  maxTs: Keyset | null;
  /** The last changed row of the last complete pass. */
  watermark: Watermark | null;
  /** Local time the pass began. */
  passStart?: string;
  done: boolean;
}

/**
 * Rows that belong to an opportunity and only make sense together (its contact roles become the deal's contacts,
 * replaced as a whole; its history snapshots become the stages it entered). A full pass reads them ordered by
 * opportunity and hands out only complete groups, checkpointing the last complete opportunity. An incremental pass
 * reads the rows changed since the watermark and then reads the whole group of every opportunity they touch.
 */
export function groupedStream(name: string, spec: GroupedSpec, deps: StreamDeps): SyncStream {
  const { client, settings, clock } = deps;
  const order = ['OpportunityId', ...spec.orderWithin];
  return {
    name,
    async *read(context: StreamReadContext): AsyncGenerator<StreamPage> {
      const meter = requestMeter(client);
      const previous = context.cursor?.state as Partial<State> | undefined;
      let s: State;
      if (resumes(previous, context.mode)) {
        s = previous as State;
      } else {
        const watermark = previous?.watermark ?? null;
        const pass = context.mode === 'full' || !watermark ? 'full' : 'incremental';
        s = {
          pass,
          afterOpportunity: null,
          after: null,
          floor: pass === 'incremental' ? minusSeconds(watermark!.ts, settings.overlapSeconds) : null,
          maxTs: null,
          watermark,
          passStart: isoAt(clock),
          done: false,
        };
      }
      const passStart = s.passStart ?? isoAt(clock);
      const cursor = () => ({
        watermark: s.watermark?.ts ?? null,
        state: structuredClone(s) as unknown as Record<string, unknown>,
      });

      if (s.pass === 'full') {
        let held: Row[] = [];
        const start = () => {
          held = [];
          return {
            soql: select({
              fields: spec.fields,
              object: spec.object,
              where: [s.afterOpportunity ? `OpportunityId > ${idLiteral(s.afterOpportunity)}` : undefined],
              orderBy: order,
            }),
            all: false,
          };
        };
        for await (const result of chain(deps, start)) {
          let rows = [...held, ...(result.records as Row[])];
          held = [];
          if (!result.done) {
            const lastOpportunity = rows.at(-1)?.OpportunityId;
            let cut = rows.length;
            while (cut > 0 && rows[cut - 1]!.OpportunityId === lastOpportunity) cut--;
            held = rows.slice(cut);
            rows = rows.slice(0, cut);
          }
          if (rows.length === 0) continue;
          const ids = [...new Set(rows.map((r) => String(r.OpportunityId)))];
          const mapped = spec.map(ids, rows);
          for (const row of rows) s.maxTs = laterKey(s.maxTs, row, spec.changedField);
          s.afterOpportunity = ids.at(-1)!;
          yield page({ ...mapped.changes, rejected: mapped.rejected }, cursor(), meter);
        }
      } else {
        const base = changedSince(spec.changedField, s.floor!, s.watermark!, settings.overlapSeconds);
        const where = () => [base, s.after ? after(spec.changedField, s.after) : undefined];
        for await (const result of chain(deps, () => ({
          soql: select({
            fields: ['Id', 'OpportunityId', spec.changedField],
            object: spec.object,
            where: where(),
            orderBy: [spec.changedField, 'Id'],
          }),
          all: spec.deletions,
        }))) {
          const changed = result.records as Row[];
          if (changed.length === 0) continue;
          const ids = [...new Set(changed.map((r) => String(r.OpportunityId)))];
          const merged: Mapped = { changes: {}, rejected: [] };
          for (let i = 0; i < ids.length; i += LOOKUP_IDS) {
            for (const group of await lookup(ids.slice(i, i + LOOKUP_IDS))) {
              for (const [key, value] of Object.entries(group.changes)) {
                const list = (merged.changes as Record<string, unknown[]>)[key] ?? [];
                (merged.changes as Record<string, unknown[]>)[key] = [...list, ...(value as unknown[])];
              }
              merged.rejected.push(...group.rejected);
            }
          }
          const last = changed.at(-1)!;
          const ts = rowTime(last, spec.changedField);
          if (ts) s.after = { ts, id: String(last.Id) };
          s.maxTs = laterKey(s.maxTs, last, spec.changedField);
          yield page({ ...merged.changes, rejected: merged.rejected }, cursor(), meter);
        }
      }
      const reached = laterOf(s.maxTs, s.watermark) ?? { ts: passStart, id: NO_ID };
      s.watermark = { ts: reached.ts, id: reached.id, readAt: passStart };
      s.done = true;
      yield page({}, cursor(), meter);
    },
  };

  /**
   * The complete groups of some opportunities, in queries that each fit one page (LIMIT = page size), so a lookup
   * never opens a second query chain; a lookup that might not fit is halved.
   */
  async function lookup(ids: readonly string[]): Promise<Mapped[]> {
    const limit = settings.batchSize;
    const soql = select({
      fields: spec.fields,
      object: spec.object,
      where: [`OpportunityId IN (${ids.map(idLiteral).join(', ')})`],
      orderBy: order,
      limit,
    });
    const result = await client.query(soql, { batchSize: settings.batchSize });
    if (result.records.length >= limit || !result.done) {
      if (ids.length === 1) throw new Error(`opportunity ${ids[0]} has more than ${limit} ${spec.object} rows`);
      const half = Math.ceil(ids.length / 2);
      return [...(await lookup(ids.slice(0, half))), ...(await lookup(ids.slice(half)))];
    }
    return [spec.map(ids, result.records as Row[])];
  }
}
