import type { ColumnFacts, ExistingIndex, TableFacts } from '../engine.js';
import { HELPER_COLUMN_FACTS_SQL } from './helper.js';

// Catalog facts for index advice, for one table as a statement names it (to_regclass
// resolves unqualified names through the search_path, as the statement did): the planner's
// row estimate, per-column statistics from pg_stats, and the valid indexes' key columns.
// Columns without statistics (never analyzed) are estimated from a bounded sample.
//
// A monitoring role (pg_monitor) may not read the application's tables: pg_stats hides the
// rows of columns it cannot SELECT. Then the statistics come from the dbdiag helper
// (dbdiag.column_stats, see grants.ts), and the sample is taken only of columns the role may
// read, so the agent never causes a "permission denied" in the server log. The table's own
// privileges are returned too: EXPLAIN needs them (what-if.ts).

/** `timeoutMs`: this query may run longer than the agent's usual statement timeout (client side). */
export type PgQuery = <R extends object>(
  sql: string,
  params?: unknown[],
  options?: { timeoutMs?: number },
) => Promise<R[]>;

export const TABLE_FACTS_SQL = `/* dbdiag:catalog-facts */ SELECT c.oid::int8 AS oid, n.nspname AS schema, c.relname AS name,
  (CASE WHEN c.reltuples >= 0 THEN c.reltuples ELSE coalesce(s.n_live_tup, 0) END)::float8 AS rows,
  pg_table_size(c.oid)::float8 AS data_bytes,
  has_table_privilege(c.oid, 'SELECT') AS can_select,
  has_table_privilege(c.oid, 'UPDATE') AND has_table_privilege(c.oid, 'DELETE') AS can_modify
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_stat_user_tables s ON s.relid = c.oid
WHERE c.oid = to_regclass($1) AND c.relkind IN ('r', 'p', 'm')`;

/**
 * Columns with their statistics, and the operator class a btree needs to serve LIKE 'prefix%'
 * on them: text_pattern_ops (varchar_/bpchar_) unless the collation sorts by byte (libc C or
 * POSIX, the builtin provider). The database's own collation is read through to_jsonb so the
 * same text runs before and after PostgreSQL 15 added datlocprovider (ICU defaults).
 */
export const COLUMN_FACTS_SQL = `/* dbdiag:catalog-facts */ SELECT a.attname AS name, s.n_distinct::float8 AS n_distinct,
  s.null_frac::float8 AS null_frac, s.avg_width::float8 AS avg_width,
  CASE WHEN coll.provider IS NULL OR coll.provider = 'b' OR (coll.provider = 'c' AND coll.lc IN ('C', 'POSIX')) THEN NULL
    WHEN a.atttypid = 'pg_catalog.bpchar'::pg_catalog.regtype THEN 'bpchar_pattern_ops'
    WHEN a.atttypid = 'pg_catalog.varchar'::pg_catalog.regtype THEN 'varchar_pattern_ops'
    WHEN a.atttypid = 'pg_catalog.text'::pg_catalog.regtype THEN 'text_pattern_ops' END AS pattern_opclass,
  has_column_privilege(a.attrelid, a.attnum, 'SELECT') AS readable
FROM pg_attribute a
LEFT JOIN pg_stats s ON s.schemaname = $2 AND s.tablename = $3 AND s.attname = a.attname
LEFT JOIN LATERAL (
  SELECT CASE WHEN co.collname = 'default' THEN COALESCE(db.d ->> 'datlocprovider', 'c') ELSE co.collprovider::text END AS provider,
    CASE WHEN co.collname = 'default' THEN db.d ->> 'datcollate' ELSE co.collcollate END AS lc
  FROM pg_catalog.pg_collation co,
    (SELECT pg_catalog.to_jsonb(dd) AS d FROM pg_catalog.pg_database dd WHERE dd.datname = pg_catalog.current_database()) db
  WHERE co.oid = a.attcollation
) coll ON true
WHERE a.attrelid = $1::oid AND a.attnum > 0 AND NOT a.attisdropped`;

export const INDEX_FACTS_SQL = `/* dbdiag:catalog-facts */ SELECT ic.relname AS name,
  ARRAY(SELECT pg_get_indexdef(i.indexrelid, k, true) FROM generate_series(1, i.indnkeyatts) AS k ORDER BY k) AS columns,
  i.indisunique AS "unique", i.indisprimary AS "primary", pg_get_expr(i.indpred, i.indrelid, true) AS "where"
FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid
WHERE i.indrelid = $1::oid AND i.indisvalid`;

/** rows sampled to estimate distinct values of columns the planner has no statistics for */
export const SAMPLE_ROWS = 10_000;

function quote(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** Distinct values in the table from a sample: near-unique samples scale with the table. */
export function scaleSampleDistinct(distinct: number, sampled: number, rows: number): number {
  if (sampled <= 0) return 0;
  const ratio = distinct / sampled;
  return ratio > 0.5 ? Math.max(distinct, ratio * rows) : distinct;
}

/** What the connected role may do with a table: EXPLAIN needs what running the statement needs. */
export interface TableAccess {
  select: boolean;
  /** UPDATE and DELETE */
  modify: boolean;
}

export interface PostgresTableFacts {
  facts: TableFacts;
  access: TableAccess;
}

export async function postgresTableFacts(
  query: PgQuery,
  table: string,
  wanted: readonly string[],
  options: { columnStatsHelper?: boolean } = {},
): Promise<PostgresTableFacts | null> {
  const [t] = await query<{
    oid: string;
    schema: string;
    name: string;
    rows: number;
    data_bytes: number | null;
    can_select: boolean;
    can_modify: boolean;
  }>(TABLE_FACTS_SQL, [table]);
  if (!t) return null;
  const rows = Number(t.rows);
  const columnRows = await query<{
    name: string;
    n_distinct: number | null;
    null_frac: number | null;
    avg_width: number | null;
    pattern_opclass: string | null;
    readable: boolean;
  }>(options.columnStatsHelper ? HELPER_COLUMN_FACTS_SQL : COLUMN_FACTS_SQL, [t.oid, t.schema, t.name]);
  const readable = new Set(columnRows.filter((c) => c.readable).map((c) => c.name));
  const columns: ColumnFacts[] = columnRows.map((c) => ({
    name: c.name,
    distinct: c.n_distinct === null ? null : c.n_distinct < 0 ? -c.n_distinct * rows : c.n_distinct,
    nullFraction: c.null_frac,
    avgWidth: c.avg_width,
    patternOpclass: c.pattern_opclass,
  }));
  const lower = new Set(wanted.map((w) => w.replace(/^[a-z_0-9]+\((.+)\)$/i, '$1').toLowerCase()));
  const missing = columns.filter(
    (c) => c.distinct === null && lower.has(c.name.toLowerCase()) && readable.has(c.name),
  );
  if (missing.length > 0 && rows > 0) {
    const list = missing.map((c, i) => `count(DISTINCT ${quote(c.name)})::float8 AS d${i}`).join(', ');
    const sql = `/* dbdiag:catalog-facts */ SELECT ${list}, count(*)::float8 AS n FROM (SELECT ${missing
      .map((c) => quote(c.name))
      .join(', ')} FROM ${quote(t.schema)}.${quote(t.name)} LIMIT ${SAMPLE_ROWS}) AS s`;
    const [sample] = await query<Record<string, number>>(sql);
    if (sample) {
      missing.forEach((c, i) => {
        c.distinct = scaleSampleDistinct(
          Number(sample[`d${i}`] ?? 0),
          Number(sample.n ?? 0),
          Math.max(rows, Number(sample.n ?? 0)),
        );
      });
    }
  }
  const indexes = await query<{
    name: string;
    columns: string[];
    unique: boolean;
    primary: boolean;
    where: string | null;
  }>(INDEX_FACTS_SQL, [t.oid]);
  return {
    facts: {
      table: `${t.schema}.${t.name}`,
      rows,
      dataBytes: t.data_bytes,
      columns,
      indexes: indexes.map((i): ExistingIndex => ({ ...i })),
    },
    access: { select: t.can_select, modify: t.can_modify },
  };
}
