// A health-check report as stored, rendered and published (schemas/report.schema.json describes
// this document; bump REPORT_SCHEMA_VERSION and the schema's $id together when its shape changes).
// Times are ISO 8601 strings and numbers are rounded (round.ts), so two reports of a quiet
// system differ only in their dates.

import type { FindingKind, Severity } from '../findings/finding.js';

export const REPORT_SCHEMA_VERSION = 3;
export const REPORT_KINDS = ['daily', 'weekly', 'monthly', 'custom'] as const;
export type ReportKind = (typeof REPORT_KINDS)[number];

export type Verdict = 'ok' | 'warning' | 'critical';

export interface Period {
  from: string;
  to: string;
}

/** What every comparison in a report is made against. */
export interface Baseline {
  /** 'report': the previous stored report of the same kind (or --compare-to); 'period': the previous period of the same length */
  source: 'report' | 'period';
  /** the baseline report's id, when it is a report */
  reportId: string | null;
  period: Period;
}

export interface ReportFinding {
  id: string;
  kind: FindingKind;
  severity: Severity;
  /** the severity in the baseline (regressed findings), else null */
  previousSeverity: Severity | null;
  object: string;
  summary: string;
  firstSeen: string;
  lastSeen: string;
  resolvedAt: string | null;
  /** how long the episode lasted (resolved) or has lasted by the end of the period (active) */
  durationSeconds: number;
  occurrences: number;
  /** the reports of this kind the finding was listed as open in, this one included */
  seenIn: { reports: number; of: number };
  fix: { summary: string; statements: string[] } | null;
  /** the measured numbers at its worst */
  proof: Record<string, unknown>;
  runbook: string;
}

export interface FindingGroups {
  new: ReportFinding[];
  persisting: ReportFinding[];
  resolved: ReportFinding[];
  regressed: ReportFinding[];
}

export interface TrendPoint {
  /** start of the hour */
  at: string;
  connectionsPeak: number | null;
  cacheHitRatio: number | null;
  /** seconds spent in statements during the hour */
  statementSeconds: number;
}

export interface Capacity {
  /** the rollup hours the figures come from (rollups are hourly) */
  hours: number;
  connectionsPeak: number | null;
  maxConnections: number | null;
  /** max_connections minus the peak */
  headroom: number | null;
  saturationMax: number | null;
  minutesAtSaturationWarning: number;
  cacheHitRatio: number | null;
  /** data + index bytes at the end of the period and their change over it ... */
  dataBytes: number | null;
  dataGrowthBytes: number | null;
  /** ... of the whole databases ('database'), or of the top tables only when the size of the databases is not known */
  dataSource: 'database' | 'top-tables' | null;
  /** growth per day over the period (last minus first sample, over the time between them) */
  dataGrowthPerDayBytes: number | null;
  /** the configured limit (reports.dataLimits) and the days until it at the period's rate */
  dataLimitBytes: number | null;
  daysToDataLimit: number | null;
  /** PostgreSQL: the oldest unfrozen transaction ID's age against the age writes stop at, and the days left at the period's rate */
  transactionIds: TransactionIdRunway | null;
  /** sequences / AUTO_INCREMENT columns closest to their maximum, with their runway at the period's rate */
  counters: CounterRunway[];
  trend: TrendPoint[];
}

export interface TransactionIdRunway {
  database: string;
  age: number;
  limit: number;
  usedPercent: number;
  /** transaction IDs used per day over the period; null with one sample */
  perDay: number | null;
  /** (limit - age) / perDay: days until the server stops taking writes if nothing freezes; null without a rate */
  daysToLimit: number | null;
}

export interface CounterRunway {
  name: string;
  value: number;
  max: number;
  usedPercent: number;
  perDay: number | null;
  daysToMax: number | null;
}

export interface SlowLogLine {
  id: string;
  fingerprint: string;
  count: number;
  totalSeconds: number;
  maxSeconds: number;
  rowsExamined: number;
  /** the same class in the previous period of the same length; null when absent there */
  baselineCount: number | null;
}

export interface StatementLine {
  queryId: string;
  fingerprint: string | null;
  calls: number;
  totalSeconds: number;
  meanSeconds: number | null;
  baselineCalls: number | null;
  baselineMeanSeconds: number | null;
  /** mean time change against the baseline, in percent; null without a baseline figure */
  meanChangePercent: number | null;
}

export interface Statements {
  top: StatementLine[];
  /** mean time up by at least the regression threshold with enough calls on both sides */
  regressions: StatementLine[];
  /** heavy now, absent from the baseline */
  new: StatementLine[];
  /** kept for the next report's baseline: every statement with calls in the period */
  all: StatementLine[];
  /** classes of the followed slow-query log during the period, by total time (empty without a slow log) */
  slowLog: SlowLogLine[];
}

export interface MaintenanceItem {
  findingId: string;
  kind: FindingKind;
  object: string;
  /** what to run, in order */
  statements: string[];
  /** what it is expected to bring */
  effect: string;
  sizeBytes: number | null;
}

export interface SettingChangeLine {
  at: string;
  name: string;
  previous: string | null;
  value: string | null;
}

export interface Changes {
  settings: SettingChangeLine[];
  /** server versions first seen during the period (an upgrade or a restart into a new binary) */
  serverVersions: { at: string; version: string }[];
  /** server starts during the period (the server's own start time) */
  restarts: { at: string }[];
}

/**
 * The audit posture at the end of the period (the plant's "key operations audited, logs kept
 * 180 days"): from the open audit-posture finding, else from the audit probe's last reading
 * kept in the rollups.
 */
export interface AuditPosture {
  /** the hour of the last reading in the period; null when only the finding tells */
  at: string | null;
  /** ok: DDL, role changes and logins logged and the trail shown kept long enough; else the finding's severity */
  status: 'ok' | 'info' | 'warning';
  /** what writes the trail, by the server's names (empty: nothing) */
  sources: string[];
  /** operations logged / key operations not logged: ddl, roles, writes, connections */
  logged: string[];
  notLogged: string[];
  /** days the server's settings keep the trail; null: not shown by the server */
  retentionDays: number | null;
  /** how the retention was read */
  retention: string;
  /** the retention asked for (thresholds.auditRetentionDays); null when no finding says it */
  targetRetentionDays: number | null;
  findingId: string | null;
  fix: { summary: string; statements: string[] } | null;
  runbook: string | null;
}

export interface TargetReport {
  target: string;
  status: Verdict;
  /** the one reason a person reads first */
  reason: string;
  findings: FindingGroups;
  capacity: Capacity;
  statements: Statements;
  maintenance: MaintenanceItem[];
  changes: Changes;
  /** null: the audit posture was not read during the period (schema 3) */
  audit: AuditPosture | null;
}

/** What made the report: a person (on demand) or a schedule, on time or caught up at start. */
export interface Trigger {
  schedule: string | null;
  /** the time the schedule fired (or should have), else null */
  scheduledFor: string | null;
  /** the run was missed while the agent was down and made at its next start */
  missed: boolean;
}

export interface Report {
  schemaVersion: typeof REPORT_SCHEMA_VERSION;
  id: string;
  kind: ReportKind;
  generatedAt: string;
  trigger: Trigger;
  period: Period;
  baseline: Baseline;
  fleet: {
    status: Verdict;
    reason: string;
    targets: number;
    findings: { new: number; persisting: number; resolved: number; regressed: number };
    regressions: number;
    maintenance: number;
  };
  targets: TargetReport[];
}
