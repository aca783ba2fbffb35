import type pg from 'pg';
import { AgentError, ProbeError } from '../../errors.js';
import type { Logger } from '../../log.js';
import type { ProbeName } from '../../snapshot/snapshot.js';
import type {
  EngineSession,
  IndexVerifier,
  IndexVerifierOptions,
  ProbeOutcome,
  SamplingLimits,
  TargetSpec,
} from '../engine.js';
import { ERROR_CODES } from '../error-codes.js';
import { classifyPostgresError, sqlState } from './errors.js';
import type { HelperFacts } from './helper.js';
import {
  type PgProbe,
  type PgProbeContext,
  type PgProbeFactory,
  PgQueryError,
  unsupported,
} from './probe.js';
import { createAuditProbe } from './probes/audit.js';
import { createCacheProbe } from './probes/cache.js';
import { createConnectionsProbe } from './probes/connections.js';
import { createPoolerProbe } from './probes/pooler.js';
import { createPrivilegesProbe } from './probes/privileges.js';
import { createReplicationProbe } from './probes/replication.js';
import { createRunwayProbe } from './probes/runway.js';
import { createSettingsProbe } from './probes/settings.js';
import { createStatementsProbe, TRAILING_MARKER } from './probes/statements.js';
import { createTablesProbe } from './probes/tables.js';
import { createPostgresVerifier } from './what-if.js';

/** Every probe PostgreSQL implements; the compiler checks none is missing. */
export const POSTGRES_PROBES = {
  connections: createConnectionsProbe,
  pooler: createPoolerProbe,
  statements: createStatementsProbe,
  cache: createCacheProbe,
  tables: createTablesProbe,
  settings: createSettingsProbe,
  privileges: createPrivilegesProbe,
  replication: createReplicationProbe,
  runway: createRunwayProbe,
  audit: createAuditProbe,
} satisfies Record<ProbeName, PgProbeFactory>;

/** The order probes run in a cycle: the cheap, urgent ones first. */
export const POSTGRES_PROBE_ORDER: readonly ProbeName[] = [
  'connections',
  'replication',
  'pooler',
  'statements',
  'cache',
  'tables',
  'settings',
  'privileges',
  'runway',
  'audit',
];

export interface ServerFacts {
  versionNum: number;
  /** "15.20" */
  version: string;
  database: string;
  user: string;
  readsAllStats: boolean;
  /** the dbdiag helper (grants.ts) and whether the role needs it */
  helper: HelperFacts;
}

/** One connected PostgreSQL target: the one long-lived client and the probes' state. */
export class PostgresSession implements EngineSession {
  readonly engine = 'postgres' as const;
  readonly probes = POSTGRES_PROBE_ORDER;
  readonly serverVersion: string;
  private readonly impls: Record<ProbeName, PgProbe>;
  private lost: { code: string; message: string } | null = null;
  private closed = false;

  constructor(
    private readonly client: pg.Client,
    private readonly target: TargetSpec,
    private readonly limits: SamplingLimits,
    private readonly facts: ServerFacts,
    private readonly log: Logger,
  ) {
    this.serverVersion = facts.version;
    this.impls = {
      connections: POSTGRES_PROBES.connections(),
      pooler: POSTGRES_PROBES.pooler(),
      statements: POSTGRES_PROBES.statements(),
      cache: POSTGRES_PROBES.cache(),
      tables: POSTGRES_PROBES.tables(),
      settings: POSTGRES_PROBES.settings(),
      privileges: POSTGRES_PROBES.privileges(),
      replication: POSTGRES_PROBES.replication(),
      runway: POSTGRES_PROBES.runway(),
      audit: POSTGRES_PROBES.audit(),
    };
    // Without a listener, a backend terminated while idle would crash the process.
    client.on('error', (error) => this.markLost(error));
    client.on('end', () => this.markLost(null));
  }

  /** Once lost, every later sample says so at once (the runtime re-opens the session). */
  private markLost(error: unknown): void {
    if (this.lost !== null || this.closed) return;
    const detail = error === null ? 'the server closed the connection' : describe(error);
    this.lost = {
      code: ERROR_CODES.connectionLost,
      message: `target "${this.target.name}": connection lost: ${detail}`,
    };
    this.log.debug({ err: error }, 'session lost');
    // A socket that only stopped answering must not linger.
    void this.client.end().catch(() => undefined);
  }

  private async query<R extends object>(
    sql: string,
    params?: unknown[],
    options: { timeoutMs?: number } = {},
  ): Promise<R[]> {
    try {
      const text = withTrailingMarker(sql);
      if (options.timeoutMs === undefined) return (await this.client.query<R>(text, params)).rows;
      // pg reads query_timeout per query too (its types only list it on the client config)
      const config: pg.QueryConfig & { query_timeout: number } = {
        text,
        values: params,
        query_timeout: options.timeoutMs,
      };
      return (await this.client.query<R>(config)).rows;
    } catch (error) {
      const code = this.lost ? ERROR_CODES.connectionLost : classifyPostgresError(error, 'sample');
      if (code === ERROR_CODES.connectionLost) this.markLost(error);
      throw new PgQueryError(code, sqlState(error), describe(error), { cause: error });
    }
  }

  private context(probe: ProbeName): PgProbeContext {
    return {
      target: this.target,
      versionNum: this.facts.versionNum,
      database: this.facts.database,
      user: this.facts.user,
      readsAllStats: this.facts.readsAllStats,
      limits: this.limits,
      log: this.log.child({ probe }),
      helperFacts: (helper) => this.updateHelper(helper),
      query: (sql, params) => this.query(sql, params),
    };
  }

  private readonly verifiers = new Map<boolean, IndexVerifier>();

  /** A helper installed (or removed) while the agent runs is used from the next verification on. */
  private updateHelper(helper: HelperFacts): void {
    const before = this.facts.helper;
    if (
      before.readsAllData === helper.readsAllData &&
      before.columnStats === helper.columnStats &&
      before.explain === helper.explain
    )
      return;
    this.facts.helper = helper;
    this.verifiers.clear();
  }

  /** EXPLAIN / HypoPG / catalog facts for index advice, on this same connection (agent/engines/postgres/what-if.ts). */
  indexVerifier(options: IndexVerifierOptions = {}): IndexVerifier {
    const sandboxProof = options.sandboxProof === true;
    let verifier = this.verifiers.get(sandboxProof);
    if (!verifier) {
      verifier = createPostgresVerifier(
        (sql, params, queryOptions) => this.query(sql, params, queryOptions),
        this.facts.versionNum,
        this.facts.database,
        { sandboxProof, helper: this.facts.helper, log: this.log.child({ component: 'what-if' }) },
      );
      this.verifiers.set(sandboxProof, verifier);
    }
    return verifier;
  }

  async sample(probe: ProbeName): Promise<ProbeOutcome> {
    const fail = (code: string, message: string, cause?: unknown): ProbeError =>
      new ProbeError(code, probe, this.target.name, message, { cause });
    if (this.lost) throw fail(this.lost.code, this.lost.message);
    if (this.closed) throw fail(ERROR_CODES.connectionLost, `target "${this.target.name}": session closed`);
    try {
      return await this.impls[probe].run(this.context(probe));
    } catch (error) {
      if (error instanceof AgentError) throw error;
      if (error instanceof PgQueryError) {
        // What the role may not read is a fact about the grant, not an error each cycle.
        if (error.code === ERROR_CODES.permissionDenied) {
          return unsupported(
            `role "${this.facts.user}" may not read what the ${probe} probe needs (${error.message}): ` +
              `GRANT pg_monitor TO "${this.facts.user}"`,
          );
        }
        throw fail(error.code, `target "${this.target.name}": probe ${probe}: ${error.message}`, error.cause);
      }
      // Anything else is a bug in the probe, not a database condition.
      throw fail(
        ERROR_CODES.queryFailed,
        `target "${this.target.name}": probe ${probe}: ${describe(error)}`,
        error,
      );
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all(Object.values(this.impls).map((p) => p.close?.().catch(() => undefined)));
    // end() waits for the server's goodbye; a dead socket must not hold up shutdown.
    await Promise.race([
      this.client.end().catch(() => undefined),
      new Promise((r) => setTimeout(r, 1000).unref()),
    ]);
  }
}

/**
 * PostgreSQL 18's pg_stat_statements stores a statement's text from its first token: the
 * leading marker comment is gone, a trailing comment stays. Every agent query therefore also
 * ends with its marker repeated (or TRAILING_MARKER when it has none), so the statements probe
 * can leave the agent's own queries out on every version and its cost stays attributable per
 * probe (pg_stat_activity still shows the leading marker).
 */
export function withTrailingMarker(sql: string): string {
  const leading = LEADING_MARKER.exec(sql)?.[0];
  return `${sql}\n${leading ?? TRAILING_MARKER}`;
}

const LEADING_MARKER = /^\/\* dbdiag:[a-z-]+ \*\//;

/** One line: the server's message with its SQLSTATE, or the socket error. */
export function describe(error: unknown): string {
  if (error instanceof AggregateError && error.errors.length > 0) return describe(error.errors[0]);
  const message = error instanceof Error ? error.message : String(error);
  const state = sqlState(error);
  return (state ? `${message} (SQLSTATE ${state})` : message).replace(/\s*\n\s*/g, ' ');
}
