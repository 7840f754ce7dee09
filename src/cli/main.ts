import { Command, CommanderError } from 'commander';
import { ErrorCode, isCrmAgentError } from '../lib/errors.js';
import { readPackageVersion } from '../lib/package-root.js';
import { type CliIo, print } from './cli-io.js';
import { registerConnect } from './commands/connect.js';
import { registerDemo } from './commands/demo.js';
import { registerEval } from './commands/eval.js';
import { registerGc } from './commands/gc.js';
import { registerKeys } from './commands/keys.js';
import { registerManifest } from './commands/manifest.js';
import { registerMigrate } from './commands/migrate.js';
import { registerOutboundUrl } from './commands/outbound-url.js';
import { registerReport } from './commands/report.js';
import { registerRun } from './commands/run.js';
import { registerSandbox } from './commands/sandbox.js';
import { registerServe } from './commands/serve.js';
import { registerSimulate } from './commands/simulate.js';
import { registerSync } from './commands/sync.js';
import { registerTenants } from './commands/tenants.js';
import { registerWorker } from './commands/worker.js';

/** Exit statuses: 0 done, 1 failed (bad input, unreachable store, …), 2 a CRM connector this build lacks. */
export const EXIT = { ok: 0, failed: 1, notBuilt: 2 } as const;

export function buildProgram(io: CliIo): Command {
  const program = new Command('crm-agent')
    .description('CRM intelligence for HubSpot and Salesforce: sync, segment, forecast, score, decide, write back.')
    .version(readPackageVersion(), '-V, --version')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
    });
  registerServe(program, io);
  registerMigrate(program, io);
  registerTenants(program, io);
  registerConnect(program, io);
  registerSync(program, io);
  registerSandbox(program, io);
  registerManifest(program, io);
  registerKeys(program, io);
  registerOutboundUrl(program, io);
  registerWorker(program, io);
  registerEval(program, io);
  registerRun(program, io);
  registerReport(program, io);
  registerDemo(program, io);
  registerGc(program, io);
  registerSimulate(program, io);
  for (const command of program.commands) command.exitOverride();
  return program;
}

/** Runs one CLI invocation (`argv` without node and script) and returns its exit status. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const program = buildProgram(io);
  if (argv.length === 0) {
    program.outputHelp({ error: true });
    return EXIT.failed;
  }
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return EXIT.ok;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? EXIT.ok : EXIT.failed;
    if (isCrmAgentError(error)) {
      print(io.stderr, `crm-agent: ${error.message}`);
      return error.code === ErrorCode.NotBuilt ? EXIT.notBuilt : EXIT.failed;
    }
    print(
      io.stderr,
      `crm-agent: unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
    );
    return EXIT.failed;
  }
}
