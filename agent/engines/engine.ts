import type { StatementShape } from '../evidence/shape.js';
import type { FixAction, NeutralSetting, SettingApply } from '../findings/actions.js';
import type { Logger } from '../log.js';
import type { PlantSql } from '../sandbox/plant.js';
import type { SandboxEngine } from '../sandbox/server.js';
import type { SqlLexicon } from '../slowlog/redact.js';
import type { AuditedOperations, AuditSignals, EngineName, Signals } from '../snapshot/signals.js';
import type { ProbeName } from '../snapshot/snapshot.js';
import type { GrantsOptions } from './grants.js';

// The seam between engine-specific code (agent/engines/<engine>/) and everything above it.
// Above this line nothing branches on the engine: advisors, the evidence queue, the runtime,
// the exporter and the demo reach an engine only through the interfaces below, looked up by
// the target's EngineName in registries that are all built from ONE list (list.ts).
//
// What a NEW ENGINE provides — one folder, agent/engines/<name>/, and one line in list.ts:
//   index.ts      its EngineDescriptor (below): name, DSN schemes, SQL lexicon, dialect, grants,
//                 and loaders for its driver and its sandbox servers. list.ts lists it; EngineName,
//                 the config's `engine` values, drivers.ts, dialects.ts, grants.ts, the redaction
//                 lexicons (agent/slowlog/lexicons.ts), agent/sandbox/engines.ts, the plant's SQL
//                 (agent/sandbox/plant.ts) and the drills' runbook headings derive from it.
//                 No other file outside the folder changes.
//   driver.ts     an EngineDriver: connect() opens the ONE long-lived session per target
//                 (statement timeout on every query, the agent's own session excluded from
//                 what it reports), and returns an EngineSession.
//   session       EngineSession.sample(probe) for every ProbeName it supports (probes/, one
//                 module per signal, versioned SQL as named constants), converting rows into
//                 the neutral vocabulary of agent/snapshot/signals.ts: connections used / max /
//                 reserved and per-connection memory, statement digests, cache reads/hits,
//                 tables (dead rows where the engine counts them, reclaimable free bytes where
//                 it reports them), indexes with their definitions, settings with the neutral
//                 sortMemoryBytes / randomPageCost. A signal it cannot measure is null, never
//                 guessed; "unsupported" is quiet and remembered.
//   errors.ts     driver errors classified by SQLSTATE / errno into error-codes.ts codes.
//   explain / what-if   EngineSession.indexVerifier(): table facts, EXPLAIN cost and, where the
//                 engine has one, a what-if facility (IndexVerifier below). Optional.
//   parse.ts      its SQL parser: statement text -> StatementShape (agent/evidence/shape.ts).
//   remedies.ts   EngineRemedies: every FixAction (agent/findings/actions.ts) rendered into its
//                 statements — the online forms, the lock timeout first — with the engine's
//                 setting names and how each takes effect, and the diagnosis queries findings
//                 show. The ONLY place this engine's DDL and setting statements are written.
//   dialect.ts    the EngineDialect: remedies + traits + parse + applyActions (the executor,
//                 agent/engines/apply-actions.ts with the engine's lock-timeout error), pure:
//                 loading it loads no driver.
//   grants.ts     the set-up script `dbdiag grants` prints (monitoring role, grants, helper).
//   sandbox-plant.ts   the plant application's SQL in its dialect (demo, drills).
//   sandbox-server.ts   a SandboxEngine (agent/sandbox/server.ts): throw-away servers of the
//                 engine for the demo, drills and tests, and the engine's steps of the fault
//                 primitives (terminate sessions, lock a table, idle in a transaction).
// The advisors, metrics, dashboards and runbooks work from the neutral signals and actions;
// the integration suites written once (test/integration/engines/probe-contracts.ts) take a
// per-engine fixture of the new engine's facts.

/** One engine: what agent/engines/<engine>/index.ts exports and list.ts lists. Pure to load. */
export interface EngineDescriptor<N extends string = string> {
  readonly name: N;
  /** DSN schemes that name this engine, lowercase (postgres://, mariadb://...) */
  readonly dsnSchemes: readonly string[];
  /** how its SQL quotes literals, for the one redaction step (agent/slowlog/redact.ts) */
  readonly sqlLexicon: SqlLexicon;
  /** remedies, traits, parser, executor: loads no driver */
  readonly dialect: EngineDialect;
  /** `dbdiag grants`: the set-up script for the monitoring role */
  grants(options: GrantsOptions): string;
  /** how a runbook's Diagnosis section names this engine before its SQL block (drills check it) */
  readonly runbookHeading: RegExp;
  /** the plant's schema, load and requests in this engine's SQL (agent/sandbox/plant.ts; pure text) */
  readonly plant: PlantSql;
  /** its driver module, loaded on first use (it loads the client library) */
  loadDriver(): Promise<EngineDriver>;
  /** its sandbox servers (agent/sandbox/), loaded on first use */
  loadSandbox(): Promise<SandboxEngine>;
}

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
  /**
   * `partial`: the probe read what it could, but a missing privilege hid part of it (e.g. the
   * statements of other roles): why, and the GRANT that fixes it. Reported as 'partial', never 'ok'.
   */
  | { status: 'ok'; signals: Partial<Signals>; partial?: string }
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
  /** catalog facts and plan costs for index advice (EXPLAIN, HypoPG); absent where the engine has none */
  indexVerifier?(options?: IndexVerifierOptions): IndexVerifier;
}

export interface IndexVerifierOptions {
  /**
   * The target is a throw-away sandbox (the demo's embedded server), never a user's database:
   * without HypoPG, a candidate may be proven by building it for real inside a transaction
   * that is rolled back. It blocks writes to the table while it builds.
   */
  sandboxProof?: boolean;
}

/** Statistics of one column, as the planner sees them (or estimated from a bounded sample). */
export interface ColumnFacts {
  name: string;
  /** estimated distinct values in the whole table; null when unknown */
  distinct: number | null;
  nullFraction: number | null;
  /** average stored width in bytes (PostgreSQL pg_stats.avg_width), null when unknown */
  avgWidth: number | null;
  /**
   * The column is too long for this engine to index in full (InnoDB: over the 3,072-byte key
   * limit; TEXT/BLOB): the leading characters to index instead, chosen from a sample — the
   * shortest prefix whose distinct count is close to the full column's.
   */
  keyPrefix?: { length: number; prefixDistinct: number; fullDistinct: number; sampled: number } | null;
  /**
   * The operator class a btree on this column needs to serve LIKE 'prefix%' (PostgreSQL
   * text_pattern_ops in a non-C collation); null or absent: a plain btree serves it.
   */
  patternOpclass?: string | null;
}

export interface ExistingIndex {
  name: string;
  /** key columns in index order, as in the DDL */
  columns: string[];
  unique: boolean;
  primary: boolean;
  where: string | null;
}

/** What index advice needs to know about one table. */
export interface TableFacts {
  /** schema.table (PostgreSQL) or database.table (MySQL) */
  table: string;
  /** the planner's row estimate */
  rows: number;
  dataBytes: number | null;
  columns: ColumnFacts[];
  indexes: ExistingIndex[];
}

/** A hypothetical index for a what-if plan. */
export interface IndexSpec {
  table: string;
  columns: string[];
  where?: string;
  /** payload columns of a covering index: INCLUDE where the engine has it, else trailing key columns */
  include?: string[];
  /** operator class per key column (e.g. text_pattern_ops), where the engine has them */
  opclass?: Record<string, string>;
  /** index only this many leading characters of a key column (engines with prefix indexes) */
  prefix?: Record<string, number>;
}

/** One table access in a plan. */
export interface PlanAccess {
  table: string;
  /** 'seq' full scan, 'index' via an index (name in `index`), 'other' */
  method: 'seq' | 'index' | 'other';
  index: string | null;
  rows: number | null;
  /** the planner's total cost of this scan node alone, per execution (PostgreSQL), when known */
  cost?: number | null;
  /**
   * rows the access yields after its own filter, per execution, when the planner estimated it
   * (PostgreSQL: a scan node's rows; MySQL: rows x filtered when the optimizer estimated the
   * filter); absent when unknown — MariaDB without condition statistics says filtered 100
   */
  returned?: number | null;
}

export interface PlanCost {
  /** the planner's total cost (PostgreSQL) or query cost (MySQL) */
  cost: number;
  accesses: PlanAccess[];
  /** how it was planned: 'generic-plan' | 'forced-generic' | 'sample' */
  method: string;
  /**
   * how the indexes it was asked to plan with existed: HypoPG's hypothetical ones, or real
   * ones built in a transaction that was rolled back (sandbox targets only). Either way their
   * names start with '<' in the plan, as HypoPG names them.
   */
  whatIf?: 'hypopg' | 'sandbox-build';
}

/** Verification work the advisors hand to the engine; results are data. */
export interface IndexVerifier {
  /** HypoPG (or another what-if facility) is usable on this connection */
  whatIf(): Promise<boolean>;
  /**
   * Facts of a table as a statement run in `database` names it (unqualified names resolve as
   * the server would); `columns`: those whose statistics are needed. null when there is no such table.
   */
  tableFacts(database: string | null, table: string, columns: readonly string[]): Promise<TableFacts | null>;
  /** the plan of a statement run in `database` (normalized `$n`/`?` text or a real sample), with hypothetical indexes if given; null when it cannot be planned */
  explain(
    database: string | null,
    statement: string,
    hypothetical?: readonly IndexSpec[],
  ): Promise<PlanCost | null>;
}

export interface EngineDriver {
  readonly engine: EngineName;
  /** Opens the one long-lived connection. Throws ConnectionError with a code from connection-codes.ts. */
  connect(target: TargetSpec, limits: SamplingLimits, log: Logger): Promise<EngineSession>;
  /**
   * Opens a short-lived connection of its own for fix actions (apply, revert), so the sampling
   * session stays free; every statement on it ends after statementTimeoutMs. Close it when done.
   */
  openActionConnection(
    target: TargetSpec,
    options: { statementTimeoutMs: number },
  ): Promise<ClosableActionConnection>;
}

export interface ClosableActionConnection extends ActionConnection {
  close(): Promise<void>;
}

/** One fix action as statements for this engine, in order, with what they lock or risk here. */
export interface RenderedAction {
  /** ready to paste (a lock-timeout SET first where the action has one) */
  statements: string[];
  /** the engine's own risk of these statements ('' when there is nothing to add) */
  risk: string;
}

/** A neutral setting as this engine names and applies it. */
export interface SettingInfo {
  /** the server's own name (shared_buffers, innodb_buffer_pool_size...) */
  name: string;
  /** how a change takes effect on this engine */
  apply: SettingApply;
  /** what changing it risks on this engine (restart warning first) */
  risk: string;
}

/** Fix actions -> statements: the one renderer of an engine (agent/engines/<engine>/remedies.ts). */
export interface EngineRemedies {
  render(action: FixAction): RenderedAction;
  /** "schema.table" quoted for this engine's SQL, part by part */
  quoteQualified(name: string): string;
  setting(setting: NeutralSetting): SettingInfo;
  /** queries a person runs to look before acting (findings show them beside the actions) */
  diagnosis: {
    /** the plan of a normalized statement, with the hint to put real values in */
    explain(statement: string): string;
    /** the sessions idle inside a transaction, oldest first */
    idleInTransactionSessions: string;
    /** the oldest open transactions */
    oldestTransactions: string;
    /** on a replica: its replication state, position and last error */
    replicaStatus: string;
    /** on a primary: the replicas connected to it and how far each trails */
    primaryReplicas: string;
    /** the replication slots and the WAL each keeps (empty where the engine has no slots) */
    replicationSlots: string;
    /** the last resort after an apply error, with its warning (empty where there is none) */
    skipFailedEvent: string;
    /** bounding the WAL any slot may keep, so a forgotten one cannot fill the disk (empty where there are no slots) */
    slotRetentionCap: string;
    /** how reads are sent to a replica in front of this engine (application read pool, pooler rules) */
    readRouting: string;
  };
  /** what statement statistics are on this engine: the finding object and the one-line fix */
  statementStatistics: { object: string; enableSummary: string };
  /** the audit posture (agent/advisors/audit-posture.ts): the settings that close a gap, and the query that shows the posture */
  audit: {
    fix(posture: AuditSignals, gap: AuditGap): AuditRemedy;
    /** runs under the least-privilege monitoring account */
    diagnosis: string;
  };
}

/** What an audit posture falls short of. */
export interface AuditGap {
  /** operations the server does not log */
  missing: (keyof AuditedOperations)[];
  /** the server's settings do not show the trail kept `targetDays` */
  retentionShort: boolean;
  targetDays: number;
}

/** Settings to copy (there is no neutral action for them): in order, what they risk, how to undo them. */
export interface AuditRemedy {
  summary: string;
  statements: string[];
  risk: string;
  rollback: string;
}

/** What an engine does by itself, which changes what advice makes sense (never its name). */
export interface EngineTraits {
  /** the server creates an index for every foreign key itself (InnoDB): nothing to propose */
  foreignKeysIndexedByServer: boolean;
  /**
   * every secondary index carries the primary key columns (InnoDB): a covering index need not
   * list them
   */
  secondaryIndexesCarryPrimaryKey: boolean;
}

/** How an executed action went. */
export interface AppliedAction {
  action: FixAction;
  /** the statements that ran, last attempt */
  statements: string[];
  attempts: number;
  seconds: number;
}

/** A connection fixes run on: its own, never the sampling session. */
export interface ActionConnection {
  query(sql: string): Promise<unknown>;
}

export interface ApplyOptions {
  /** overrides every action's own lock timeout (e.g. twice the current statement latency) */
  lockTimeoutSeconds?: number;
  /** attempts per action when its lock timeout expires (default 3) */
  attempts?: number;
  /** told before each retry */
  onRetry?(action: FixAction, attempt: number, error: unknown): void;
}

/**
 * What the engine-neutral code above agent/engines/ reaches through, pure (no driver loaded):
 * the renderer of fix actions and the executor that runs them on a connection.
 */
export interface EngineDialect {
  readonly engine: EngineName;
  readonly remedies: EngineRemedies;
  readonly traits: EngineTraits;
  /**
   * What a statement does with which columns (agent/engines/<engine>/parse.ts), for index
   * candidates; null when it cannot be parsed. The parser module is loaded on first use.
   */
  parse(statement: string): Promise<StatementShape | null>;
  /**
   * Runs actions in order on `connection` (rendered by `remedies`), each retried when its lock
   * timeout expires, cleaning up what a failed online build leaves. Throws on the first action
   * that fails for good.
   */
  applyActions(
    connection: ActionConnection,
    actions: readonly FixAction[],
    options?: ApplyOptions,
  ): Promise<AppliedAction[]>;
}
