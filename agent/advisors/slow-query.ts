import { createHash } from 'node:crypto';
import type { Finding } from '../findings/finding.js';
import { type AdvisorInput, latest, makeFinding, remedies, round } from './context.js';

// Statements that are slow per call, or that take most of the server's statement time, from
// the statement statistics (cumulative, so a one-shot check of an idle server still sees
// them) and from the slow-query log digest. The followed log is a stream of events: a class is
// judged on what was logged in the last slowLogRecentSeconds (the digest counts since the agent
// started following), so its finding resolves once the statements stop being slow. Missing-index
// findings that target the same statement are linked as the explanation.

interface Candidate {
  id: string;
  source: 'statements' | 'slowlog';
  fingerprint: string;
  calls: number;
  totalSeconds: number;
  meanSeconds: number;
  maxSeconds: number | null;
}

const DML = /^\s*(\/\*.*?\*\/\s*)*(select|with|update|delete|insert|replace)\b/is;

export function shortId(text: string): string {
  return createHash('sha1').update(text).digest('hex').slice(0, 12);
}

/**
 * The slow-log classes as they stood at `from` (the newest sample at or before it), by id; empty
 * when the history does not reach back that far (the agent started following since: every
 * statement it counted is recent).
 */
function slowLogBefore(
  input: AdvisorInput,
  from: number,
): Map<string, { count: number; totalSeconds: number }> {
  for (let i = input.history.length - 1; i >= 0; i--) {
    const snapshot = input.history[i];
    if (snapshot === undefined || snapshot.at > from) continue;
    const classes = snapshot.signals.slowlog?.classes;
    if (classes === undefined) continue;
    return new Map(classes.map((c) => [c.id, { count: c.count, totalSeconds: c.totalSeconds }]));
  }
  return new Map();
}

export function slowQuery(input: AdvisorInput, explaining: readonly Finding[]): Finding[] {
  const t = input.thresholds;
  const snapshot = latest(input);
  if (!snapshot) return [];
  const candidates: Candidate[] = [];
  for (const s of snapshot.signals.statements?.statements ?? []) {
    if (s.calls <= 0) continue;
    candidates.push({
      id: s.id,
      source: 'statements',
      fingerprint: s.fingerprint,
      calls: s.calls,
      totalSeconds: s.totalSeconds,
      meanSeconds: s.totalSeconds / s.calls,
      maxSeconds: null,
    });
  }
  const before = slowLogBefore(input, snapshot.at - t.slowLogRecentSeconds * 1000);
  for (const c of snapshot.signals.slowlog?.classes ?? []) {
    const earlier = before.get(c.id);
    // a count that went down: the digest started over (a new log file followed from its start)
    const since = earlier !== undefined && earlier.count <= c.count ? earlier : undefined;
    const calls = c.count - (since?.count ?? 0);
    if (calls <= 0) continue;
    const totalSeconds = c.totalSeconds - (since?.totalSeconds ?? 0);
    candidates.push({
      id: c.id,
      source: 'slowlog',
      fingerprint: c.fingerprint,
      calls,
      totalSeconds,
      meanSeconds: totalSeconds / calls,
      maxSeconds: c.maxSeconds,
    });
  }
  const byStatements = candidates.filter((c) => c.source === 'statements');
  const allTime = byStatements.reduce((sum, c) => sum + c.totalSeconds, 0);
  const slow = candidates
    // one-off maintenance (ANALYZE, a bulk load) is not a slow query
    .filter((c) => c.calls >= t.slowQueryMinCalls && DML.test(c.fingerprint))
    .filter(
      (c) =>
        c.meanSeconds >= t.slowQueryMeanSeconds ||
        (c.source === 'statements' &&
          c.totalSeconds >= t.slowQueryMinTotalSeconds &&
          allTime > 0 &&
          c.totalSeconds / allTime >= t.slowQueryTimeShare),
    )
    .sort((a, b) => b.totalSeconds - a.totalSeconds)
    .slice(0, t.slowQueryMax);
  return slow.map((c) => {
    const related = explaining
      .filter((f) => Array.isArray(f.evidence.statementIds) && f.evidence.statementIds.includes(c.id))
      .map((f) => f.id);
    const share = allTime > 0 && c.source === 'statements' ? c.totalSeconds / allTime : null;
    return makeFinding(input, 'slow-query', {
      severity: c.meanSeconds >= t.slowQueryMeanSeconds * 5 ? 'warning' : 'info',
      object: `${c.source === 'slowlog' ? 'slowlog' : 'statement'}:${c.id}`,
      summary: `${round(c.meanSeconds * 1000, 1)} ms per call x ${c.calls} calls (${round(c.totalSeconds, 1)} s${share === null ? '' : `, ${Math.round(share * 100)}% of statement time`}): ${c.fingerprint.slice(0, 120)}`,
      evidence: {
        statementId: c.id,
        statementIds: [c.id],
        source: c.source,
        fingerprint: c.fingerprint.slice(0, 1000),
        calls: c.calls,
        totalSeconds: round(c.totalSeconds, 3),
        meanSeconds: round(c.meanSeconds, 4),
        maxSeconds: c.maxSeconds === null ? null : round(c.maxSeconds, 3),
        shareOfStatementTime: share === null ? null : round(share, 3),
      },
      fix: {
        summary:
          related.length > 0
            ? 'Apply the related missing-index finding(s)'
            : 'EXPLAIN (ANALYZE, BUFFERS) the statement and look for full scans, bad estimates, or missing LIMIT',
        // diagnosis only: the fix is whatever the plan shows (often a related missing-index finding)
        actions: [],
        statements: [remedies(input).diagnosis.explain(c.fingerprint)],
        risk: 'EXPLAIN ANALYZE runs the statement: on a write, wrap it in BEGIN ... ROLLBACK.',
        rollback: 'None: diagnosis only.',
      },
      related,
    });
  });
}
