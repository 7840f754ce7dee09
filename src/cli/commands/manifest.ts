import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { Command } from 'commander';
import { loadAppManifest } from '../../config/app-manifest.js';
import { loadConfig } from '../../config/load-config.js';
import { CrmAgentError, ErrorCode } from '../../lib/errors.js';
import { appManifestPath } from '../../lib/package-root.js';
import { buildHubSpotProject, type ProjectFiles } from '../../manifest/hubspot-project.js';
import { buildSalesforceMetadata } from '../../manifest/salesforce-metadata.js';
import { type CliIo, print } from '../cli-io.js';

export function registerManifest(program: Command, io: CliIo): void {
  program
    .command('manifest')
    .description(
      "write the CRM's app project from app-manifest.json: a HubSpot developer project, or Salesforce metadata",
    )
    .addArgument(program.createArgument('<crm>', 'hubspot or salesforce').choices(['hubspot', 'salesforce']))
    .requiredOption('--out <dir>', 'directory to write (created; must be empty or absent)')
    .option('--force', 'replace the directory if it exists')
    .action((crm: 'hubspot' | 'salesforce', options: { out: string; force?: boolean }) => {
      const config = loadConfig({ env: io.env, cwd: io.cwd });
      const manifest = loadAppManifest(appManifestPath());
      const files =
        crm === 'hubspot'
          ? buildHubSpotProject(manifest, config.publicUrl)
          : buildSalesforceMetadata(manifest, config.publicUrl);
      const out = resolve(io.cwd, options.out);
      writeProject(out, files, options.force === true);
      print(io.stdout, `wrote ${Object.keys(files).length} files to ${out}`);
      if (config.publicUrl.startsWith('http://localhost')) {
        print(
          io.stderr,
          `note: URLs point at ${config.publicUrl}; set PUBLIC_URL to crm-agent's public https address before uploading`,
        );
      }
    });
}

/** Writes every file into a fresh sibling directory, then moves it into place: no half-written project. */
function writeProject(out: string, files: ProjectFiles, force: boolean): void {
  if (existsSync(out) && readdirSync(out).length > 0 && !force) {
    throw new CrmAgentError(ErrorCode.Usage, `${out} is not empty (use --force to replace it)`);
  }
  const staging = `${out}.tmp-${process.pid}`;
  rmSync(staging, { recursive: true, force: true });
  try {
    for (const [path, content] of Object.entries(files)) {
      const file = join(staging, path);
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, content);
    }
    rmSync(out, { recursive: true, force: true });
    mkdirSync(dirname(out), { recursive: true });
    renameSync(staging, out);
  } catch (error) {
    rmSync(staging, { recursive: true, force: true });
    throw new CrmAgentError(ErrorCode.Usage, `cannot write ${out}: ${(error as Error).message}`, { cause: error });
  }
}
