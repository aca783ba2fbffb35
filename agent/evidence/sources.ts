import type { Thresholds } from '../config/thresholds.js';
import type { Snapshot } from '../snapshot/snapshot.js';

// Which statements index advice looks at: those that cost the most, from the statement
// statistics (cumulative since reset: a one-shot check of a server idle right now still sees
// what hurt it) and the slow-query log digest (classes with a real sample statement).

export interface RawStatement {
  id: string;
  /** text to parse and plan: the real sample when there is one, else the normalized text (INTERNAL: literals) */
  text: string;
  /** text a finding may show: the redacted fingerprint, or the sample when the config asks (redaction.showSamples) */
  shown: string;
  database: string | null;
  calls: number;
  totalSeconds: number;
}

const PLANNABLE = /^\s*(\/\*.*?\*\/\s*)*(select|with|update|delete)\b/is;

export function statementSources(
  snapshot: Snapshot,
  thresholds: Thresholds,
  showSamples = false,
): RawStatement[] {
  const out: RawStatement[] = [];
  for (const s of snapshot.signals.statements?.statements ?? []) {
    if (s.calls < thresholds.indexMinCalls) continue;
    // MySQL needs literals to EXPLAIN; PostgreSQL plans `$n` generically. The sample is the
    // server's text with its literals (agent/slowlog/redact-signals.ts), the fingerprint has them masked.
    const text = s.sample ?? s.fingerprint;
    const shown = showSamples ? text : s.fingerprint;
    out.push({ id: s.id, text, shown, database: s.database, calls: s.calls, totalSeconds: s.totalSeconds });
  }
  for (const c of snapshot.signals.slowlog?.classes ?? []) {
    if (c.count < thresholds.indexMinCalls && c.totalSeconds < thresholds.slowQueryMeanSeconds) continue;
    const text = c.sample ?? c.fingerprint;
    out.push({
      id: c.id,
      text,
      shown: showSamples ? text : c.fingerprint,
      database: c.databases[0] ?? null,
      calls: c.count,
      totalSeconds: c.totalSeconds,
    });
  }
  return out
    .filter((s) => PLANNABLE.test(s.text) && !s.text.trimEnd().endsWith('...'))
    .sort((a, b) => b.totalSeconds - a.totalSeconds)
    .slice(0, thresholds.indexMaxStatements);
}
