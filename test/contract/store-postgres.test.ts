import { openStore } from '../../src/store/open-store.js';
import { createTestDatabase } from '../helpers/postgres.js';
import { actionListContract } from './action-list.contract.js';
import { type StoreTarget, storeContract } from './store.contract.js';
import { boundParamsContract } from './store-bound-params.contract.js';
import { retentionContract } from './store-retention.contract.js';

const databases: Array<{ drop: () => Promise<void> }> = [];

const target: StoreTarget = {
  name: 'PostgreSQL',
  async open(clock) {
    const database = await createTestDatabase();
    databases.push(database);
    return openStore({ kind: 'postgres', url: database.url }, { clock, poolSize: 2 });
  },
  async cleanup() {
    await Promise.all(databases.map((d) => d.drop()));
  },
};
// Before the main contract: its cleanup drops every database the target opened.
retentionContract(target);
actionListContract(target);
boundParamsContract(target);
storeContract(target);
