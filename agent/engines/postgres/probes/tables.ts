import type { ForeignKeyStat, IndexStat, TableSignals, TableStat } from '../../../snapshot/signals.js';
import { epochMs, num, numOrNull, type PgProbe, type PgProbeContext, unsupported } from '../probe.js';
import { sqlForVersion, type VersionedSql, versionLabel } from '../sql-version.js';

// Per-table statistics of the connected database, bounded by limits.topTables. Which tables:
//   1. the top N by rows read sequentially + blocks read from outside shared_buffers (heap and
//      index): the tables that cost the most reads, where missing indexes and cache misses show;
//   2. up to N tables holding a foreign key that no index covers (no valid, non-partial index
//      whose leading key columns are the key's columns), largest first: the fk-without-index
//      advisor needs them whether or not they are busy right now;
//   3. the top N by dead rows or rows modified since the last analyze: vacuum and stale
//      statistics advice.
// At most 3N tables, whatever the table count. Ranking reads only the cheap per-table counters
// of all tables; sizes (a stat() per relation fork) are taken for the chosen tables only.
// Indexes: every index of the chosen tables, plus the `topIndexes` largest never-scanned
// indexes elsewhere (unused-index advice). Foreign keys: those of the chosen tables.

export const TABLES_SQL: VersionedSql = {
  130000: `/* dbdiag:tables */ WITH t AS (
  SELECT s.relid, s.schemaname, s.relname, s.seq_scan, s.seq_tup_read, s.idx_scan, s.idx_tup_fetch,
    s.n_live_tup, s.n_dead_tup, s.n_mod_since_analyze,
    greatest(s.last_vacuum, s.last_autovacuum) AS last_vacuum,
    greatest(s.last_analyze, s.last_autoanalyze) AS last_analyze,
    io.heap_blks_hit, io.heap_blks_read, io.idx_blks_hit, io.idx_blks_read
  FROM pg_stat_user_tables s
  JOIN pg_statio_user_tables io ON io.relid = s.relid
), uncovered_fk AS (
  SELECT DISTINCT c.conrelid AS relid
  FROM pg_constraint c
  WHERE c.contype = 'f'
    AND NOT EXISTS (
      SELECT 1 FROM pg_index i
      WHERE i.indrelid = c.conrelid AND i.indisvalid AND i.indpred IS NULL
        AND (i.indkey::int2[])[0:cardinality(c.conkey) - 1] @> c.conkey)
), picked AS (
  (SELECT relid FROM t
    WHERE coalesce(seq_tup_read, 0) + coalesce(heap_blks_read, 0) + coalesce(idx_blks_read, 0) > 0
    ORDER BY coalesce(seq_tup_read, 0) + coalesce(heap_blks_read, 0) + coalesce(idx_blks_read, 0) DESC, relid
    LIMIT $1)
  UNION
  (SELECT t.relid FROM t JOIN uncovered_fk u ON u.relid = t.relid
    ORDER BY t.n_live_tup DESC NULLS LAST, t.relid LIMIT $1)
  UNION
  (SELECT relid FROM t
    WHERE greatest(n_dead_tup, n_mod_since_analyze) > 0
    ORDER BY greatest(n_dead_tup, n_mod_since_analyze) DESC, relid LIMIT $1)
)
SELECT t.relid::int8 AS relid, t.schemaname || '.' || t.relname AS "table",
  t.seq_scan::float8 AS seq_scans, t.seq_tup_read::float8 AS seq_rows_read,
  coalesce(t.idx_scan, 0)::float8 AS index_scans, t.idx_tup_fetch::float8 AS index_rows_fetched,
  t.n_live_tup::float8 AS live_rows, t.n_dead_tup::float8 AS dead_rows,
  t.n_mod_since_analyze::float8 AS modified_since_analyze,
  t.last_vacuum, t.last_analyze,
  pg_table_size(t.relid)::float8 AS data_bytes, pg_indexes_size(t.relid)::float8 AS index_bytes,
  t.heap_blks_hit::float8 AS heap_blocks_hit, t.heap_blks_read::float8 AS heap_blocks_read,
  t.idx_blks_hit::float8 AS index_blocks_hit, t.idx_blks_read::float8 AS index_blocks_read
FROM t JOIN picked p ON p.relid = t.relid`,
};

// Key columns only (INCLUDE columns cannot serve a lookup); each as pg_get_indexdef renders it,
// so an expression column reads as in the DDL. Valid indexes only, as the catalog facts read
// them: an index that CREATE INDEX CONCURRENTLY is still building serves nothing yet, and
// listing it under the same name before and after the build would leave the index advice
// with facts read mid-build (the table's version would not change when the build ends).
export const INDEXES_SQL: VersionedSql = {
  130000: `/* dbdiag:tables */ WITH chosen AS (
  SELECT i.indexrelid FROM pg_index i WHERE i.indrelid = ANY($1::oid[]) AND i.indisvalid
  UNION
  (SELECT i.indexrelid FROM pg_index i
    JOIN pg_class c ON c.oid = i.indexrelid
    JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE NOT i.indisprimary AND NOT i.indisunique AND i.indisvalid
      AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%'
      AND pg_stat_get_numscans(i.indexrelid) = 0
    ORDER BY c.relpages DESC, i.indexrelid LIMIT $2)
)
SELECT tn.nspname || '.' || tc.relname AS "table", ic.relname AS "index",
  ARRAY(SELECT pg_get_indexdef(i.indexrelid, k, true) FROM generate_series(1, i.indnkeyatts) AS k ORDER BY k) AS columns,
  i.indisunique AS "unique", i.indisprimary AS "primary",
  pg_get_expr(i.indpred, i.indrelid, true) AS "where",
  pg_stat_get_numscans(i.indexrelid)::float8 AS scans,
  pg_relation_size(i.indexrelid)::float8 AS size_bytes,
  pg_get_indexdef(i.indexrelid) AS definition
FROM chosen ch
JOIN pg_index i ON i.indexrelid = ch.indexrelid
JOIN pg_class ic ON ic.oid = i.indexrelid
JOIN pg_class tc ON tc.oid = i.indrelid
JOIN pg_namespace tn ON tn.oid = tc.relnamespace`,
};

export const FOREIGN_KEYS_SQL: VersionedSql = {
  130000: `/* dbdiag:tables */ SELECT cn.nspname || '.' || cc.relname AS "table", c.conname AS name,
  ARRAY(SELECT a.attname FROM unnest(c.conkey) WITH ORDINALITY AS k(attnum, ord)
    JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.attnum ORDER BY k.ord)::text[] AS columns,
  rn.nspname || '.' || rc.relname AS referenced_table,
  ARRAY(SELECT a.attname FROM unnest(c.confkey) WITH ORDINALITY AS k(attnum, ord)
    JOIN pg_attribute a ON a.attrelid = c.confrelid AND a.attnum = k.attnum ORDER BY k.ord)::text[] AS referenced_columns
FROM pg_constraint c
JOIN pg_class cc ON cc.oid = c.conrelid JOIN pg_namespace cn ON cn.oid = cc.relnamespace
JOIN pg_class rc ON rc.oid = c.confrelid JOIN pg_namespace rn ON rn.oid = rc.relnamespace
WHERE c.contype = 'f' AND c.conrelid = ANY($1::oid[])`,
};

export const TABLES_RESET_SQL: VersionedSql = {
  130000: `/* dbdiag:tables */ SELECT stats_reset FROM pg_stat_database WHERE datname = current_database()`,
};

interface TableRow {
  relid: string;
  table: string;
  seq_scans: number | null;
  seq_rows_read: number | null;
  index_scans: number | null;
  index_rows_fetched: number | null;
  live_rows: number | null;
  dead_rows: number | null;
  modified_since_analyze: number | null;
  last_vacuum: Date | null;
  last_analyze: Date | null;
  data_bytes: number | null;
  index_bytes: number | null;
  heap_blocks_hit: number | null;
  heap_blocks_read: number | null;
  index_blocks_hit: number | null;
  index_blocks_read: number | null;
}

interface IndexRow {
  table: string;
  index: string;
  columns: string[];
  unique: boolean;
  primary: boolean;
  where: string | null;
  scans: number | null;
  size_bytes: number | null;
  definition: string | null;
}

interface ForeignKeyRow {
  table: string;
  name: string;
  columns: string[];
  referenced_table: string;
  referenced_columns: string[];
}

export function toTableStat(row: TableRow): TableStat {
  return {
    table: row.table,
    seqScans: num(row.seq_scans),
    seqRowsRead: num(row.seq_rows_read),
    indexScans: num(row.index_scans),
    indexRowsFetched: numOrNull(row.index_rows_fetched),
    liveRows: numOrNull(row.live_rows),
    deadRows: numOrNull(row.dead_rows),
    rowsModifiedSinceAnalyze: numOrNull(row.modified_since_analyze),
    lastVacuumAt: epochMs(row.last_vacuum),
    lastAnalyzeAt: epochMs(row.last_analyze),
    dataBytes: numOrNull(row.data_bytes),
    indexBytes: numOrNull(row.index_bytes),
    freeBytes: null,
    heapBlocksHit: numOrNull(row.heap_blocks_hit),
    heapBlocksRead: numOrNull(row.heap_blocks_read),
    indexBlocksHit: numOrNull(row.index_blocks_hit),
    indexBlocksRead: numOrNull(row.index_blocks_read),
  };
}

export function createTablesProbe(): PgProbe {
  return {
    async run(context: PgProbeContext) {
      const v = context.versionNum;
      const tablesSql = sqlForVersion(TABLES_SQL, v);
      const indexesSql = sqlForVersion(INDEXES_SQL, v);
      const foreignKeysSql = sqlForVersion(FOREIGN_KEYS_SQL, v);
      const resetSql = sqlForVersion(TABLES_RESET_SQL, v);
      if (tablesSql === null || indexesSql === null || foreignKeysSql === null || resetSql === null) {
        return unsupported(`PostgreSQL ${versionLabel(v)} is older than 13`);
      }
      const at = Date.now();
      const tableRows = await context.query<TableRow>(tablesSql, [context.limits.topTables]);
      const relids = tableRows.map((r) => r.relid);
      const indexRows = await context.query<IndexRow>(indexesSql, [relids, context.limits.topIndexes]);
      const foreignKeyRows = await context.query<ForeignKeyRow>(foreignKeysSql, [relids]);
      const [reset] = await context.query<{ stats_reset: Date | null }>(resetSql);

      const indexes: IndexStat[] = indexRows.map((r) => ({
        table: r.table,
        index: r.index,
        columns: r.columns,
        unique: r.unique,
        primary: r.primary,
        where: r.where,
        scans: numOrNull(r.scans),
        sizeBytes: numOrNull(r.size_bytes),
        definition: r.definition,
      }));
      const foreignKeys: ForeignKeyStat[] = foreignKeyRows.map((r) => ({
        table: r.table,
        name: r.name,
        columns: r.columns,
        referencedTable: r.referenced_table,
        referencedColumns: r.referenced_columns,
      }));
      const tables: TableSignals = {
        at,
        resetAt: epochMs(reset?.stats_reset ?? null),
        tables: tableRows.map(toTableStat),
        indexes,
        foreignKeys,
      };
      return { status: 'ok', signals: { tables } };
    },
  };
}
