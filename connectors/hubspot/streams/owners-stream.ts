import type { Clock } from '../../../src/lib/clock.js';
import type { RecordChanges, StreamPage, SyncStream } from '../../../src/ports/crm-connector.js';
import type { ClientStats, HubSpotClient } from '../client.js';
import { mapOwner } from '../map.js';
import { describeIssues, Owner, OwnersPage } from '../schemas.js';

interface OwnersCursorState {
  phase: 'active' | 'archived' | 'done';
  passStartedAt: number;
  after?: string;
}

/**
 * Owners (`/crm/v3/owners`): few, so every sync reads them all, active then archived (deactivated users), and
 * sweeps owners HubSpot no longer lists.
 */
export function ownersStream(shared: HubSpotClient, clock: Clock): SyncStream {
  return {
    name: 'owners',
    async *read(context): AsyncGenerator<StreamPage> {
      const saved = context.cursor?.state as Partial<OwnersCursorState> | undefined;
      let state: OwnersCursorState =
        saved?.phase === 'active' || saved?.phase === 'archived'
          ? (saved as OwnersCursorState)
          : { phase: 'active', passStartedAt: Math.floor(clock.now()) };
      const tally: ClientStats = { requests: 0, throttled: 0, retries: 0 };
      const client = shared.counting(tally);
      while (state.phase !== 'done') {
        context.signal.throwIfAborted();
        const listed = await client.request(
          {
            method: 'GET',
            path: '/crm/v3/owners/',
            query: { limit: 500, after: state.after, archived: state.phase === 'archived' },
            budget: 'burst',
            idempotent: true,
            signal: context.signal,
          },
          OwnersPage,
        );
        const owners = [];
        const rejected: NonNullable<RecordChanges['rejected']> = [];
        for (const raw of listed.results) {
          const parsed = Owner.safeParse(raw);
          if (parsed.success) owners.push(mapOwner({ ...parsed.data, archived: state.phase === 'archived' }));
          else
            rejected.push({
              type: 'owner',
              id: String((raw as { id?: unknown })?.id ?? '?'),
              reason: describeIssues(parsed.error),
            });
        }
        const changes: RecordChanges = { owners, ...(rejected.length > 0 ? { rejected } : {}) };
        const next = listed.paging?.next?.after;
        if (next !== undefined) state = { ...state, after: next };
        else if (state.phase === 'active') state = { phase: 'archived', passStartedAt: state.passStartedAt };
        else {
          if (rejected.length === 0) {
            changes.sweep = {
              type: 'owner',
              notSyncedSince: new Date(state.passStartedAt).toISOString(),
              at: new Date(clock.now()).toISOString(),
            };
          }
          state = { phase: 'done', passStartedAt: state.passStartedAt };
        }
        yield {
          changes,
          cursor: { watermark: null, state: { ...state } },
          requests: tally.requests,
          throttled: tally.throttled,
        };
        tally.requests = 0;
        tally.throttled = 0;
      }
    },
  };
}
