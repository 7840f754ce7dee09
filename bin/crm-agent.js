#!/usr/bin/env node
// The installed command. It runs the compiled CLI; `npm ci` builds it (the `prepare` script).
try {
  await import('../dist/src/cli/bin.js');
} catch (error) {
  if (error?.code === 'ERR_MODULE_NOT_FOUND' && String(error.message).includes('dist/src/cli/bin.js')) {
    console.error('crm-agent: not built yet: run `npm run build` (or `npm ci`, which builds) first');
    process.exit(1);
  }
  throw error;
}
