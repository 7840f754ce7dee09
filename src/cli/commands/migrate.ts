import type { Command } from 'commander';
import { type CliIo, print } from '../cli-io.js';
import { withRuntime } from '../with-runtime.js';

export function registerMigrate(program: Command, io: CliIo): void {
  program
    .command('migrate')
    .description('apply pending schema migrations to the configured store (SQLite or PostgreSQL)')
    .action(async () => {
      await withRuntime(
        io,
        async ({ store }) => {
          const result = await store.migrate();
          const what = result.applied.length === 0 ? 'no pending migrations' : `applied ${result.applied.join(', ')}`;
          print(io.stdout, `${what}; schema version ${result.schemaVersion} at ${store.location}`);
        },
        { migrate: false },
      );
    });
}
