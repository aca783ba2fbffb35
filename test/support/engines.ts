import { startSandboxServer } from '../../agent/sandbox/engines.js';
import type { SandboxServer, SandboxServerOptions } from '../../agent/sandbox/server.js';
import type { EngineName } from '../../agent/snapshot/signals.js';

// Per-engine fixtures for the integration suites written once and run on every engine
// (`describe.each(ENGINE_FIXTURES)`, as kysely runs one suite per dialect). What differs per
// engine in a test — its SQL dialect, its catalog views, its error numbers — is here, once;
// the servers come from the sandbox module (agent/sandbox/).

export interface EngineFixture {
  readonly engine: EngineName;
  /** for test titles */
  readonly label: string;
  startSandbox(options: SandboxServerOptions): Promise<SandboxServer>;
  /** a table's name as statements write it (PostgreSQL public.<name>, MySQL sandbox.<name>) */
  table(name: string): string;
  /** creates the table (id, note) with `rows` rows */
  createTable(server: SandboxServer, name: string, rows: number): Promise<void>;
  /** a server setting's value as text (max_connections, ...) */
  setting(server: SandboxServer, name: string): Promise<string>;
  /** tries to connect as the administrator with an empty password (must be refused when one is set) */
  connectWithoutPassword(server: SandboxServer): Promise<void>;
  /** client sessions of `user` */
  sessionCount(server: SandboxServer, user: string): Promise<number>;
  /** sessions idle inside an open transaction */
  idleInTransactionCount(server: SandboxServer): Promise<number>;
  /** sessions waiting for a table lock */
  lockWaitCount(server: SandboxServer): Promise<number>;
  sql: {
    /** an ordinary login that may read the fixture tables */
    createUser(name: string, password: string): string;
  };
  /** creates the agent's least-privilege login (README: pg_monitor / PROCESS + performance_schema), returns its DSN */
  createMonitor(server: SandboxServer): Promise<string>;
  /** how the server counts slots, with max_connections = max and reservedConnections = reserved asked for */
  slots(
    max: number,
    reserved: number,
  ): {
    /** what an ordinary login can take at most (administrators and the agent's own slot included) */
    ordinary: number;
    /** max and reserved as the agent reports them */
    reportedMax: number;
    reportedReserved: number;
  };
  /** the agent's down reason when its connection is refused by a full server */
  fullServerReason: RegExp;
  until(check: () => Promise<boolean>, what: string, timeoutMs?: number): Promise<void>;
}

async function until(check: () => Promise<boolean>, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function count(server: SandboxServer, sql: string, params: unknown[] = []): Promise<number> {
  const rows = await server.query(sql, params);
  return Number(rows[0]?.n ?? 0);
}

const SETTING_NAME = /^[a-z_.]+$/;

export const postgresFixture = (version: 15 | 18): EngineFixture => ({
  engine: 'postgres',
  label: `PostgreSQL ${version}`,
  startSandbox: (options) => startSandboxServer('postgres', { purpose: 'test', version, ...options }),
  table: (name) => `public.${name}`,
  async createTable(server, name, rows) {
    await server.query(
      `CREATE TABLE public.${name} (id int PRIMARY KEY, note text);
       INSERT INTO public.${name} SELECT g, 'n' || g FROM generate_series(1, ${rows}) g`,
    );
  },
  async setting(server, name) {
    return String((await server.query('SELECT current_setting($1) AS v', [name]))[0]?.v);
  },
  async connectWithoutPassword(server) {
    const session = await server.connect({ password: '' });
    await session.close();
  },
  sessionCount: (server, user) =>
    count(server, 'SELECT count(*) AS n FROM pg_stat_activity WHERE usename = $1', [user]),
  idleInTransactionCount: (server) =>
    count(server, "SELECT count(*) AS n FROM pg_stat_activity WHERE state = 'idle in transaction'"),
  lockWaitCount: (server) =>
    count(server, "SELECT count(*) AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock'"),
  sql: {
    createUser: (name, password) =>
      `CREATE ROLE ${name} LOGIN PASSWORD '${password}'; GRANT SELECT ON ALL TABLES IN SCHEMA public TO ${name}`,
  },
  async createMonitor(server) {
    await server.query("CREATE ROLE agent LOGIN PASSWORD 'agent-pw' IN ROLE pg_monitor");
    return server.dsn({ user: 'agent', password: 'agent-pw' });
  },
  // superuser_reserved_connections (and, 16+, reserved_connections, 0 here) are never an ordinary login's
  slots: (max, reserved) => ({ ordinary: max - reserved, reportedMax: max, reportedReserved: reserved }),
  fullServerReason: /cannot connect.*slot is taken/,
  until,
});

export const mariadbFixture: EngineFixture = {
  engine: 'mysql',
  label: 'MariaDB',
  startSandbox: (options) => startSandboxServer('mysql', { purpose: 'test', ...options }),
  table: (name) => `sandbox.${name}`,
  async createTable(server, name, rows) {
    await server.query(
      `CREATE DATABASE IF NOT EXISTS sandbox;
       CREATE TABLE sandbox.${name} (id INT PRIMARY KEY, note VARCHAR(40));
       INSERT INTO sandbox.${name} SELECT seq, CONCAT('n', seq) FROM sandbox.seq_1_to_${rows}`,
    );
  },
  async setting(server, name) {
    if (!SETTING_NAME.test(name)) throw new Error(`not a setting name: ${name}`);
    return String((await server.query(`SELECT @@GLOBAL.${name} AS v`))[0]?.v);
  },
  async connectWithoutPassword(server) {
    const session = await server.connect({ password: '' });
    await session.close();
  },
  sessionCount: (server, user) =>
    count(server, 'SELECT count(*) AS n FROM information_schema.PROCESSLIST WHERE USER = ?', [user]),
  idleInTransactionCount: (server) =>
    count(
      server,
      `SELECT count(*) AS n FROM information_schema.INNODB_TRX t
       JOIN information_schema.PROCESSLIST p ON p.ID = t.trx_mysql_thread_id WHERE p.COMMAND = 'Sleep'`,
    ),
  lockWaitCount: (server) =>
    count(
      server,
      "SELECT count(*) AS n FROM information_schema.PROCESSLIST WHERE STATE LIKE 'Waiting for table%lock'",
    ),
  sql: {
    createUser: (name, password) =>
      `CREATE USER '${name}'@'%' IDENTIFIED BY '${password}'; GRANT SELECT ON sandbox.* TO '${name}'@'%'`,
  },
  async createMonitor(server) {
    await server.query(
      `CREATE USER 'dbdiag'@'%' IDENTIFIED BY 'dbdiag-pw';
       GRANT PROCESS, REPLICATION CLIENT ON *.* TO 'dbdiag'@'%';
       GRANT SELECT ON performance_schema.* TO 'dbdiag'@'%'`,
    );
    return server.dsn({ user: 'dbdiag', password: 'dbdiag-pw' });
  },
  // max_connections are all ordinary; the server keeps ONE more for an administrator (SUPER /
  // CONNECTION_ADMIN), which dbdiag reports as max + 1 with 1 reserved
  slots: (max) => ({ ordinary: max, reportedMax: max + 1, reportedReserved: 1 }),
  fullServerReason: /too many connections/i,
  until,
};

/** One server of every engine: for suites about what the sandbox or dbdiag does per engine. */
export const ENGINE_FIXTURES: readonly EngineFixture[] = [postgresFixture(18), mariadbFixture];

/** Every server version the contract suites cover: PostgreSQL 15 (installed) and 18 (embedded), MariaDB. */
export const SERVER_FIXTURES: readonly EngineFixture[] = [
  postgresFixture(15),
  postgresFixture(18),
  mariadbFixture,
];
