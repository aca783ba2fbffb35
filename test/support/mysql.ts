import { existsSync } from 'node:fs';
import mysql from 'mysql2/promise';
import { mysqlSandbox } from '../../agent/engines/mysql/sandbox-server.js';
import type { Settings } from '../../agent/sandbox/server.js';

// A MySQL-family server for a test, found in this order (DESIGN.md, Tests):
//   1. a URL in the environment (DBDIAG_TEST_MYSQL_URL), used as it is;
//   2. MySQL 8 through testcontainers, when a Docker engine answers;
//   3. MariaDB from the installed binaries, through the sandbox module (agent/sandbox/), in a
//      dbdiag-test-* directory on a free port with the settings the test asks for
//      (performance_schema, small max_connections, small buffer pool, slow log).
// Servers the harness owns can be stopped, killed and started again (restart tests).

export const MYSQL_TEST_URL_ENV = 'DBDIAG_TEST_MYSQL_URL';

export interface MysqlServerOptions {
  performanceSchema?: boolean;
  /** events_statements_current + history_long consumers (MariaDB statement samples) */
  statementHistory?: boolean;
  maxConnections?: number;
  bufferPoolBytes?: number;
  /** slow log on, long_query_time 0, file in the server's directory */
  slowLog?: boolean;
  extraArgs?: readonly string[];
}

export interface TestMysqlServer {
  /** 'mariadb (local binaries)', 'mysql:8 (testcontainers)', 'env' */
  readonly label: string;
  readonly flavor: 'mysql' | 'mariadb';
  /** root (administrative) DSN */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  /** the slow log file, when asked for and the harness owns the server */
  readonly slowLogPath: string | null;
  /** DSN of another account on the same server */
  urlFor(user: string, password: string, database?: string): string;
  /** runs statements as root on a short-lived connection */
  exec(sql: string, params?: readonly unknown[]): Promise<mysql.RowDataPacket[]>;
  /** whether stop/kill/start work (false for a server from the environment) */
  readonly controllable: boolean;
  stop(): Promise<void>;
  kill(): Promise<void>;
  start(): Promise<void>;
  /** stops and removes everything the harness created */
  destroy(): Promise<void>;
}

export interface MysqlServerKind {
  label: string;
  flavor: 'mysql' | 'mariadb';
  start(options?: MysqlServerOptions): Promise<TestMysqlServer>;
}

function dsn(host: string, port: number, user: string, password: string, database = ''): string {
  const auth =
    password === ''
      ? encodeURIComponent(user)
      : `${encodeURIComponent(user)}:${encodeURIComponent(password)}`;
  return `mysql://${auth}@${host}:${port}/${database}`;
}

async function execOn(
  url: string,
  sql: string,
  params: readonly unknown[] = [],
): Promise<mysql.RowDataPacket[]> {
  const connection = await mysql.createConnection({ uri: url, multipleStatements: true });
  try {
    const [rows] = await connection.query(sql, [...params]);
    return Array.isArray(rows) ? (rows as mysql.RowDataPacket[]) : [];
  } finally {
    await connection.end();
  }
}

/** --name=value flags as sandbox settings (later ones win, as on mariadbd's command line). */
function flagsAsSettings(args: readonly string[]): Settings {
  const settings: Settings = {};
  for (const arg of args) {
    const match = /^--([^=]+)(?:=(.*))?$/.exec(arg);
    if (!match?.[1]) throw new Error(`extraArgs: expected --name=value, got ${arg}`);
    settings[match[1]] = match[2] ?? 'ON';
  }
  return settings;
}

/** MariaDB from the installed binaries, through the sandbox module (agent/engines/mysql/sandbox-server.ts). */
export async function startLocalMariadb(options: MysqlServerOptions = {}): Promise<TestMysqlServer> {
  const history = options.statementHistory ?? true;
  const server = await mysqlSandbox.start({
    purpose: 'test',
    statementStats: options.performanceSchema ?? true,
    maxConnections: options.maxConnections ?? 50,
    cacheBytes: options.bufferPoolBytes ?? 16 * 1024 * 1024,
    slowLog: options.slowLog ?? false,
    settings: {
      ...(history
        ? {}
        : {
            'performance-schema-consumer-events-statements-current': 'OFF',
            'performance-schema-consumer-events-statements-history-long': 'OFF',
          }),
      ...flagsAsSettings(options.extraArgs ?? []),
    },
  });
  const url = server.dsn();
  return {
    label: 'mariadb (local binaries)',
    flavor: 'mariadb',
    url,
    host: server.host,
    port: server.port,
    slowLogPath: server.slowLogPath,
    controllable: true,
    urlFor: (name, password, database) => dsn(server.host, server.port, name, password, database),
    exec: (sql, params) => execOn(url, sql, params),
    start: () => server.startServer(),
    stop: () => server.stopServer(),
    kill: () => server.killServer(),
    destroy: () => server.destroy(),
  };
}

/** A server given by URL: used as it is; the tests that need to restart it are not offered it. */
export function serverFromEnvironment(url: string): TestMysqlServer {
  const parsed = new URL(url);
  const host = parsed.hostname;
  const port = parsed.port === '' ? 3306 : Number(parsed.port);
  const refuse = async (): Promise<void> => {
    throw new Error(`${MYSQL_TEST_URL_ENV} names a server the harness does not control`);
  };
  return {
    label: `env ${host}:${port}`,
    flavor: 'mariadb',
    url,
    host,
    port,
    slowLogPath: null,
    controllable: false,
    urlFor: (name, password, database) => dsn(host, port, name, password, database),
    exec: (sql, params) => execOn(url, sql, params),
    start: refuse,
    stop: refuse,
    kill: refuse,
    destroy: async () => undefined,
  };
}

/**
 * Whether a Docker engine answers, cheaply: no socket and no DOCKER_HOST means no (no
 * testcontainers start-up cost, no network); otherwise testcontainers is asked.
 */
export async function dockerAnswers(): Promise<boolean> {
  if (process.env.DOCKER_HOST === undefined && !existsSync('/var/run/docker.sock')) return false;
  try {
    const { getContainerRuntimeClient } = await import('testcontainers');
    await getContainerRuntimeClient();
    return true;
  } catch {
    return false;
  }
}

/** MySQL 8 through testcontainers, with the same options passed as server flags. */
export async function startMysql8Container(options: MysqlServerOptions = {}): Promise<TestMysqlServer> {
  const { GenericContainer, Wait } = await import('testcontainers');
  const history = options.statementHistory ?? true;
  const flags = [
    `--performance-schema=${(options.performanceSchema ?? true) ? 'ON' : 'OFF'}`,
    `--performance-schema-consumer-events-statements-history-long=${history ? 'ON' : 'OFF'}`,
    `--max-connections=${options.maxConnections ?? 50}`,
    `--innodb-buffer-pool-size=${Math.max(options.bufferPoolBytes ?? 16 * 1024 * 1024, 5 * 1024 * 1024)}`,
    '--skip-log-bin',
    ...(options.slowLog ? ['--slow-query-log=ON', '--long-query-time=0'] : []),
    ...(options.extraArgs ?? []),
  ];
  const container = await new GenericContainer('mysql:8')
    .withEnvironment({ MYSQL_ALLOW_EMPTY_PASSWORD: 'yes', MYSQL_ROOT_HOST: '%' })
    .withCommand(flags)
    .withExposedPorts(3306)
    .withWaitStrategy(Wait.forLogMessage(/port: 3306 {2}MySQL Community Server/))
    .start();
  const host = container.getHost();
  let port = container.getMappedPort(3306);
  const server: TestMysqlServer = {
    label: 'mysql:8 (testcontainers)',
    flavor: 'mysql',
    get url() {
      return dsn(host, port, 'root', '');
    },
    host,
    get port() {
      return port;
    },
    slowLogPath: null,
    controllable: true,
    urlFor: (name, password, database) => dsn(host, port, name, password, database),
    exec: (sql, params) => execOn(dsn(host, port, 'root', ''), sql, params),
    stop: async () => {
      await container.stop({ remove: false });
    },
    kill: async () => {
      await container.stop({ remove: false, timeout: 0 });
    },
    start: async () => {
      await container.restart();
      port = container.getMappedPort(3306);
    },
    destroy: async () => {
      await container.stop();
    },
  };
  return server;
}

/**
 * The servers the integration suites run on: the environment's server or the local MariaDB
 * (always one of the two), plus MySQL 8 when a Docker engine answers.
 */
export async function availableMysqlServers(): Promise<MysqlServerKind[]> {
  const kinds: MysqlServerKind[] = [];
  const fromEnv = process.env[MYSQL_TEST_URL_ENV];
  if (fromEnv)
    kinds.push({ label: 'env', flavor: 'mariadb', start: async () => serverFromEnvironment(fromEnv) });
  else kinds.push({ label: 'mariadb (local binaries)', flavor: 'mariadb', start: startLocalMariadb });
  if (await dockerAnswers())
    kinds.push({ label: 'mysql:8 (testcontainers)', flavor: 'mysql', start: startMysql8Container });
  return kinds;
}

/**
 * Servers whose settings and life the harness controls (max_connections, performance_schema,
 * restarts): the local MariaDB always, MySQL 8 when a Docker engine answers.
 */
export async function controllableMysqlServers(): Promise<MysqlServerKind[]> {
  const kinds: MysqlServerKind[] = [
    { label: 'mariadb (local binaries)', flavor: 'mariadb', start: startLocalMariadb },
  ];
  if (await dockerAnswers())
    kinds.push({ label: 'mysql:8 (testcontainers)', flavor: 'mysql', start: startMysql8Container });
  return kinds;
}

/** Creates the least-privilege monitoring account of README (PROCESS, REPLICATION CLIENT, MariaDB's SLAVE MONITOR, SELECT on performance_schema). */
export async function createMonitorUser(
  server: TestMysqlServer,
  name = 'dbdiag',
  password = 'dbdiag-pw',
): Promise<string> {
  await server.exec(
    `DROP USER IF EXISTS '${name}'@'%'; CREATE USER '${name}'@'%' IDENTIFIED BY '${password}';
     GRANT PROCESS, REPLICATION CLIENT ON *.* TO '${name}'@'%';
     /*M!100509 GRANT SLAVE MONITOR ON *.* TO '${name}'@'%' */;
     GRANT SELECT ON performance_schema.* TO '${name}'@'%';`,
  );
  return server.urlFor(name, password);
}
