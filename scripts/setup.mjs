#!/usr/bin/env node
// One set-up step shared by `npm test` and `npm run demo`, so that a fresh machine needs
// nothing but Node.js: npm packages, the Debian packages the tests and benchmarks use
// (only when missing and only as root), and the TypeScript build.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const wantSystem = process.argv.includes('--system');

// Debian package -> a file that proves it is installed.
const DEBIAN_PACKAGES = {
  // the servers the integration tests start in temporary directories (test/support, agent/sandbox)
  'postgresql-15': '/usr/lib/postgresql/15/bin/postgres',
  'mariadb-server': '/usr/sbin/mariadbd',
  'postgresql-15-hypopg': '/usr/lib/postgresql/15/lib/hypopg.so',
  'postgresql-15-pg-qualstats': '/usr/lib/postgresql/15/lib/pg_qualstats.so',
  prometheus: '/usr/bin/promtool',
  pgbouncer: '/usr/sbin/pgbouncer',
  'percona-toolkit': '/usr/bin/pt-query-digest',
  pgbadger: '/usr/bin/pgbadger',
  // peak memory figures of bench:digest
  time: '/usr/bin/time',
  // systemd-analyze verify of packaging/systemd/dbdiag.service
  systemd: '/usr/bin/systemd-analyze',
  // the man page (npm run man, prepack)
  help2man: '/usr/bin/help2man',
  // the HTML report opened headless by its test (playwright-core drives it)
  chromium: '/usr/bin/chromium',
  // the fault suite's failing disk: a FUSE view whose reads return EIO (test/support/failing-disk.py)
  'python3-fuse': '/usr/lib/python3/dist-packages/fuse.py',
};

function step(message) {
  process.stderr.write(`[setup] ${message}\n`);
}

function run(cmd, args, options = {}) {
  const result = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', ...options });
  if (result.status !== 0) {
    throw new Error(`${cmd} ${args.join(' ')} exited with ${result.status ?? result.signal}`);
  }
}

function mtime(path) {
  return existsSync(path) ? statSync(path).mtimeMs : 0;
}

function installNpmPackages() {
  const marker = join(root, 'node_modules', '.package-lock.json');
  if (existsSync(marker) && mtime(marker) >= mtime(join(root, 'package-lock.json'))) return;
  step('installing npm packages');
  // better-sqlite3 (the state store) is compiled here: only the npm registry is reachable, so
  // its prebuilt-binary download (from elsewhere) would only wait for a timeout first
  run('npm', [existsSync(join(root, 'package-lock.json')) ? 'ci' : 'install', '--no-audit', '--no-fund'], {
    env: { ...process.env, npm_config_build_from_source: 'better-sqlite3' },
  });
}

function installDebianPackages() {
  const missing = Object.entries(DEBIAN_PACKAGES)
    .filter(([, proof]) => !existsSync(proof))
    .map(([name]) => name);
  if (missing.length === 0) return;
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) {
    step(`not root: skipping Debian packages ${missing.join(', ')} (tests that need them will say so)`);
    return;
  }
  step(`installing Debian packages: ${missing.join(', ')}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  try {
    run('apt-get', ['update', '-qq'], { env });
    run('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...missing], { env });
  } catch (error) {
    step(`Debian packages could not be installed (${error.message}); continuing without them`);
  }
}

function build() {
  step('building (tsc)');
  execFileSync(
    process.execPath,
    [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json'],
    {
      cwd: root,
      stdio: 'inherit',
    },
  );
}

installNpmPackages();
if (wantSystem) installDebianPackages();
build();
