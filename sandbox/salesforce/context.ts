import type { Clock } from '../../src/lib/clock.js';
import type { BulkJobs } from './bulk-jobs.js';
import type { ApiLimits } from './limits.js';
import type { OAuthServer } from './oauth.js';
import type { QueryCursors } from './query-cursors.js';
import type { SeedIds } from './seed.js';
import type { OrgState } from './state.js';

/** A platform event as published through `/sobjects/NAME__e`. */
export interface PublishedEvent {
  object: string;
  uuid: string;
  replayId: number;
  publishedAt: number;
  fields: Record<string, unknown>;
}

/** What the routes of the sandbox share: the org, its limits, sessions, open cursors and bulk jobs. */
export interface SandboxContext {
  state: OrgState;
  clock: Clock;
  limits: ApiLimits;
  oauth: OAuthServer;
  cursors: QueryCursors;
  bulk: BulkJobs;
  ids: SeedIds;
  events: PublishedEvent[];
  /** getDeleted's earliestDateAvailable floor: Salesforce trims a large delete log (a control endpoint plays it). */
  deleteLogTrimmedBefore: number;
}
