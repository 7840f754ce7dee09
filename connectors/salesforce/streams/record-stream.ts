import { isoAt } from '../../../src/lib/clock.js';
import { CrmApiError } from '../../../src/lib/errors.js';
import type { RecordChanges, StreamPage, StreamReadContext, SyncStream } from '../../../src/ports/crm-connector.js';
import { isoDateTime, type ObjectSpec, type Row } from '../map.js';
import { replicationDate } from '../replication-date.js';
import { bulkJobSchema, deletedSchema } from '../schemas.js';
import { after, changedSince, type Keyset, NO_ID, select, type Watermark } from '../soql.js';
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
  typedRows,
} from './common.js';
import { withoutOwnWrites } from './own-writes.js';

/** getDeleted reaches back 30 days; stay clear of the edge. */
const REPLICATION_DAYS = 29;
const DAY = 86_400_000;

interface State {
  pass: 'full' | 'incremental';
  /** Local time the pass began: a full pass archives what it did not see since then. */
  passStart: string;
  /** Which object of the stream the pass is on. */
  phase: number;
  /** The last row handed out, in (SystemModstamp, Id) order. */
  after: Keyset | null;
  /** Where an incremental pass of this object starts (watermark − overlap). */
  floor: string | null;
  /** The last row of this object's pass so far, in (SystemModstamp, Id) order. */
  maxTs: Keyset | null;
  /** A Bulk API query job this object's pass reads through, and the next results page. */
  bulk: { jobId: string; locator: string | null; ready: boolean } | null;
  checkedDeletes: boolean;
  /** Per object: the last row (SystemModstamp, Id) of the last complete pass: everything up to it has been read. */
  watermarks: Record<string, Watermark>;
  /** Per object: the time up to which deletions are known (a full pass's start, or getDeleted's latestDateCovered). */
  deletionsCovered: Record<string, string>;
  done: boolean;
}

function newPass(
  pass: State['pass'],
  passStart: string,
  previous: Pick<State, 'watermarks' | 'deletionsCovered'>,
): State {
  return {
    pass,
    passStart,
    phase: 0,
    after: null,
    floor: null,
    maxTs: null,
    bulk: null,
    checkedDeletes: false,
    watermarks: { ...previous.watermarks },
    deletionsCovered: { ...previous.deletionsCovered },
    done: false,
  };
}

function mergeChanges(into: RecordChanges, from: RecordChanges): RecordChanges {
  const out: RecordChanges = { ...into };
  for (const [key, value] of Object.entries(from) as Array<[keyof RecordChanges, unknown]>) {
    if (Array.isArray(value))
      (out as Record<string, unknown[]>)[key] = [...((out[key] as unknown[] | undefined) ?? []), ...value];
    else if (value !== undefined) (out as Record<string, unknown>)[key] = value;
  }
  return out;
}

/**
 * Reads objects by SystemModstamp with an Id tie-breaker, a page of changes per query page, checkpointing the
 * keyset position with every page. A full pass reads everything (queryAll, so deletions and merges show) and ends by
 * archiving what it did not see; an incremental pass reads from the watermark (less an overlap), first asking
 * getDeleted for records purged from the recycle bin, and falls back to a full pass once the watermark is older
 * than Salesforce keeps deletions. An object with more rows to read than `bulkThreshold` is read through a Bulk
 * API 2.0 query job instead, whose job id and results locator are checkpointed too.
 */
export function recordStream(name: string, specs: readonly ObjectSpec[], deps: StreamDeps): SyncStream {
  const { client, settings, describer, clock, logger } = deps;
  return {
    name,
    async *read(context: StreamReadContext): AsyncGenerator<StreamPage> {
      const meter = requestMeter(client);
      const pending: string[] = [];
      /** A page, carrying the data-health warnings not yet handed out. */
      const emit: typeof page = (changes, cursor, counts) => {
        if (pending.length === 0) return page(changes, cursor, counts);
        const warnings = pending.splice(0);
        return page({ ...changes, warnings: [...(changes.warnings ?? []), ...warnings] }, cursor, counts);
      };
      const previous = context.cursor?.state as Partial<State> | undefined;
      const known = { watermarks: previous?.watermarks ?? {}, deletionsCovered: previous?.deletionsCovered ?? {} };
      const complete = specs.every((s) => known.watermarks[s.object] && known.deletionsCovered[s.object]);
      let s: State;
      if (resumes(previous, context.mode)) {
        s = previous as State;
      } else {
        s = newPass(context.mode === 'full' || !complete ? 'full' : 'incremental', isoAt(clock), known);
      }
      const cursor = () => ({
        watermark:
          Object.values(s.watermarks)
            .map((w) => w.ts)
            .sort()[0] ?? null,
        state: structuredClone(s) as unknown as Record<string, unknown>,
      });

      // Only an incremental pass leaves records out: a full pass archives what it did not hand out.
      const ownWrites = () => (s.pass === 'incremental' ? context.ownWrites : undefined);
      while (s.phase < specs.length) {
        context.signal.throwIfAborted();
        const spec = specs[s.phase]!;
        const { names, types, skipped } = await describer.fields(spec.object, spec.fields);
        if (skipped.length > 0 && !s.after && !s.bulk && s.maxTs === null) {
          logger.warn({ object: spec.object, skipped }, 'fields of a type the connector does not read are left out');
          // Into the run's data-health report, with the next page (the sync goes on without them).
          for (const f of skipped) {
            pending.push(
              `Salesforce ${f.object}: field '${f.field}' of type '${f.type}' is not one the connector reads; left out`,
            );
          }
        }
        if (s.pass === 'incremental' && !s.checkedDeletes) {
          s.floor = minusSeconds(s.watermarks[spec.object]!.ts, settings.overlapSeconds);
          const since = minusSeconds(s.deletionsCovered[spec.object]!, settings.overlapSeconds);
          const deleted = await deletedSince(spec, since);
          if (deleted === 'too-old') {
            logger.info(
              { object: spec.object, since },
              'the last sync is older than Salesforce keeps deletions: reading everything again',
            );
            s = newPass('full', isoAt(clock), s);
            continue;
          }
          s.checkedDeletes = true;
          s.deletionsCovered[spec.object] = deleted.covered;
          if (deleted.removals.length > 0) yield emit({ removals: deleted.removals }, cursor(), meter);
        }
        const watermark = s.watermarks[spec.object];
        const base =
          s.pass === 'incremental' && s.floor && watermark
            ? changedSince('SystemModstamp', s.floor, watermark, settings.overlapSeconds)
            : undefined;
        const where = () => [base, s.after ? after('SystemModstamp', s.after) : undefined];
        if (!s.after && !s.bulk && s.maxTs === null) {
          const count = await client.query(select({ fields: 'COUNT()', object: spec.object, where: where() }), {
            all: true,
          });
          if (count.totalSize > settings.bulkThreshold) {
            const soql = select({ fields: names, object: spec.object, where: where() });
            const job = bulkJobSchema.parse(
              await client.json({
                method: 'POST',
                url: client.dataPath('/jobs/query'),
                body: JSON.stringify({
                  operation: 'queryAll',
                  query: soql,
                  contentType: 'CSV',
                  columnDelimiter: 'COMMA',
                  lineEnding: 'LF',
                }),
                headers: { 'content-type': 'application/json' },
                // Creating a second query job after an ambiguous failure costs a job, never data.
                idempotent: true,
              }),
            );
            s.bulk = { jobId: job.id, locator: null, ready: false };
            logger.info(
              { object: spec.object, rows: count.totalSize, job: job.id },
              'reading through a Bulk API 2.0 query job',
            );
            yield emit({}, cursor(), meter);
          }
        }
        if (s.bulk) {
          try {
            for await (const rows of bulkResults(s, types)) {
              const mapped = spec.map(rows, settings);
              const { changes } = await withoutOwnWrites(mapped.changes, rows, ownWrites());
              for (const row of rows) s.maxTs = laterKey(s.maxTs, row, 'SystemModstamp');
              yield emit({ ...changes, rejected: mapped.rejected }, cursor(), meter);
            }
          } catch (error) {
            if (!(error instanceof CrmApiError && error.details.status === 404)) throw error;
            // The job is gone (deleted, or its results expired after 7 days): read this object again.
            logger.warn(
              { object: spec.object, job: s.bulk.jobId },
              'Bulk API query job no longer exists: reading the object again',
            );
            Object.assign(s, { after: null, maxTs: null, bulk: null });
            continue;
          }
        } else {
          for await (const result of chain(deps, () => ({
            soql: select({ fields: names, object: spec.object, where: where(), orderBy: ['SystemModstamp', 'Id'] }),
            all: true,
          }))) {
            const rows = result.records as Row[];
            if (rows.length === 0) continue;
            const mapped = spec.map(rows, settings);
            // Records changed only by crm-agent's own write-back are not handed out (not re-scored).
            const { changes } = await withoutOwnWrites(mapped.changes, rows, ownWrites());
            const last = rows.at(-1)!;
            const ts = rowTime(last, 'SystemModstamp');
            if (ts && typeof last.Id === 'string') s.after = { ts, id: last.Id };
            s.maxTs = laterKey(s.maxTs, last, 'SystemModstamp');
            yield emit({ ...changes, rejected: mapped.rejected }, cursor(), meter);
          }
        }
        const reached = laterOf(s.maxTs, s.watermarks[spec.object]) ?? { ts: s.passStart, id: NO_ID };
        s.watermarks[spec.object] = { ts: reached.ts, id: reached.id, readAt: s.passStart };
        if (s.pass === 'full') s.deletionsCovered[spec.object] = s.passStart;
        s.phase += 1;
        s.after = null;
        s.floor = null;
        s.maxTs = null;
        s.bulk = null;
        s.checkedDeletes = false;
      }
      const full = s.pass === 'full';
      s.done = true;
      let final: RecordChanges = {};
      if (full)
        final = mergeChanges(final, { sweep: { type: specs[0]!.type, notSyncedSince: s.passStart, at: isoAt(clock) } });
      yield emit(final, cursor(), meter);
    },
  };

  /** What getDeleted reports since `floor` (and up to when), or 'too-old' when Salesforce no longer covers that far back. */
  async function deletedSince(
    spec: ObjectSpec,
    floor: string,
  ): Promise<{ removals: NonNullable<RecordChanges['removals']>; covered: string } | 'too-old'> {
    const now = clock.now();
    if (Date.parse(floor) < now - REPLICATION_DAYS * DAY) return 'too-old';
    const start = replicationDate(Date.parse(floor));
    const end = replicationDate(Math.max(now, Date.parse(floor) + 60_000));
    const body = deletedSchema.parse(
      await client.json({
        method: 'GET',
        url: client.dataPath(
          `/sobjects/${spec.object}/deleted/?start=${encodeURIComponent(start)}&end=${encodeURIComponent(end)}`,
        ),
      }),
    );
    if (Date.parse(isoDateTime(body.earliestDateAvailable)) > Date.parse(floor)) return 'too-old';
    return {
      removals: body.deletedRecords.map((d) => ({ type: spec.type, id: d.id, at: isoDateTime(d.deletedDate) })),
      covered: isoDateTime(body.latestDateCovered),
    };
  }

  /** The results of the state's bulk job, a page at a time, advancing its locator (polls until done first). */
  async function* bulkResults(s: State, types: ReadonlyMap<string, string>): AsyncGenerator<Row[]> {
    const bulk = s.bulk!;
    if (bulk.locator === 'done') return;
    const jobPath = client.dataPath(`/jobs/query/${bulk.jobId}`);
    if (!bulk.ready) {
      let wait = 1000;
      const deadline = clock.now() + 60 * 60_000;
      for (;;) {
        const job = bulkJobSchema.parse(await client.json({ method: 'GET', url: jobPath }));
        if (job.state === 'JobComplete') break;
        if (job.state === 'Failed' || job.state === 'Aborted') {
          throw new CrmApiError(
            `Salesforce Bulk API query job ${bulk.jobId} ${job.state.toLowerCase()}: ${job.errorMessage ?? 'no reason given'}`,
            {
              crm: 'salesforce',
              status: 200,
              retryable: true,
            },
          );
        }
        if (clock.now() > deadline) {
          throw new CrmApiError(
            `Salesforce Bulk API query job ${bulk.jobId} is still running after an hour; the next sync resumes polling it`,
            {
              crm: 'salesforce',
              status: 200,
              retryable: true,
            },
          );
        }
        await clock.sleep(wait);
        wait = Math.min(wait * 2, 30_000);
      }
      bulk.ready = true;
    }
    for (;;) {
      const query = `?maxRecords=${settings.bulkPageSize}${bulk.locator ? `&locator=${encodeURIComponent(bulk.locator)}` : ''}`;
      const response = await client.send({
        method: 'GET',
        url: `${jobPath}/results${query}`,
        headers: { accept: 'text/csv' },
      });
      const next = response.headers.get('sforce-locator');
      bulk.locator = next && next !== 'null' ? next : null;
      const rows = typedRows(response.text, types);
      const finished = bulk.locator === null;
      if (finished) s.bulk = { ...bulk, locator: 'done' };
      yield rows;
      if (finished) break;
    }
    await client.send({ method: 'DELETE', url: jobPath, idempotent: true }).catch((error: unknown) => {
      logger.warn({ err: error, job: bulk.jobId }, 'could not delete a finished Bulk API query job');
    });
  }
}
