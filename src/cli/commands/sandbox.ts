import type { Command } from 'commander';
import { hubspotSandboxCommand } from '../../../sandbox/hubspot/command.js';
import { salesforceSandboxCommand } from '../../../sandbox/salesforce/command.js';
import type { CliIo } from '../cli-io.js';

/** Adds one CRM's emulator as `crm-agent sandbox <crm>`; each lives in `sandbox/<crm>/command.ts`. */
export type SandboxCommand = (sandbox: Command, io: CliIo) => void;

const SANDBOXES: SandboxCommand[] = [hubspotSandboxCommand, salesforceSandboxCommand];

export function registerSandbox(program: Command, io: CliIo): void {
  const sandbox = program
    .command('sandbox')
    .description('start a local emulator of a CRM API, with seeded data and real limits (hubspot|salesforce)');
  for (const add of SANDBOXES) add(sandbox, io);
  for (const command of sandbox.commands) command.exitOverride();
  sandbox.exitOverride();
}
