import type { SyncStream } from '../../../src/ports/crm-connector.js';
import { ACCOUNT, CONTACT, LEAD, LINE_ITEM, mapContactRoles, mapStageHistory, OPPORTUNITY } from '../map.js';
import { accountStream } from './account-stream.js';
import type { StreamDeps } from './common.js';
import { type GroupedSpec, groupedStream } from './grouped-stream.js';
import { recordStream } from './record-stream.js';
import { ownersStream, productsStream } from './reference-streams.js';

/** An opportunity's contact roles: they become the deal's contacts (replaced as a whole). */
export const CONTACT_ROLES: GroupedSpec = {
  object: 'OpportunityContactRole',
  fields: ['Id', 'OpportunityId', 'ContactId', 'Role', 'IsPrimary', 'SystemModstamp'],
  orderWithin: ['Id'],
  changedField: 'SystemModstamp',
  deletions: true,
  map: mapContactRoles,
};

/** An opportunity's history snapshots: they become the stages the deal entered (insert-only rows). */
export const STAGE_HISTORY: GroupedSpec = {
  object: 'OpportunityHistory',
  fields: ['Id', 'OpportunityId', 'StageName', 'Amount', 'CreatedDate'],
  orderWithin: ['CreatedDate', 'Id'],
  changedField: 'CreatedDate',
  deletions: false,
  map: (_ids, rows) => mapStageHistory(rows),
};

/** Every stream of a Salesforce sync, in the order they run (referenced records before the records that point at them). */
export function salesforceStreams(deps: StreamDeps): SyncStream[] {
  return [
    accountStream(deps),
    ownersStream(deps),
    productsStream(deps),
    recordStream('companies', [ACCOUNT], deps),
    // Leads and contacts are both canonical contacts: one stream, so its full pass sweeps them together.
    recordStream('contacts', [LEAD, CONTACT], deps),
    recordStream('deals', [OPPORTUNITY], deps),
    recordStream('line_items', [LINE_ITEM], deps),
    groupedStream('deal_contacts', CONTACT_ROLES, deps),
    groupedStream('stage_history', STAGE_HISTORY, deps),
  ];
}
