import type { FixAction } from './actions.js';

// The unit of advice (see DESIGN.md "Findings"). Every advisor returns these.

export const SEVERITIES = ['info', 'warning', 'critical'] as const;
export type Severity = (typeof SEVERITIES)[number];

export const FINDING_KINDS = [
  'missing-index',
  'fk-without-index',
  'unused-index',
  'duplicate-index',
  'pool-saturation',
  'low-cache-hit',
  'stale-statistics',
  'table-bloat',
  'idle-in-transaction',
  'long-running-transaction',
  'extension-missing',
  'slow-query',
  'missing-privilege',
  'replica-lag',
  'replication-broken',
  'inactive-slot',
  'read-split-candidate',
  'audit-posture',
] as const;
export type FindingKind = (typeof FINDING_KINDS)[number];

export type EvidenceValue =
  | string
  | number
  | boolean
  | null
  | EvidenceValue[]
  | { [key: string]: EvidenceValue };

/** Machine-readable index proposal: columns in index order, as written in the DDL. */
export interface IndexProposal {
  /** PostgreSQL schema / MySQL database of the table (the finding's object is schema.table) */
  schema?: string;
  /** the table's bare name */
  table: string;
  columns: string[];
  where?: string;
  /** payload columns of a covering index (INCLUDE on PostgreSQL, trailing key columns on InnoDB) */
  include?: string[];
  /** operator class per key column (PostgreSQL) */
  opclass?: Record<string, string>;
  /** leading characters indexed per key column (MySQL/MariaDB prefix index), chosen from the data */
  prefix?: Record<string, number>;
}

export interface Fix {
  /** one line: what to do */
  summary: string;
  /**
   * What to do as engine-neutral intents, each with its rollback (agent/findings/actions.ts).
   * Whatever executes a fix works from these, through the engine's renderer; empty when the
   * fix is diagnosis or steps a person takes.
   */
  actions: FixAction[];
  /** ready-to-paste statements or settings, in order: the actions rendered, plus steps for people */
  statements: string[];
  /** what it locks or restarts, what it costs */
  risk: string;
  rollback: string;
  index?: IndexProposal;
  /** anything else a machine may want (cost before/after, sizes) */
  details?: Record<string, EvidenceValue>;
}

export interface Finding {
  /** stable across samples: kind + target + object */
  id: string;
  kind: FindingKind;
  severity: Severity;
  target: string;
  object: string;
  summary: string;
  evidence: Record<string, EvidenceValue>;
  fix: Fix | null;
  runbook: string;
  /** ids of findings that explain this one */
  related: string[];
}

export function findingId(kind: FindingKind, target: string, object: string): string {
  return `${kind}:${target}:${object}`;
}

export function severityAtLeast(severity: Severity, threshold: Severity): boolean {
  return SEVERITIES.indexOf(severity) >= SEVERITIES.indexOf(threshold);
}

/**
 * The one place a runbook URL is built, for findings and alert rules alike: `<base>/<kind>.md`,
 * which the agent serves at /runbooks/<kind>.md and which also works as a file:// or repository URL.
 */
export function runbookUrl(baseUrl: string, kind: string, anchor?: string): string {
  const base = baseUrl.endsWith('/') ? baseUrl.slice(0, -1) : baseUrl;
  return `${base}/${kind}.md${anchor ? `#${anchor}` : ''}`;
}
