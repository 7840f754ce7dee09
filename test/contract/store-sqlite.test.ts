import { join } from 'node:path';
import { openStore } from '../../src/store/open-store.js';
import { tempDir } from '../helpers/temp-dir.js';
import { storeContract } from './store.contract.js';

const dir = tempDir();
let n = 0;

storeContract({
  name: 'SQLite',
  open: (clock) => openStore({ kind: 'sqlite', path: join(dir.path, `store-${n++}.db`) }, { clock }),
  cleanup: async () => dir.remove(),
});
