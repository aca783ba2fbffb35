import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import mysql from 'mysql2/promise';
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

// Throw-away MariaDB servers from the installed binaries (mariadb-install-db + mariadbd), each in
// its own dbdiag-* directory, on a free loopback port, as the `mysql` account when we are root.
// Fast: install ~0.5 s, start ~0.3 s. MySQL 8 has no binaries on this machine (no Docker
// either): the test harness reaches it through testcontainers where a Docker engine answers.

export const MARIADBD = '/usr/sbin/mariadbd';
export const MARIADB_INSTALL_DB = '/usr/bin/mariadb-install-db';
const ADMIN_USER = 'root';

/** ER_CON_COUNT_ERROR "Too many connections" */
const TOO_MANY_CONNECTIONS = 1040;
/** ER_SERVER_SHUTDOWN, ER_CONNECTION_KILLED, CR_SERVER_GONE_ERROR, CR_SERVER_LOST */
const CONNECTION_LOST_ERRNO = new Set([1053, 1927, 2006, 2013]);
const CONNECTION_LOST_CODES = new Set(['PROTOCOL_CONNECTION_LOST', 'ECONNREFUSED', 'ECONNRESET', 'EPIPE']);

/** Maps the neutral options onto mariadbd options (names without the leading --); `settings` wins. */
export function mariadbSettings(options: SandboxServerOptions, dir: string): Settings {
  const statementStats = options.statementStats ?? true;
  const settings: Settings = {
    'performance-schema': statementStats ? 'ON' : 'OFF',
    // statement samples (events_statements_current / history_long) for EXPLAIN of real statements
    'performance-schema-consumer-events-statements-current': statementStats ? 'ON' : 'OFF',
    'performance-schema-consumer-events-statements-history-long': statementStats ? 'ON' : 'OFF',
    'max-connections': options.maxConnections ?? 50,
    'innodb-buffer-pool-size': options.cacheBytes ?? 16 * 1024 * 1024,
    'innodb-log-file-size': '8M',
    // Throw-away data: no fsync per commit, no doublewrite, no buffer pool dump/load.
    'innodb-flush-log-at-trx-commit': 0,
    'innodb-doublewrite': 0,
    'innodb-buffer-pool-load-at-startup': 'OFF',
    'innodb-buffer-pool-dump-at-shutdown': 'OFF',
  };
  if (options.slowLog) {
    Object.assign(settings, {
      'slow-query-log': 'ON',
      'slow-query-log-file': join(dir, 'slow.log'),
      'long-query-time': (options.slowLogMinMs ?? 0) / 1000,
    });
  }
  return { ...settings, ...options.settings };
}

function buildDsn(host: string, port: number, o: ConnectOptions): string {
  const user = encodeURIComponent(o.user ?? ADMIN_USER);
  const auth = o.password ? `${user}:${encodeURIComponent(o.password)}` : user;
  return `mysql://${auth}@${host}:${port}/${encodeURIComponent(o.database ?? '')}`;
}

async function openSession(dsn: string, connectTimeoutMs = 5000): Promise<SandboxSession> {
  const connection = await mysql.createConnection({
    uri: dsn,
    multipleStatements: true,
    connectTimeout: connectTimeoutMs,
  });
  // A session the server kills must not crash the process: the next query fails instead.
  connection.on('error', () => undefined);
  return {
    id: connection.threadId,
    query: async (sql, params) => {
      const [rows] = await connection.query(sql, params ? [...params] : []);
      return Array.isArray(rows) ? (rows as Row[]) : [];
    },
    close: async () => {
      await connection.end().catch(() => connection.destroy());
    },
  };
}

function classifyError(error: unknown): SessionErrorKind {
  const e = error as { errno?: unknown; code?: unknown } | null;
  if (e?.errno === TOO_MANY_CONNECTIONS) return 'too-many-connections';
  if (typeof e?.errno === 'number' && CONNECTION_LOST_ERRNO.has(e.errno)) return 'connection-lost';
  if (typeof e?.code === 'string' && CONNECTION_LOST_CODES.has(e.code)) return 'connection-lost';
  return 'other';
}

function settingArgs(settings: Settings): string[] {
  return Object.entries(settings).map(([name, value]) => `--${name}=${value}`);
}

async function waitUntilAccepting(dsn: string, child: ChildProcess, logPath: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  let last: unknown = null;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) break;
    try {
      const session = await openSession(dsn);
      await session.close();
      return;
    } catch (error) {
      last = error;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  throw new Error(`MariaDB did not accept connections (${String(last)}):\n${tail(logPath)}`);
}

function tail(path: string, lines = 20): string {
  return existsSync(path) ? readFileSync(path, 'utf8').split('\n').slice(-lines).join('\n') : '';
}

/** A data directory ready to run: in its own marked sandbox directory, owned by the server's account. */
export interface MariadbDataDir {
  sandbox: SandboxDir;
  /** the datadir, inside sandbox.path */
  data: string;
  user: RunAsUser | null;
}

/**
 * The server's own temporary directory, inside the sandbox: in the shared /tmp, servers of
 * other runs (and other sessions' mariadb-install-db) clashed on #sql temporary file names.
 */
function tmpDirOf(sandboxPath: string): string {
  return join(sandboxPath, 'tmp');
}

/** A fresh data directory (mariadb-install-db) in a new dbdiag-<purpose>-* directory. */
export async function freshDataDir(options: Pick<SandboxServerOptions, 'purpose'>): Promise<MariadbDataDir> {
  if (!existsSync(MARIADBD))
    throw new Error(`MariaDB binaries not found (${MARIADBD}): apt-get install mariadb-server`);
  const sandbox = createSandboxDir(options.purpose ?? 'sandbox');
  sandbox.mark({ engine: 'mysql' });
  const data = join(sandbox.path, 'data');
  const user = serverUser(['mysql']);
  try {
    mkdirSync(data);
    mkdirSync(tmpDirOf(sandbox.path));
    chownTree(sandbox.path, user);
    await runAs(user, MARIADB_INSTALL_DB, [
      '--no-defaults',
      `--datadir=${data}`,
      `--tmpdir=${tmpDirOf(sandbox.path)}`,
      '--auth-root-authentication-method=normal',
      '--skip-test-db',
      '--innodb-log-file-size=8M',
      ...(user ? [`--user=${user.name}`] : []),
    ]);
  } catch (error) {
    sandbox.remove();
    throw error;
  }
  return { sandbox, data, user };
}

async function start(options: SandboxServerOptions): Promise<SandboxServer> {
  return launchMariadb(await freshDataDir(options), options);
}

/**
 * Runs a server on a prepared data directory, on a free port, and owns it from then on (the
 * directory is removed by destroy()). The extension point for more than one server: a replica
 * is another fresh data directory launched with its own server-id (binary log on the primary
 * through `settings`: 'log-bin', 'server-id'), then pointed at the primary (CHANGE MASTER TO).
 */
export async function launchMariadb(
  prepared: MariadbDataDir,
  options: SandboxServerOptions,
): Promise<SandboxServer> {
  const { sandbox, data, user } = prepared;
  const dir = sandbox.path;
  const logPath = join(dir, 'error.log');
  const host = '127.0.0.1';
  const port = await freePort();
  // empty until the server runs and it is set
  let password: string | undefined;
  const dsn = (o: ConnectOptions = {}) =>
    buildDsn(host, port, {
      ...o,
      password: o.password ?? ((o.user ?? ADMIN_USER) === ADMIN_USER ? password : undefined),
    });
  const fixed = [
    '--no-defaults',
    `--datadir=${data}`,
    `--socket=${join(dir, 'mysqld.sock')}`,
    `--pid-file=${join(dir, 'mysqld.pid')}`,
    `--log-error=${logPath}`,
    `--tmpdir=${tmpDirOf(dir)}`,
    `--port=${port}`,
    '--bind-address=127.0.0.1',
    '--skip-name-resolve',
  ];
  let settings = mariadbSettings(options, dir);
  let child: ChildProcess | null = null;
  const running = () => child !== null && child.exitCode === null && child.signalCode === null;
  const unregister = undoOnExit(() => {
    if (running()) child?.kill('SIGKILL');
  });

  const startServer = async (): Promise<void> => {
    if (running()) return;
    const started = spawnAs(user, MARIADBD, [...fixed, ...settingArgs(settings)], { stdio: 'ignore' });
    child = started;
    sandbox.mark({ serverPid: started.pid ?? null });
    await waitUntilAccepting(dsn(), started, logPath);
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

  let version = '';
  try {
    await startServer();
    version = String((await query('SELECT VERSION() AS v'))[0]?.v ?? '');
    if (options.adminPassword !== undefined) {
      // install-db makes root@localhost, root@127.0.0.1, root@::1, root@<hostname>: every one
      // that can be set gets the password (SET PASSWORD: ALTER USER ... IDENTIFIED BY leaves
      // these accounts' empty authentication_string as it is on MariaDB 10.11)
      const admin = await openSession(dsn());
      try {
        const hosts = await admin.query(
          `SELECT Host AS host FROM mysql.user WHERE User = 'root' AND CONCAT(User, '@', Host) <> CURRENT_USER()`,
        );
        for (const { host: rootHost } of hosts)
          await admin
            .query('SET PASSWORD FOR ?@? = PASSWORD(?)', [ADMIN_USER, rootHost, options.adminPassword])
            .catch(() => undefined);
        await admin.query('SET PASSWORD = PASSWORD(?)', [options.adminPassword]);
      } finally {
        await admin.close();
      }
      password = options.adminPassword;
    }
  } catch (error) {
    await halt('SIGKILL').catch(() => undefined);
    unregister();
    sandbox.remove();
    throw error;
  }

  let destroyed = false;
  return {
    engine: 'mysql',
    label: 'MariaDB (installed binaries)',
    version,
    host,
    port,
    dir,
    adminUser: ADMIN_USER,
    slowLogPath: options.slowLog ? join(dir, 'slow.log') : null,
    dsn,
    connect: (o) => openSession(dsn(o), o?.connectTimeoutMs),
    query,
    pid: () => (running() ? (child?.pid ?? null) : null),
    // SIGTERM: a clean shutdown (connections closed, InnoDB flushed)
    stopServer: () => halt('SIGTERM'),
    killServer: () => halt('SIGKILL'),
    startServer,
    restart: async (changed) => {
      await halt('SIGTERM');
      if (changed) settings = { ...settings, ...changed };
      await startServer();
    },
    destroy: async () => {
      if (destroyed) return;
      destroyed = true;
      // the data is thrown away: no need for a clean shutdown
      await halt('SIGKILL');
      unregister();
      sandbox.remove();
    },
    logTail: () => tail(logPath, 40),
  };
}

/** The replica's report_host: how it names itself to its primary (SHOW REPLICA HOSTS there). */
export const SANDBOX_REPLICA_NAME = 'dbdiag_replica';

/**
 * A primary with a replica, both fresh data directories launched the same way: the primary
 * writes a row-based binary log (server-id 1), the replica (server-id 2) replicates from it
 * with GTID (MASTER_USE_GTID = slave_pos) as the primary's root over 127.0.0.1 (no password
 * here). Both start from the same freshly installed system tables, so no copy is needed.
 */
async function startReplicaPair(options: SandboxServerOptions): Promise<SandboxReplicaPair> {
  if (options.adminPassword !== undefined)
    throw new Error('a sandbox replica pair runs without an admin password (the replica connects as root)');
  const purpose = options.purpose ?? 'sandbox';
  const primary = await launchMariadb(await freshDataDir({ purpose }), {
    ...options,
    settings: { 'log-bin': 'binlog', 'server-id': 1, 'binlog-format': 'ROW', ...options.settings },
  });
  try {
    const replica = await launchMariadb(await freshDataDir({ purpose: `${purpose}-replica` }), {
      ...options,
      settings: {
        'server-id': 2,
        'report-host': SANDBOX_REPLICA_NAME,
        'relay-log': 'relay',
        ...options.settings,
      },
    });
    try {
      await replica.query(
        `CHANGE MASTER TO MASTER_HOST = ?, MASTER_PORT = ?, MASTER_USER = ?, MASTER_PASSWORD = '',
           MASTER_USE_GTID = slave_pos, MASTER_CONNECT_RETRY = 1`,
        [primary.host, primary.port, ADMIN_USER],
      );
      await replica.query('START REPLICA');
    } catch (error) {
      await replica.destroy();
      throw error;
    }
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

/** Kills the sessions matching the filter (never the caller's own, never server threads), returns how many. */
async function terminateSessions(
  admin: SandboxSession,
  filter: { user?: string; applicationName?: string },
): Promise<number> {
  if (filter.applicationName !== undefined)
    throw new Error('MySQL/MariaDB sessions have no application name: filter by user instead');
  const rows = await admin.query(
    `SELECT ID AS id FROM information_schema.PROCESSLIST
     WHERE ID <> CONNECTION_ID() AND COMMAND NOT IN ('Daemon', 'Binlog Dump') AND USER <> 'system user'
       AND (? IS NULL OR USER = ?)`,
    [filter.user ?? null, filter.user ?? null],
  );
  let ended = 0;
  for (const row of rows) {
    try {
      await admin.query(`KILL CONNECTION ${Number(row.id)}`);
      ended += 1;
    } catch (error) {
      // ER_NO_SUCH_THREAD: it ended on its own meanwhile
      if ((error as { errno?: number }).errno !== 1094) throw error;
    }
  }
  return ended;
}

function quoteIdent(name: string): string {
  return name
    .split('.')
    .map((part) => `\`${part.replaceAll('`', '``')}\``)
    .join('.');
}

export const mysqlSandbox: SandboxEngine = {
  engine: 'mysql',
  start,
  startReplicaPair,
  connect: openSession,
  classifyError,
  faults: {
    terminateSessions,
    async lockTable(session, table) {
      // LOCK TABLES ... WRITE: every other session's read and write of the table waits
      await session.query(`LOCK TABLES ${quoteIdent(table)} WRITE`);
    },
    async unlockTable(session) {
      await session.query('UNLOCK TABLES');
    },
    async idleInTransaction(session, table) {
      await session.query('START TRANSACTION');
      await session.query(table === undefined ? 'SELECT 1' : `SELECT count(*) FROM ${quoteIdent(table)}`);
    },
    async holdSnapshot(session, table) {
      await session.query('START TRANSACTION WITH CONSISTENT SNAPSHOT');
      await session.query(`SELECT count(*) FROM ${quoteIdent(table)}`);
    },
    async endTransaction(session) {
      await session.query('ROLLBACK');
    },
    async loseIndex(session, table, index) {
      // MariaDB 10.6+; MySQL 8.0 writes INVISIBLE
      const word = /mariadb/i.test(String((await session.query('SELECT VERSION() AS v'))[0]?.v))
        ? 'IGNORED'
        : 'INVISIBLE';
      await session.query(`ALTER TABLE ${quoteIdent(table)} ALTER INDEX ${quoteIdent(index)} ${word}`);
    },
    async purgeBacklog(session) {
      const [row] = await session.query(HISTORY_LENGTH_SQL);
      return Number(row?.Value ?? 0);
    },
    async dropDatabase(admin, name) {
      await admin.query(`DROP DATABASE IF EXISTS ${quoteIdent(name)}`);
    },
    async dropLogin(admin, name) {
      await admin.query(`DROP USER IF EXISTS '${name.replaceAll("'", "''")}'@'%'`);
    },
    async remains(admin, owned) {
      const [row] = await admin.query(REMAINS_SQL, [
        owned.login,
        owned.database,
        owned.login,
        owned.database,
        owned.database,
        owned.login,
      ]);
      const left: string[] = [];
      if (Number(row?.sessions) > 0)
        left.push(`${row?.sessions} session(s) of ${owned.login} or on ${owned.database}`);
      if (Number(row?.transactions) > 0)
        left.push(`${row?.transactions} open transaction(s) of ${owned.login} or on ${owned.database}`);
      if (Number(row?.db) > 0) left.push(`database ${owned.database}`);
      if (Number(row?.login) > 0) left.push(`user ${owned.login}`);
      return left;
    },
  },
};

/** InnoDB undo history not yet purged ("History list length"), on MariaDB and MySQL 8 alike */
const HISTORY_LENGTH_SQL =
  "SELECT COUNT AS Value FROM information_schema.INNODB_METRICS WHERE NAME = 'trx_rseg_history_len'";

/** parameters: login, database, login, database, database, login; what of a drill's database and user is still there */
const REMAINS_SQL = `SELECT
  (SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE ID <> CONNECTION_ID() AND (USER = ? OR DB = ?)) AS sessions,
  (SELECT COUNT(*) FROM information_schema.INNODB_TRX t JOIN information_schema.PROCESSLIST p ON p.ID = t.trx_mysql_thread_id
     WHERE p.USER = ? OR p.DB = ?) AS transactions,
  (SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?) AS db,
  (SELECT COUNT(*) FROM mysql.user WHERE User = ?) AS login`;
