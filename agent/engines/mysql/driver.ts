import { ConnectionError, errorMessage, ProbeError } from '../../errors.js';
import type { Logger } from '../../log.js';
import type { ProbeName } from '../../snapshot/snapshot.js';
import type {
  ClosableActionConnection,
  EngineDriver,
  EngineSession,
  IndexVerifier,
  ProbeOutcome,
  SamplingLimits,
  TargetSpec,
} from '../engine.js';
import { ERROR_CODES, type ErrorCode } from '../error-codes.js';
import { MysqlConnection, type Row } from './connection.js';
import { newTargetState, num, type ProbeContext, type TargetState } from './context.js';
import { connectionOptions, DsnError, parseMysqlDsn } from './dsn.js';
import { classifyMysqlError } from './errors.js';
import { createMysqlVerifier } from './explain.js';
import { ACCOUNT_SQL, GrantMissing, lacking, OWN_GRANTS_SQL, ownGrants } from './privileges.js';
import { sampleAudit } from './probes/audit.js';
import { sampleCache } from './probes/cache.js';
import { sampleConnections } from './probes/connections.js';
import { samplePrivileges } from './probes/privileges.js';
import { sampleReplication } from './probes/replication.js';
import { sampleRunway } from './probes/runway.js';
import { sampleSettings } from './probes/settings.js';
import { sampleStatements } from './probes/statements.js';
import { sampleTables } from './probes/tables.js';
import {
  compareVersions,
  describeServer,
  detectFlavor,
  type Flavor,
  MINIMUM_VERSIONS,
  parseVersion,
  type ServerInfo,
} from './server.js';

// MySQL 8.0/8.4 and MariaDB 10.5+: one long-lived connection per target, opened at connect,
// never a pool (when the server is full, the agent must already be inside).

/** Read once per session: flavor, version, whether performance_schema runs (read-only variable). */
export const SERVER_INFO_SQL = `/* dbdiag:connect */ SELECT VERSION() AS dbdiag_version, @@version_comment AS version_comment,
  @@performance_schema AS performance_schema, @@performance_schema_max_sql_text_length AS max_sql_text_length`;

/**
 * The statement timeout of every agent query. MySQL's max_execution_time is in milliseconds and
 * applies to read-only SELECTs (all the agent runs); MariaDB's max_statement_time is in seconds.
 */
export const STATEMENT_TIMEOUT_SQL: Readonly<Record<Flavor, string>> = {
  mysql: 'SET SESSION max_execution_time = ?',
  mariadb: 'SET SESSION max_statement_time = ?',
};

/** The agent's own thread in performance_schema, to leave its statements out of the history tables. */
export const OWN_THREAD_SQL = `/* dbdiag:connect */ SELECT dbdiag_th.THREAD_ID AS thread_id
FROM performance_schema.threads AS dbdiag_th WHERE dbdiag_th.PROCESSLIST_ID = CONNECTION_ID()`;

/** The probes this engine runs, in order. No pooler: PgBouncer is PostgreSQL's. */
export const MYSQL_PROBES = [
  // first: the other probes skip what the account may not read (no error every cycle)
  'privileges',
  'settings',
  'connections',
  'statements',
  'tables',
  'cache',
  'replication',
  'runway',
  'audit',
] as const satisfies readonly ProbeName[];

type Probe = (ctx: ProbeContext) => Promise<ProbeOutcome>;

const PROBES = {
  settings: sampleSettings,
  connections: sampleConnections,
  statements: sampleStatements,
  tables: sampleTables,
  cache: sampleCache,
  privileges: samplePrivileges,
  replication: sampleReplication,
  runway: sampleRunway,
  audit: sampleAudit,
} satisfies Record<(typeof MYSQL_PROBES)[number], Probe>;

/** Caches and estimators per target name: they outlive a session, so a reconnect does not reset them. */
const targetStates = new Map<string, TargetState>();

function stateFor(target: string): TargetState {
  let state = targetStates.get(target);
  if (!state) {
    state = newTargetState();
    targetStates.set(target, state);
  }
  return state;
}

const NEXT_STEP: Partial<Record<ErrorCode, string>> = {
  [ERROR_CODES.authFailed]: 'check the user and password in the DSN',
  [ERROR_CODES.tooManyConnections]:
    'the server is at max_connections; the agent connects once and keeps its slot',
  [ERROR_CODES.unknownDatabase]: 'check the database name in the DSN',
  [ERROR_CODES.serverDown]: 'is the server running and reachable?',
  [ERROR_CODES.permissionDenied]:
    'grant PROCESS, REPLICATION CLIENT ON *.* and SELECT ON performance_schema.* (see README, MySQL/MariaDB account)',
};

/** ER_DBACCESS_DENIED_ERROR: the account may not use the database the DSN names. */
const ER_DBACCESS_DENIED = 1044;

/** What to do, told apart by errno where one code covers different causes. */
function nextStep(code: ErrorCode, error: unknown, target: TargetSpec): string | undefined {
  if ((error as { errno?: unknown } | null)?.errno === ER_DBACCESS_DENIED) {
    const dsn = parseMysqlDsn(target.dsn);
    const database = (dsn.database ?? '').replaceAll('`', '``');
    return (
      `the DSN names database "${dsn.database}", which ${dsn.user} may not use: GRANT SELECT ON \`${database}\`.* ` +
      `TO '${dsn.user}'@'<host>', or leave the database out of the DSN (the agent needs none)`
    );
  }
  return NEXT_STEP[code];
}

function connectionError(target: TargetSpec, error: unknown): ConnectionError {
  const code = error instanceof DsnError ? ERROR_CODES.badDsn : classifyMysqlError(error);
  const step = nextStep(code, error, target);
  return new ConnectionError(
    code,
    target.name,
    `target "${target.name}": ${errorMessage(error)}${step ? ` — ${step}` : ''}`,
    { cause: error },
  );
}

class MysqlSession implements EngineSession {
  readonly engine = 'mysql' as const;
  readonly probes = MYSQL_PROBES;

  constructor(
    private readonly target: TargetSpec,
    private readonly connection: MysqlConnection,
    private readonly context: Omit<ProbeContext, 'query'>,
    private readonly log: Logger,
  ) {}

  get serverVersion(): string {
    return this.context.server.version;
  }

  get server(): ServerInfo {
    return this.context.server;
  }

  /** Raw query on the agent's connection, for engine-side helpers (EXPLAIN). Errors as ProbeError. */
  query<T extends Row = Row>(probe: string, sql: string, params: readonly unknown[] = []): Promise<T[]> {
    return this.connection.query<T>(sql, params).catch((error: unknown) => {
      const code = classifyMysqlError(error);
      const step = NEXT_STEP[code];
      throw new ProbeError(
        code,
        probe,
        this.target.name,
        `target "${this.target.name}": probe ${probe} failed: ${errorMessage(error)}${step ? ` — ${step}` : ''}`,
        { cause: error },
      );
    });
  }

  private verifier: IndexVerifier | null = null;

  /** EXPLAIN and catalog facts for index advice, on this same connection (agent/engines/mysql/explain.ts). */
  indexVerifier(): IndexVerifier {
    this.verifier ??= createMysqlVerifier(
      (sql, params) => this.query('explain', sql, params),
      () => this.context.state.grants,
    );
    return this.verifier;
  }

  async sample(probe: ProbeName): Promise<ProbeOutcome> {
    if (probe === 'pooler')
      return { status: 'unsupported', reason: 'no connection pooler is sampled for MySQL/MariaDB targets' };
    const run = PROBES[probe];
    const ctx: ProbeContext = {
      ...this.context,
      query: <T extends Row = Row>(sql: string, params?: readonly unknown[]) =>
        this.query<T>(probe, sql, params),
    };
    const started = performance.now();
    const outcome = await run(ctx).catch((error: unknown) => {
      if (!(error instanceof GrantMissing)) throw error;
      throw new ProbeError(
        ERROR_CODES.permissionDenied,
        probe,
        this.target.name,
        `target "${this.target.name}": probe ${probe}: ${error.message}`,
      );
    });
    this.log.debug({ probe, ms: Math.round(performance.now() - started) }, 'probe sampled');
    return outcome;
  }

  close(): Promise<void> {
    return this.connection.close();
  }
}

async function readServerInfo(
  connection: MysqlConnection,
): Promise<{ server: ServerInfo; maxSqlTextLength: number }> {
  const [row] = await connection.query(SERVER_INFO_SQL);
  const version = String(row?.dbdiag_version ?? '');
  const flavor = detectFlavor(version, String(row?.version_comment ?? ''));
  return {
    server: {
      flavor,
      version,
      versionNumber: parseVersion(version),
      performanceSchema: num(row?.performance_schema) === 1,
    },
    maxSqlTextLength: num(row?.max_sql_text_length),
  };
}

export async function connectMysql(
  target: TargetSpec,
  limits: SamplingLimits,
  log: Logger,
): Promise<MysqlSession> {
  let connection: MysqlConnection;
  try {
    const dsn = parseMysqlDsn(target.dsn);
    connection = await MysqlConnection.open(
      connectionOptions(dsn, Math.max(limits.statementTimeoutMs, 5000)),
      limits.statementTimeoutMs,
    );
  } catch (error) {
    throw connectionError(target, error);
  }
  try {
    const { server, maxSqlTextLength } = await readServerInfo(connection);
    const timeout = server.flavor === 'mysql' ? limits.statementTimeoutMs : limits.statementTimeoutMs / 1000;
    await connection.query(STATEMENT_TIMEOUT_SQL[server.flavor], [timeout]);
    // the account's grants first: nothing below reads what it may not read
    const state = stateFor(target.name);
    const [account] = await connection.query(ACCOUNT_SQL);
    state.grants = ownGrants(
      String(account?.dbdiag_account ?? "''@''"),
      await connection.query(OWN_GRANTS_SQL),
    );
    let ownThreadId: number | null = null;
    if (server.performanceSchema && lacking(state.grants, 'SELECT', 'performance_schema') === null) {
      const [own] = await connection.query(OWN_THREAD_SQL).catch(() => []);
      ownThreadId = own ? num(own.thread_id) : null;
    }
    if (compareVersions(server.versionNumber, parseVersion(MINIMUM_VERSIONS[server.flavor])) < 0)
      log.warn(
        { version: server.version },
        `${describeServer(server)} is older than dbdiag supports; probes will say unsupported`,
      );
    const probeLog = log.child({ engine: 'mysql', flavor: server.flavor });
    return new MysqlSession(
      target,
      connection,
      { server, limits, ownThreadId, maxSqlTextLength, state, now: Date.now },
      probeLog,
    );
  } catch (error) {
    await connection.close().catch(() => undefined);
    throw connectionError(target, error);
  }
}

/** Fix actions (apply, revert) run here, on a connection of their own that ends with them. */
async function openActionConnection(
  target: TargetSpec,
  options: { statementTimeoutMs: number },
): Promise<ClosableActionConnection> {
  const connection = await MysqlConnection.open(
    connectionOptions(parseMysqlDsn(target.dsn), 10_000),
    options.statementTimeoutMs,
  );
  return { query: (sql: string) => connection.query(sql), close: () => connection.close() };
}

export const mysqlDriver = {
  engine: 'mysql',
  connect: connectMysql,
  openActionConnection,
} satisfies EngineDriver;

export type { MysqlSession };
