import { join } from 'node:path';
import { openStore } from '../../src/store/open-store.js';
import { tempDir } from '../helpers/temp-dir.js';
import { actionListContract } from './action-list.contract.js';
import { type StoreTarget, storeContract } from './store.contract.js';
import { boundParamsContract } from './store-bound-params.contract.js';
import { retentionContract } from './store-retention.contract.js';

const dir = tempDir();
let n = 0;

const target: StoreTarget = {
  name: 'SQLite',
  open: (clock) => openStore({ kind: 'sqlite', path: join(dir.path, `store-${n++}.db`) }, { clock }),
  cleanup: async () => dir.remove(),
};
// Before the main contract: its cleanup removes every database the target opened.
retentionContract(target);
actionListContract(target);
boundParamsContract(target);
storeContract(target);
