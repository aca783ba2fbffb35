import type { Logger } from '../log.js';
import type { EngineName, Signals } from '../snapshot/signals.js';
import type { ProbeName } from '../snapshot/snapshot.js';

// The seam between engine-specific code (agent/engines/<engine>/) and everything above it.

/** What a target is, as the engine needs it. Secrets are already resolved from the environment. */
export interface TargetSpec {
  name: string;
  engine: EngineName;
  dsn: string;
  /** PgBouncer admin console DSN, when a pooler stands in front of the database */
  poolerDsn: string | null;
}

export interface SamplingLimits {
  /** server-side statement timeout of every agent query */
  statementTimeoutMs: number;
  topStatements: number;
  topTables: number;
  topIndexes: number;
}

export type ProbeOutcome =
  | { status: 'ok'; signals: Partial<Signals> }
  /** quiet and remembered: e.g. pg_stat_statements not installed, performance_schema off */
  | { status: 'unsupported'; reason: string };

/** A connected target: one long-lived connection, opened by EngineDriver.connect. */
export interface EngineSession {
  readonly engine: EngineName;
  /** e.g. "15.20" or "10.11.19-MariaDB" */
  readonly serverVersion: string;
  /** the probes this engine implements, in the order they should run */
  readonly probes: readonly ProbeName[];
  /**
   * Runs one probe. Throws ProbeError (code from classifyDriverError); code 'connection-lost'
   * means the session is dead and must be re-opened.
   */
  sample(probe: ProbeName): Promise<ProbeOutcome>;
  close(): Promise<void>;
}

export interface EngineDriver {
  readonly engine: EngineName;
  /** Opens the one long-lived connection. Throws ConnectionError with a code from connection-codes.ts. */
  connect(target: TargetSpec, limits: SamplingLimits, log: Logger): Promise<EngineSession>;
}
