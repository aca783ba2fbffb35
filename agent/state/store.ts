/**
 * The agent's memory (DESIGN.md "Data flow"): everything a report, drill, console page or
 * audit needs outlives the process here, behind this one interface. Two implementations share
 * one schema and one SQL text (sql-store.ts): SQLite in the agent's data directory (default)
 * and PostgreSQL (`store: postgres://...`) when several agents share one store.
 *
 * Adding a record kind for a later capability (reports, drill runs, applied fixes, audit, ...):
 *   1. add its name to RECORD_KINDS below (and its retention default in config/schema.ts
 *      `retention` — the compiler points at every place that needs it);
 *   2. write/read it with putRecords / records / record: one row per record, keyed by
 *      (kind, id), with an optional target, a time `at` (epoch ms) and a JSON payload the
 *      capability types itself — e.g. `const reports = typedRecords<ReportPayload>(store, 'report')`;
 *   3. only if it must be searched by a payload field, add a migration (migrations.ts) with an
 *      index or a table of its own — never reshape this interface for one capability.
 * Writes from the sampling path go through StoreWriter (writer.ts): batched, off the cycle,
 * and a failing store only degrades the agent.
 */

import type { FindingKind, Severity } from '../findings/finding.js';
import type { TrackedFinding } from '../findings/tracker.js';
import type { AuditSignals } from '../snapshot/signals.js';

export const RECORD_KINDS = ['report', 'drill-run', 'applied-fix', 'audit'] as const;
export type RecordKind = (typeof RECORD_KINDS)[number];

/** JSON as stored in payload columns. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

export interface StoredRecord<P = JsonValue> {
  kind: RecordKind;
  /** unique within its kind (a report's name, a drill run's id, an audit record's sequence) */
  id: string;
  target: string | null;
  /** epoch ms: what retention and `since` queries look at */
  at: number;
  payload: P;
}

export interface RecordQuery {
  target?: string;
  /** at >= since (epoch ms) */
  since?: number;
  /** at < until (epoch ms) */
  until?: number;
  /** newest first; default 1000 */
  limit?: number;
}

export type FindingEventType = 'raised' | 'escalated' | 'deescalated' | 'resolved';

/** One change in a finding's life, as logged and stored. */
export interface FindingEvent {
  /** the finding's stable id (kind:target:object) */
  id: string;
  /** the episode it belongs to: when that episode was first seen (epoch ms) */
  firstSeen: number;
  target: string;
  kind: FindingKind;
  type: FindingEventType;
  at: number;
  severity: Severity;
  summary: string;
}

export interface FindingQuery {
  status?: 'active' | 'resolved';
  /** last seen at or after (epoch ms) */
  since?: number;
  target?: string;
  kind?: string;
  /** newest last-seen first; default 1000 */
  limit?: number;
}

/** Connection counts of one state over an hour. */
export interface PeakMean {
  peak: number;
  mean: number;
}

export interface StatementHour {
  /** the server's statement id, or 'other' for everything past the top N */
  queryId: string;
  fingerprint: string | null;
  calls: number;
  totalSeconds: number;
  meanSeconds: number | null;
  rows: number;
}

export interface TableHour {
  table: string;
  /** last size seen in the hour */
  dataBytes: number | null;
  indexBytes: number | null;
  /** scans during the hour */
  seqScans: number;
  seqRowsRead: number;
  indexScans: number;
  /** last count seen in the hour */
  liveRows: number | null;
  deadRows: number | null;
}

/** One target's hour: what a daily or weekly report is built from. */
export interface HourlyRollup {
  target: string;
  /** start of the hour, epoch ms (UTC) */
  hour: number;
  /** sampling cycles counted, and those that reached the server */
  samples: number;
  upSamples: number;
  /** used connections and each state, peak and mean over the samples that reached the server */
  connections: Record<
    'used' | 'active' | 'idle' | 'idleInTransaction' | 'waitingLock' | 'other',
    PeakMean
  > | null;
  maxConnections: number | null;
  saturationMax: number | null;
  /** minutes (sampled time) at or above the saturation warning ratio */
  saturationWarningMinutes: number;
  cacheHits: number;
  cacheReads: number;
  /** hits / (hits + reads) over the hour's intervals; null when nothing was read */
  cacheHitRatio: number | null;
  serverVersion: string | null;
  /** top N by total time, then one 'other' row */
  statements: StatementHour[];
  /** top N by size */
  tables: TableHour[];
  /** figures last seen in the hour and slow-log classes (absent in rollups written before schema 2) */
  extra?: RollupExtra | null;
}

/** A counter that runs out at its type's maximum: a sequence or an AUTO_INCREMENT column. */
export interface CounterHour {
  /** schema.sequence, or schema.table.column */
  name: string;
  /** the value it has reached and the most it can reach (its type's or its own maximum) */
  value: number;
  max: number;
}

/** One slow-log class over the hour (deltas of the follower's cumulative digest). */
export interface SlowClassHour {
  id: string;
  fingerprint: string;
  count: number;
  totalSeconds: number;
  maxSeconds: number;
  rowsExamined: number;
}

/** Gauges of an hour (the last value seen in it) and the slow-log classes of the hour. */
export interface RollupExtra {
  /** when the server last started (epoch ms) */
  serverStartedAt: number | null;
  /** data + index bytes of the databases the agent sees */
  databaseBytes: number | null;
  /** PostgreSQL: age of the oldest unfrozen transaction ID, the limit it stops at, and the next transaction ID (its growth is the rate) */
  transactionIds: { age: number; limit: number; next: number; database: string } | null;
  /** sequences / AUTO_INCREMENT columns closest to their maximum (top N by used fraction) */
  counters: CounterHour[];
  /** slow-log classes of the hour, by total time (top N) */
  slowQueries: SlowClassHour[];
  /** the audit posture last read in the hour (absent in rollups written before it was sampled) */
  audit?: AuditSignals | null;
}

/** Statements of a period summed by the store (one row per statement id). */
export interface StatementSum {
  queryId: string;
  fingerprint: string | null;
  calls: number;
  totalSeconds: number;
  rows: number;
}

/** One hour of a summary: the head figures, statement time summed, table sizes summed. */
export interface RollupHourPoint {
  hour: number;
  connectionsPeak: number | null;
  maxConnections: number | null;
  saturationMax: number | null;
  saturationWarningMinutes: number;
  cacheHits: number;
  cacheReads: number;
  cacheHitRatio: number | null;
  serverVersion: string | null;
  /** seconds spent in statements during the hour */
  statementSeconds: number;
  /** data + index bytes of the hour's top tables; null when no table was kept */
  tableBytes: number | null;
  extra: RollupExtra | null;
}

/** One target's rollups over a period, aggregated in the store (what reports read). */
export interface RollupSummary {
  target: string;
  /** oldest first */
  hours: RollupHourPoint[];
  /** summed over the period, most time first */
  statements: StatementSum[];
}

export interface RollupSummaryQuery {
  target?: string;
  /** hour >= from (epoch ms) */
  from: number;
  /** hour < to (epoch ms) */
  to: number;
  /** false: leave the hours out (statement sums only, for a baseline period) */
  hours?: boolean;
}

export interface RollupQuery {
  target?: string;
  /** hour >= from (epoch ms) */
  from?: number;
  /** hour < to (epoch ms) */
  to?: number;
}

export interface SettingChange {
  target: string;
  name: string;
  /** null: the setting disappeared */
  value: string | null;
  /** the previous value; null the first time the agent saw the setting */
  previous: string | null;
  at: number;
}

export interface ServerVersionSeen {
  target: string;
  version: string;
  firstSeen: number;
  lastSeen: number;
}

/** Days each kind is kept (resolved findings and their events; active ones are never pruned). */
export type Retention = Record<'findings' | 'rollups' | 'settings' | RecordKind, number>;

export interface TableCount {
  table: string;
  rows: number;
}

export interface StoreInfo {
  backend: 'sqlite' | 'postgres';
  /** file path, or the URL with its password removed */
  location: string;
  schemaVersion: number;
  /** bytes on disk (file + WAL) or of the PostgreSQL tables; null if unknown */
  sizeBytes: number | null;
  tables: TableCount[];
  targets: string[];
  oldestRollupHour: number | null;
  newestRollupHour: number | null;
}

export interface PruneResult {
  /** rows removed per table */
  removed: Record<string, number>;
}

/** Every table's rows, for `dbdiag store export`. */
export interface ExportedTable {
  table: string;
  rows: Record<string, unknown>[];
}

export interface Store {
  readonly backend: 'sqlite' | 'postgres';
  /** where it lives, safe to print (no password) */
  readonly location: string;

  // findings: one row per episode (id + firstSeen), plus its events
  saveFindings(findings: readonly TrackedFinding[]): Promise<void>;
  appendFindingEvents(events: readonly FindingEvent[]): Promise<void>;
  findings(query?: FindingQuery): Promise<TrackedFinding[]>;
  findingEvents(id: string, firstSeen?: number): Promise<FindingEvent[]>;

  // hourly rollups (replaced whole: the agent re-writes the current hour as it fills)
  saveRollups(rollups: readonly HourlyRollup[]): Promise<void>;
  rollups(query?: RollupQuery): Promise<HourlyRollup[]>;
  /** the rollups of a period aggregated in SQL: per-hour heads and the statements summed, per target */
  rollupSummaries(query: RollupSummaryQuery): Promise<RollupSummary[]>;

  // settings and their changes; server versions
  saveSettingChanges(changes: readonly SettingChange[]): Promise<void>;
  /** newest first */
  settingChanges(query?: { target?: string; since?: number; name?: string }): Promise<SettingChange[]>;
  /** the latest value of every setting of a target */
  currentSettings(target: string): Promise<Record<string, string>>;
  saveServerVersion(seen: ServerVersionSeen): Promise<void>;
  serverVersions(target?: string): Promise<ServerVersionSeen[]>;

  // generic records of later capabilities
  putRecords(records: readonly StoredRecord[]): Promise<void>;
  records(kind: RecordKind, query?: RecordQuery): Promise<StoredRecord[]>;
  record(kind: RecordKind, id: string): Promise<StoredRecord | null>;

  // maintenance
  schemaVersion(): Promise<number>;
  prune(retention: Retention, now: number): Promise<PruneResult>;
  /** give the space of pruned rows back (SQLite VACUUM, PostgreSQL VACUUM ANALYZE) */
  vacuum(): Promise<void>;
  info(): Promise<StoreInfo>;
  exportAll(): Promise<ExportedTable[]>;
  close(): Promise<void>;
}

/** A typed view on one record kind, for the capability that owns it. */
export function typedRecords<P extends JsonValue>(store: Store, kind: RecordKind) {
  return {
    put: (records: readonly Omit<StoredRecord<P>, 'kind'>[]) =>
      store.putRecords(records.map((r) => ({ ...r, kind }))),
    list: async (query?: RecordQuery) => (await store.records(kind, query)) as StoredRecord<P>[],
    get: async (id: string) => (await store.record(kind, id)) as StoredRecord<P> | null,
  };
}
