#!/usr/bin/env node
// The npm registry mirror our machines use carries only some platforms' prebuilt binaries (e.g. no
// @biomejs/cli-darwin-arm64), so `npm install` cannot write lockfile entries for the others and
// `npm ci` then refuses the lockfile ("Missing: … from lock file"). This records each missing optional
// platform package with the version its parent pins and the os/cpu/libc its name states, which is what
// its real manifest declares; `npm ci` skips them on Linux x64 without fetching. Run after `npm install`.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';

const LOCK = 'package-lock.json';
const OS = ['android', 'darwin', 'linux', 'win32', 'freebsd', 'openbsd', 'netbsd', 'sunos', 'aix', 'openharmony'];
const CPU = ['arm64', 'x64', 'arm', 'ia32', 'ppc64', 's390x', 'riscv64', 'loong64', 'mips64el', 'wasm32'];

function missing() {
  try {
    execFileSync('npm', ['ci', '--dry-run', '--ignore-scripts'], { stdio: 'pipe' });
    return [];
  } catch (error) {
    const text = `${error.stdout ?? ''}${error.stderr ?? ''}`;
    return [...text.matchAll(/Missing: (.+?)@\S* from lock file/g)].map((m) => m[1]);
  }
}

const names = missing();
if (names.length === 0) {
  console.log('lockfile complete');
  process.exit(0);
}
const lock = JSON.parse(readFileSync(LOCK, 'utf8'));
for (const name of names) {
  const parent = Object.values(lock.packages).find((p) => p.optionalDependencies?.[name]);
  if (!parent) throw new Error(`no package in the lockfile depends optionally on ${name}`);
  const parts = name.split('/').pop().split('-');
  const os = parts.find((p) => OS.includes(p));
  const cpu = parts.find((p) => CPU.includes(p));
  const libc =
    parts.includes('musl') || parts.includes('musleabihf')
      ? 'musl'
      : parts.includes('gnu') || parts.includes('gnueabihf')
        ? 'glibc'
        : undefined;
  lock.packages[`node_modules/${name}`] = {
    version: parent.optionalDependencies[name].replace(/^[\^~]/, ''),
    ...(cpu ? { cpu: [cpu] } : {}),
    ...(parent.dev ? { dev: true } : {}),
    ...(libc ? { libc: [libc] } : {}),
    optional: true,
    ...(os ? { os: [os] } : {}),
  };
}
lock.packages = Object.fromEntries(
  Object.entries(lock.packages).sort(([a], [b]) => (a === '' ? -1 : b === '' ? 1 : a.localeCompare(b))),
);
writeFileSync(LOCK, `${JSON.stringify(lock, null, 2)}\n`);
console.log(`recorded ${names.length} platform packages: ${names.join(', ')}`);
const still = missing();
if (still.length > 0) throw new Error(`still missing: ${still.join(', ')}`);
