import type { Thresholds } from '../config/thresholds.js';
import {
  type EvidenceValue,
  type Finding,
  type FindingKind,
  type Fix,
  findingId,
  runbookUrl,
  type Severity,
} from '../findings/finding.js';
import type { Rates } from '../snapshot/rates.js';
import type { EngineName } from '../snapshot/signals.js';
import type { Snapshot } from '../snapshot/snapshot.js';

/** What every advisor reads. No clock: `now` is the latest snapshot's time. */
export interface AdvisorInput {
  target: string;
  engine: EngineName;
  /** oldest first; the last one is the current snapshot */
  history: readonly Snapshot[];
  rates: Rates;
  thresholds: Thresholds;
  runbookBaseUrl: string;
}

export function latest(input: AdvisorInput): Snapshot | undefined {
  return input.history.at(-1);
}

export interface FindingParts {
  severity: Severity;
  object: string;
  summary: string;
  evidence: Record<string, EvidenceValue>;
  fix: Fix | null;
  related?: string[];
}

export function makeFinding(input: AdvisorInput, kind: FindingKind, parts: FindingParts): Finding {
  return {
    id: findingId(kind, input.target, parts.object),
    kind,
    severity: parts.severity,
    target: input.target,
    object: parts.object,
    summary: parts.summary,
    evidence: parts.evidence,
    fix: parts.fix,
    runbook: runbookUrl(input.runbookBaseUrl, kind),
    related: parts.related ?? [],
  };
}

/** Quotes an identifier for DDL when it needs it. */
export function quoteIdent(engine: EngineName, name: string): string {
  if (engine === 'mysql')
    return /^[A-Za-z_][A-Za-z0-9_$]*$/.test(name) ? name : `\`${name.replaceAll('`', '``')}\``;
  return /^[a-z_][a-z0-9_$]*$/.test(name) ? name : `"${name.replaceAll('"', '""')}"`;
}

/** "schema.table" -> quoted, part by part. */
export function quoteQualified(engine: EngineName, name: string): string {
  return name
    .split('.')
    .map((part) => quoteIdent(engine, part))
    .join('.');
}

export function formatBytes(bytes: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value >= 10 || unit === 0 ? Math.round(value) : value.toFixed(1)} ${units[unit]}`;
}

export function formatDuration(seconds: number): string {
  if (seconds < 90) return `${Math.round(seconds)} s`;
  if (seconds < 5400) return `${Math.round(seconds / 60)} min`;
  if (seconds < 2 * 86400) return `${(seconds / 3600).toFixed(1)} h`;
  return `${(seconds / 86400).toFixed(1)} days`;
}

export function round(value: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}
