import pg from 'pg';
import { ConnectionError } from '../../errors.js';
import type { Logger } from '../../log.js';
import type {
  ClosableActionConnection,
  EngineDriver,
  EngineSession,
  SamplingLimits,
  TargetSpec,
} from '../engine.js';
import { parsePostgresDsn } from './dsn.js';
import { AUTH_REQUEST_EVENTS, type AuthRequest, connectFailure } from './errors.js';
import { HELPER_FACTS_SQL, type HelperFactsRow, helperFacts } from './helper.js';
import { describe, PostgresSession, type ServerFacts, withTrailingMarker } from './session.js';

// One long-lived pg.Client per target (not a Pool): opened once, so when the server is at
// max_connections the agent already holds its slot. Every query runs under statement_timeout
// and lock_timeout, SET for the whole session right after connecting (not as startup
// parameters: then pg_settings.reset_val still shows the server's own values, which the
// settings probe reports), and the session is named application_name = 'dbdiag'.

export const APPLICATION_NAME = 'dbdiag';
/** The agent waits on no lock for long: catalog reads should never queue behind DDL. */
const LOCK_TIMEOUT_MS = 1000;
/** The client gives up on an unanswered query this long after the server should have cut it. */
const CLIENT_GRACE_MS = 1000;

export const SERVER_FACTS_SQL = `/* dbdiag:connect */ SELECT
  set_config('statement_timeout', $1::text, false) AS statement_timeout,
  set_config('lock_timeout', $2::text, false) AS lock_timeout,
  current_setting('server_version_num')::int AS version_num,
  split_part(current_setting('server_version'), ' ', 1) AS version,
  current_database() AS database,
  current_user AS "user",
  pg_has_role('pg_read_all_stats', 'MEMBER') AS reads_all_stats`;

interface FactsRow {
  version_num: number;
  version: string;
  database: string;
  user: string;
  reads_all_stats: boolean;
}

/** The DSN without parameters that would override the agent's own session settings. */
function sessionDsn(dsn: string): string {
  const url = new URL(dsn);
  url.searchParams.delete('application_name');
  url.searchParams.delete('options');
  return url.toString();
}

async function connect(target: TargetSpec, limits: SamplingLimits, log: Logger): Promise<EngineSession> {
  const where = parsePostgresDsn(target.name, target.dsn);
  const client = new pg.Client({
    connectionString: sessionDsn(target.dsn),
    application_name: APPLICATION_NAME,
    query_timeout: limits.statementTimeoutMs + CLIENT_GRACE_MS,
    connectionTimeoutMillis: Math.max(5000, limits.statementTimeoutMs),
    keepAlive: true,
  });
  // Errors between connect() and the session taking over must not crash the process.
  const early = (): void => {};
  client.on('error', early);
  // What the server asked for, so a missing password is named as such (see connectFailure).
  let authRequested: AuthRequest | null = null;
  for (const [event, method] of Object.entries(AUTH_REQUEST_EVENTS))
    client.connection.once(event, () => {
      authRequested = method;
    });
  let facts: ServerFacts;
  try {
    await client.connect();
    const result = await client.query<FactsRow>(withTrailingMarker(SERVER_FACTS_SQL), [
      limits.statementTimeoutMs,
      Math.min(LOCK_TIMEOUT_MS, limits.statementTimeoutMs),
    ]);
    const row = result.rows[0];
    if (row === undefined) throw new Error('the server returned no row for its version');
    const helper = await client.query<HelperFactsRow>(withTrailingMarker(HELPER_FACTS_SQL));
    facts = {
      helper: helperFacts(helper.rows[0]),
      versionNum: row.version_num,
      version: row.version,
      database: row.database,
      user: row.user,
      readsAllStats: row.reads_all_stats,
    };
  } catch (error) {
    await client.end().catch(() => undefined);
    const failure = connectFailure(
      error,
      {
        authRequested,
        passwordGiven: typeof client.password === 'string' && client.password !== '',
        database: where.database,
        user: where.user,
      },
      describe(error),
    );
    throw new ConnectionError(
      failure.code,
      target.name,
      `target "${target.name}": cannot connect to ${where.host}:${where.port}/${where.database} as ${where.user}: ` +
        `${failure.reason}${failure.next ? ` — ${failure.next}` : ''}`,
      { cause: error },
    );
  }
  client.off('error', early);
  const sessionLog = log.child({ engine: 'postgres' });
  if (!facts.readsAllStats) {
    sessionLog.warn(
      `target "${target.name}": role "${facts.user}" is not a member of pg_read_all_stats: sessions and statements ` +
        `of other roles show without state or text — GRANT pg_monitor TO "${facts.user}"`,
    );
  }
  return new PostgresSession(client, target, limits, facts, sessionLog);
}

/** Fix actions (apply, revert) run here, on a connection of their own that ends with them. */
async function openActionConnection(
  target: TargetSpec,
  options: { statementTimeoutMs: number },
): Promise<ClosableActionConnection> {
  const client = new pg.Client({
    connectionString: sessionDsn(target.dsn),
    application_name: `${APPLICATION_NAME}-apply`,
    statement_timeout: options.statementTimeoutMs,
    connectionTimeoutMillis: 10_000,
  });
  client.on('error', () => undefined);
  await client.connect();
  return {
    query: (sql: string) => client.query(sql),
    close: () => client.end().catch(() => undefined),
  };
}

export const postgresDriver = {
  engine: 'postgres',
  connect,
  openActionConnection,
} satisfies EngineDriver;
