import { SingleBar } from 'cli-progress';
import type { Command } from 'commander';
import { CrmAgentError, ErrorCode, TenantNotFoundError } from '../../lib/errors.js';
import { runSync, type SyncSummary } from '../../sync/run-sync.js';
import { type CliIo, print } from '../cli-io.js';
import { withRuntime } from '../with-runtime.js';

export function registerSync(program: Command, io: CliIo): void {
  program
    .command('sync')
    .description("copy a tenant's CRM records into the local store (incremental; --full for a full pass)")
    .requiredOption('--tenant <id>', 'the tenant to sync (see `crm-agent tenants`)')
    .option('--full', 'read every record again (resumes an interrupted full sync)')
    .action(async (options: { tenant: string; full?: boolean }) => {
      await withRuntime(io, async (runtime) => {
        const tenant = await runtime.store.tenants.get(options.tenant);
        if (!tenant) throw new TenantNotFoundError(options.tenant);
        if (tenant.status !== 'active') {
          throw new CrmAgentError(ErrorCode.NeedsReauth, `tenant ${tenant.id} is ${tenant.status}: reconnect it first`);
        }
        const connector = runtime.connectorFor(tenant);
        const bar = io.stderr.isTTY
          ? new SingleBar({
              format: 'sync {bar} {records} records · {requests} requests · {stream}',
              stream: io.stderr,
              hideCursor: true,
            })
          : undefined;
        let records = 0;
        let requests = 0;
        bar?.start(1, 0, { records, requests, stream: '' });
        const summary = await runSync(runtime, {
          tenantId: tenant.id,
          connector,
          mode: options.full ? 'full' : 'incremental',
          trigger: 'cli',
          signal: io.signal,
          onPage: ({ stream, counts, requests: n }) => {
            records += Object.values(counts).reduce((a, b) => a + b, 0);
            requests += n;
            bar?.update(0, { records, requests, stream });
          },
        }).finally(() => bar?.stop());
        for (const line of formatSummary(summary)) print(io.stdout, line);
      });
    });
}

/** The summary a person reads after a sync: records per object, requests, 429s, seconds. */
export function formatSummary(summary: SyncSummary): string[] {
  const objects = Object.entries(summary.counts)
    .filter(([, n]) => n > 0)
    .map(([key, n]) => `${key}=${n}`)
    .join(' ');
  return [
    `sync ${summary.mode} ${summary.status} in ${summary.seconds.toFixed(1)} s: ${objects || 'no changes'}`,
    `requests=${summary.requests} throttled(429)=${summary.throttled} run=${summary.runId}`,
  ];
}
