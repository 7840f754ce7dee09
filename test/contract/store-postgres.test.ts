import { openStore } from '../../src/store/open-store.js';
import { createTestDatabase } from '../helpers/postgres.js';
import { storeContract } from './store.contract.js';

const databases: Array<{ drop: () => Promise<void> }> = [];

storeContract({
  name: 'PostgreSQL',
  async open(clock) {
    const database = await createTestDatabase();
    databases.push(database);
    return openStore({ kind: 'postgres', url: database.url }, { clock, poolSize: 2 });
  },
  async cleanup() {
    await Promise.all(databases.map((d) => d.drop()));
  },
});
