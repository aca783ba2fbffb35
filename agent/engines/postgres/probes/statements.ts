import type { StatementSignals, StatementStat } from '../../../snapshot/signals.js';
import { epochMs, num, type PgProbe, type PgProbeContext, PgQueryError, unsupported } from '../probe.js';
import { sqlForVersion, type VersionedSql, versionLabel } from '../sql-version.js';

// pg_stat_statements counters every cycle, query texts only for queryids not seen before.
// The counters come from pg_stat_statements(false): the view calls it with showtext = true,
// which reads the whole external query-text file on every call. Texts are fetched once per
// new queryid and cached for as long as the queryid stays in the counters.
//
// The agent's own statements carry the marker comment (`/* dbdiag:`) at the start of their
// text (13..17) and TRAILING_MARKER at its end (18 keeps only that one): their queryids are
// remembered and left out. `sample` is always null: PostgreSQL keeps
// no statement with its literals.
//
// Version differences (the extension's C function follows the server's major version):
//   13: 1.8, total_exec_time; no `toplevel`, no pg_stat_statements_info (resetAt unknown)
//   14: 1.9, `toplevel` (nested statements are already inside their caller's time: dropped),
//       pg_stat_statements_info.stats_reset
//   17: 1.11 renamed blk_read_time to shared_blk_read_time (not read here) and added
//       per-entry stats_since: nothing this probe reads changed name.

export const MARKER = '/* dbdiag:';
/** appended to an agent query without a marker of its own (PostgreSQL 18 drops leading comments) */
export const TRAILING_MARKER = '/* dbdiag */';
/** the end of every agent query: its marker repeated, or TRAILING_MARKER */
const OWN_TAIL = /\/\* dbdiag(:[a-z-]+)? \*\/\s*$/;

const COUNTER_COLUMNS = `s.queryid::text AS id, d.datname AS database, r.rolname AS "user",
  s.calls::float8 AS calls, s.total_exec_time::float8 AS total_ms, s.rows::float8 AS rows,
  s.shared_blks_hit::float8 AS blocks_hit, s.shared_blks_read::float8 AS blocks_read`;

/** `@extschema@` is replaced by the quoted schema the extension lives in. */
export const STATEMENT_COUNTERS_SQL: VersionedSql = {
  130000: `/* dbdiag:statements */ SELECT ${COUNTER_COLUMNS}
FROM @extschema@.pg_stat_statements(false) s
LEFT JOIN pg_database d ON d.oid = s.dbid
LEFT JOIN pg_roles r ON r.oid = s.userid
WHERE s.queryid IS NOT NULL`,
  140000: `/* dbdiag:statements */ SELECT ${COUNTER_COLUMNS}
FROM @extschema@.pg_stat_statements(false) s
LEFT JOIN pg_database d ON d.oid = s.dbid
LEFT JOIN pg_roles r ON r.oid = s.userid
WHERE s.queryid IS NOT NULL AND s.toplevel`,
};

export const STATEMENT_TEXTS_SQL: VersionedSql = {
  130000: `/* dbdiag:statements */ SELECT DISTINCT ON (s.queryid) s.queryid::text AS id, s.query
FROM @extschema@.pg_stat_statements(true) s
WHERE s.queryid = ANY($1::bigint[])`,
};

export const STATEMENTS_RESET_SQL: VersionedSql = {
  140000: `/* dbdiag:statements */ SELECT stats_reset FROM @extschema@.pg_stat_statements_info`,
};

export const EXTENSION_SQL: VersionedSql = {
  130000: `/* dbdiag:statements */ SELECT e.extversion, quote_ident(n.nspname) AS schema
FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
WHERE e.extname = 'pg_stat_statements'`,
};

/** Texts longer than this are cut: they become the fingerprint label. */
const MAX_FINGERPRINT_CHARS = 2000;

interface CounterRow {
  id: string;
  database: string | null;
  user: string | null;
  calls: number;
  total_ms: number;
  rows: number;
  blocks_hit: number | null;
  blocks_read: number | null;
}

/** The agent's own statements start with its marker, or end with the trailing one. */
export function isOwnStatement(text: string): boolean {
  return text.trimStart().startsWith(MARKER) || OWN_TAIL.test(text);
}

export function normalizeFingerprint(text: string): string {
  const oneLine = text.replace(/\s+/g, ' ').trim();
  return oneLine.length > MAX_FINGERPRINT_CHARS ? `${oneLine.slice(0, MAX_FINGERPRINT_CHARS)}…` : oneLine;
}

function withSchema(sql: string, schema: string): string {
  return sql.replaceAll('@extschema@', schema);
}

export function createStatementsProbe(): PgProbe {
  /** queryid -> normalized text, or null for the agent's own statements */
  let texts = new Map<string, string | null>();
  return {
    async run(context: PgProbeContext) {
      const v = context.versionNum;
      const extensionSql = sqlForVersion(EXTENSION_SQL, v);
      const countersSql = sqlForVersion(STATEMENT_COUNTERS_SQL, v);
      const textsSql = sqlForVersion(STATEMENT_TEXTS_SQL, v);
      if (extensionSql === null || countersSql === null || textsSql === null) {
        return unsupported(`PostgreSQL ${versionLabel(v)} is older than 13`);
      }
      const [extension] = await context.query<{ extversion: string; schema: string }>(extensionSql);
      if (extension === undefined) {
        return unsupported(
          `pg_stat_statements is not installed in database "${context.database}": ` +
            'CREATE EXTENSION pg_stat_statements (it must also be in shared_preload_libraries)',
        );
      }
      const at = Date.now();
      let counters: CounterRow[];
      try {
        counters = await context.query<CounterRow>(withSchema(countersSql, extension.schema));
      } catch (error) {
        if (error instanceof PgQueryError && error.sqlState === '55000') {
          // object_not_in_prerequisite_state: "must be loaded via shared_preload_libraries"
          return unsupported(
            'pg_stat_statements is installed but not loaded: add it to shared_preload_libraries and restart the server',
          );
        }
        if (error instanceof PgQueryError && (error.sqlState === '42883' || error.sqlState === '42703')) {
          return unsupported(
            `pg_stat_statements ${extension.extversion} in database "${context.database}" is older than the server: ` +
              'ALTER EXTENSION pg_stat_statements UPDATE',
          );
        }
        throw error;
      }

      const unseen = [...new Set(counters.map((c) => c.id))].filter((id) => !texts.has(id));
      if (unseen.length > 0) {
        const rows = await context.query<{ id: string; query: string | null }>(
          withSchema(textsSql, extension.schema),
          [unseen],
        );
        for (const row of rows) {
          const text = row.query ?? '';
          texts.set(row.id, isOwnStatement(text) ? null : normalizeFingerprint(text));
        }
      }
      // Keep only the queryids still present, so the cache is bounded by pg_stat_statements.max.
      const next = new Map<string, string | null>();
      const statements: StatementStat[] = [];
      for (const row of counters) {
        const text = texts.get(row.id);
        if (text === undefined) continue; // evicted between the two reads: next cycle
        next.set(row.id, text);
        if (text === null) continue;
        statements.push({
          id: row.id,
          fingerprint: text,
          database: row.database,
          user: row.user,
          calls: num(row.calls),
          totalSeconds: num(row.total_ms) / 1000,
          rows: num(row.rows),
          rowsExamined: null,
          noIndexUsedCalls: null,
          blocksHit: row.blocks_hit,
          blocksRead: row.blocks_read,
          sample: null,
        });
      }
      texts = next;

      let resetAt: number | null = null;
      const resetSql = sqlForVersion(STATEMENTS_RESET_SQL, v);
      if (resetSql !== null) {
        const [info] = await context.query<{ stats_reset: Date | null }>(
          withSchema(resetSql, extension.schema),
        );
        resetAt = epochMs(info?.stats_reset ?? null);
      }
      const signals: StatementSignals = { at, source: 'pg_stat_statements', resetAt, statements };
      if (context.readsAllStats) return { status: 'ok', signals: { statements: signals } };
      // Without pg_read_all_stats, pg_stat_statements shows other roles' rows without their
      // text (skipped above): what is left is this role's own statements only.
      return {
        status: 'ok',
        signals: { statements: signals },
        partial:
          `role "${context.user}" is not a member of pg_read_all_stats: the statements of other roles are hidden ` +
          `— GRANT pg_read_all_stats TO "${context.user}" (or GRANT pg_monitor)`,
      };
    },
  };
}
