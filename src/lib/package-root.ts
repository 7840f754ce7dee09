import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * crm-agent's own installation directory (where its package.json and app-manifest.json live). The search
 * walks up from this module so it works both from `src/` (tests, tsx) and from `dist/src/` (the built CLI).
 */
export function packageRoot(from: string = import.meta.url): string {
  let dir = dirname(fileURLToPath(from));
  for (;;) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string };
      if (pkg.name === 'crm-agent') return dir;
    } catch {
      // not here; keep walking up
    }
    const parent = dirname(dir);
    if (parent === dir) throw new Error('crm-agent package.json not found');
    dir = parent;
  }
}

export function readPackageVersion(): string {
  const pkg = JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version: string };
  return pkg.version;
}

export function appManifestPath(): string {
  return join(packageRoot(), 'app-manifest.json');
}
