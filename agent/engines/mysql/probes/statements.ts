import type { StatementSignals, StatementStat } from '../../../snapshot/signals.js';
import type { ProbeOutcome } from '../../engine.js';
import { num, type ProbeContext, picosecondsToSeconds, type TargetState, text } from '../context.js';
import { GrantMissing, lacking } from '../privileges.js';
import { pickSql, type VersionedSql } from '../server.js';

// performance_schema.events_statements_summary_by_digest: cumulative per (schema, digest)
// since the server started or the table was truncated. The agent's own statements are left
// out: digest text drops comments, so every agent SELECT carries a `dbdiag_` alias (kept in
// DIGEST_TEXT), and the one SET of the session timeout is matched by its text.

/** The agent's own digests. A user table or alias named dbdiag_* would be hidden too: accepted. */
export const OWN_DIGEST_FILTER = `dbdiag_d.DIGEST_TEXT NOT LIKE '%dbdiag!_%' ESCAPE '!'
  AND dbdiag_d.DIGEST_TEXT NOT LIKE 'SET SESSION %max!_statement!_time%' ESCAPE '!'
  AND dbdiag_d.DIGEST_TEXT NOT LIKE 'SET SESSION %max!_execution!_time%' ESCAPE '!'`;

/**
 * Top N by total time. MySQL 8.0.3+ keeps a real statement per digest (QUERY_SAMPLE_TEXT);
 * MariaDB has no such column (samples come from the history tables, see SAMPLE_TEXT_SQL).
 * Rows with a NULL digest are the overflow bucket of a full digest table: not a statement.
 */
export const DIGESTS_SQL: VersionedSql = {
  mysql: {
    '8.0': `/* dbdiag:statements */ SELECT dbdiag_d.SCHEMA_NAME AS schema_name, dbdiag_d.DIGEST AS digest,
  dbdiag_d.DIGEST_TEXT AS digest_text, dbdiag_d.COUNT_STAR AS calls, dbdiag_d.SUM_TIMER_WAIT AS timer_wait,
  dbdiag_d.SUM_ROWS_SENT + dbdiag_d.SUM_ROWS_AFFECTED AS rows_returned, dbdiag_d.SUM_ROWS_EXAMINED AS rows_examined,
  dbdiag_d.SUM_NO_INDEX_USED + dbdiag_d.SUM_NO_GOOD_INDEX_USED AS no_index_used,
  dbdiag_d.QUERY_SAMPLE_TEXT AS sample_text
FROM performance_schema.events_statements_summary_by_digest AS dbdiag_d
WHERE dbdiag_d.DIGEST IS NOT NULL AND ${OWN_DIGEST_FILTER}
ORDER BY dbdiag_d.SUM_TIMER_WAIT DESC LIMIT ?`,
  },
  mariadb: {
    '10.5': `/* dbdiag:statements */ SELECT dbdiag_d.SCHEMA_NAME AS schema_name, dbdiag_d.DIGEST AS digest,
  dbdiag_d.DIGEST_TEXT AS digest_text, dbdiag_d.COUNT_STAR AS calls, dbdiag_d.SUM_TIMER_WAIT AS timer_wait,
  dbdiag_d.SUM_ROWS_SENT + dbdiag_d.SUM_ROWS_AFFECTED AS rows_returned, dbdiag_d.SUM_ROWS_EXAMINED AS rows_examined,
  dbdiag_d.SUM_NO_INDEX_USED + dbdiag_d.SUM_NO_GOOD_INDEX_USED AS no_index_used,
  NULL AS sample_text
FROM performance_schema.events_statements_summary_by_digest AS dbdiag_d
WHERE dbdiag_d.DIGEST IS NOT NULL AND ${OWN_DIGEST_FILTER}
ORDER BY dbdiag_d.SUM_TIMER_WAIT DESC LIMIT ?`,
  },
};

/**
 * There is no reset timestamp: the oldest FIRST_SEEN stands in for it. Digests are never
 * evicted one by one, so it only moves when the table is truncated (or the server restarts),
 * and then it moves past the previous sample: rates.ts treats that as a whole reset.
 */
export const FIRST_SEEN_SQL = `/* dbdiag:statements */ SELECT UNIX_TIMESTAMP(MIN(dbdiag_d.FIRST_SEEN)) AS first_seen
FROM performance_schema.events_statements_summary_by_digest AS dbdiag_d`;

/** Which statement consumers are on: digests need statements_digest; history tables need current + history. */
export const CONSUMERS_SQL = `/* dbdiag:statements */ SELECT dbdiag_c.NAME AS name, dbdiag_c.ENABLED AS enabled
FROM performance_schema.setup_consumers AS dbdiag_c
WHERE dbdiag_c.NAME IN ('global_instrumentation', 'thread_instrumentation', 'statements_digest',
  'events_statements_current', 'events_statements_history', 'events_statements_history_long')`;

/** Real statements for digests that have no cached sample yet, other sessions only. */
export const SAMPLE_TEXT_SQL = {
  history_long: `/* dbdiag:statements */ SELECT dbdiag_h.DIGEST AS digest, dbdiag_h.SQL_TEXT AS sql_text,
  dbdiag_h.TIMER_WAIT AS timer_wait
FROM performance_schema.events_statements_history_long AS dbdiag_h
WHERE dbdiag_h.DIGEST IN (?) AND dbdiag_h.THREAD_ID <> ? AND dbdiag_h.SQL_TEXT IS NOT NULL`,
  history: `/* dbdiag:statements */ SELECT dbdiag_h.DIGEST AS digest, dbdiag_h.SQL_TEXT AS sql_text,
  dbdiag_h.TIMER_WAIT AS timer_wait
FROM performance_schema.events_statements_history AS dbdiag_h
WHERE dbdiag_h.DIGEST IN (?) AND dbdiag_h.THREAD_ID <> ? AND dbdiag_h.SQL_TEXT IS NOT NULL`,
} as const;

/** Sample texts kept per target; beyond this the oldest are dropped. */
export const SAMPLE_CACHE_SIZE = 2000;

/**
 * A digest whose statements already left the history table is not looked for again before
 * this: the lookup scans the whole history table (10,000 rows by default), too much for every cycle.
 */
export const SAMPLE_RETRY_MS = 10 * 60 * 1000;

export const PERFORMANCE_SCHEMA_OFF_REASON =
  'performance_schema is off: statement statistics need it. Add performance_schema=ON under [mysqld] in my.cnf and restart the server (it cannot be turned on at runtime)';

export const DIGEST_CONSUMER_OFF_REASON =
  "performance_schema statement digests are off: run UPDATE performance_schema.setup_consumers SET ENABLED = 'YES' WHERE NAME IN ('global_instrumentation', 'statements_digest') (and set performance-schema-consumer-statements-digest=ON in my.cnf to keep it)";

interface DigestRow {
  [key: string]: string | number | null;
  schema_name: string | null;
  digest: string;
  digest_text: string | null;
  calls: string;
  timer_wait: string;
  rows_returned: string;
  rows_examined: string;
  no_index_used: string;
  sample_text: string | null;
}

type Consumers = ReadonlyMap<string, boolean>;

/** The history table a sample can come from, or null when neither is being filled. */
export function sampleSource(consumers: Consumers): keyof typeof SAMPLE_TEXT_SQL | null {
  const base =
    consumers.get('global_instrumentation') &&
    consumers.get('thread_instrumentation') &&
    consumers.get('events_statements_current');
  if (!base) return null;
  if (consumers.get('events_statements_history_long')) return 'history_long';
  if (consumers.get('events_statements_history')) return 'history';
  return null;
}

/** A sample the server cut at performance_schema_max_sql_text_length cannot be EXPLAINed. */
export function usableSample(sample: string | null, maxLength: number): string | null {
  if (sample === null || sample === '') return null;
  if (maxLength > 0 && sample.length >= maxLength) return null;
  return sample;
}

function remember(state: TargetState, digest: string, sample: string): void {
  state.sampleTexts.delete(digest);
  state.sampleTexts.set(digest, sample);
  while (state.sampleTexts.size > SAMPLE_CACHE_SIZE) {
    const oldest = state.sampleTexts.keys().next().value;
    if (oldest === undefined) break;
    state.sampleTexts.delete(oldest);
  }
}

async function fetchSamples(
  ctx: ProbeContext,
  consumers: Consumers,
  digests: readonly string[],
): Promise<void> {
  const source = sampleSource(consumers);
  const now = ctx.now();
  const missing = digests.filter(
    (d) => !ctx.state.sampleTexts.has(d) && (ctx.state.sampleMisses.get(d) ?? 0) <= now,
  );
  if (source === null || missing.length === 0) return;
  const rows = await ctx.query(SAMPLE_TEXT_SQL[source], [missing, ctx.ownThreadId ?? -1]);
  // The slowest statement of each digest is the one worth EXPLAINing.
  const best = new Map<string, { text: string; wait: number }>();
  for (const row of rows) {
    const digest = text(row.digest);
    const sample = usableSample(text(row.sql_text), ctx.maxSqlTextLength);
    if (digest === null || sample === null) continue;
    const wait = num(row.timer_wait);
    const current = best.get(digest);
    if (!current || wait > current.wait) best.set(digest, { text: sample, wait });
  }
  for (const [digest, { text: sample }] of best) remember(ctx.state, digest, sample);
  for (const digest of missing) {
    if (best.has(digest)) ctx.state.sampleMisses.delete(digest);
    else ctx.state.sampleMisses.set(digest, now + SAMPLE_RETRY_MS);
  }
  // bounded like the texts: forget the oldest misses first
  while (ctx.state.sampleMisses.size > SAMPLE_CACHE_SIZE) {
    const oldest = ctx.state.sampleMisses.keys().next().value;
    if (oldest === undefined) break;
    ctx.state.sampleMisses.delete(oldest);
  }
}

export function toStatement(row: DigestRow, sample: string | null): StatementStat {
  const calls = num(row.calls);
  return {
    id: row.digest,
    fingerprint: row.digest_text ?? '',
    database: row.schema_name,
    user: null,
    calls,
    totalSeconds: picosecondsToSeconds(row.timer_wait),
    rows: num(row.rows_returned),
    rowsExamined: num(row.rows_examined),
    // A statement can count as both "no index" and "no good index": never more than its calls.
    noIndexUsedCalls: Math.min(calls, num(row.no_index_used)),
    blocksHit: null,
    blocksRead: null,
    sample,
  };
}

/** FIRST_SEEN has whole seconds on MariaDB: round up, so a truncate in the same second as the last sample still moves it past that sample. */
export function resetAtFromFirstSeen(firstSeen: string | number | null | undefined): number | null {
  if (firstSeen === null || firstSeen === undefined || firstSeen === '') return null;
  return Math.floor(Number(firstSeen)) * 1000 + 999;
}

export async function sampleStatements(ctx: ProbeContext): Promise<ProbeOutcome> {
  if (!ctx.server.performanceSchema) return { status: 'unsupported', reason: PERFORMANCE_SCHEMA_OFF_REASON };
  const grant = lacking(ctx.state.grants, 'SELECT', 'performance_schema');
  if (grant !== null) throw new GrantMissing(grant, 'performance_schema (statement digests)');
  const sql = pickSql(DIGESTS_SQL, ctx.server);
  if (sql === null)
    return { status: 'unsupported', reason: 'statement digests need MySQL 8.0+ or MariaDB 10.5+' };
  const consumerRows = await ctx.query(CONSUMERS_SQL);
  const consumers: Consumers = new Map(consumerRows.map((r) => [String(r.name), r.enabled === 'YES']));
  if (!consumers.get('global_instrumentation') || !consumers.get('statements_digest'))
    return { status: 'unsupported', reason: DIGEST_CONSUMER_OFF_REASON };
  const at = ctx.now();
  const rows = await ctx.query<DigestRow>(sql, [ctx.limits.topStatements]);
  const [first] = await ctx.query(FIRST_SEEN_SQL);
  for (const row of rows) {
    const sample = usableSample(row.sample_text, ctx.maxSqlTextLength);
    if (sample !== null) remember(ctx.state, row.digest, sample);
  }
  if (ctx.server.flavor === 'mariadb')
    await fetchSamples(
      ctx,
      consumers,
      rows.map((r) => r.digest),
    );
  const signals: StatementSignals = {
    at,
    source: 'performance_schema',
    resetAt: resetAtFromFirstSeen(first?.first_seen),
    statements: rows.map((row) => toStatement(row, ctx.state.sampleTexts.get(row.digest) ?? null)),
  };
  return { status: 'ok', signals: { statements: signals } };
}
