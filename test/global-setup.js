// Before the suites: build the CLI once, so end-to-end tests exercise the real `bin/crm-agent.js` (incremental: a
// no-op when nothing changed), and make sure Debian's Chromium is there for the browser tests.
import { execFileSync } from 'node:child_process';

export default function globalSetup() {
  execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json'], {
    stdio: 'inherit',
  });
  execFileSync('bash', ['scripts/ensure-chromium.sh'], { stdio: 'inherit' });
}
