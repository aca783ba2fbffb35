import type { ForeignKeyStat, IndexStat, TableSignals, TableStat } from '../../../snapshot/signals.js';
import type { ProbeOutcome } from '../../engine.js';
import type { Row } from '../connection.js';
import { bySchema, num, numOrNull, type ProbeContext, type TargetState } from '../context.js';
import { GrantMissing, lacking } from '../privileges.js';
import { pickSql, type VersionedSql } from '../server.js';

// Tables and indexes. performance_schema.table_io_waits_summary_by_index_usage has one row per
// index of each table plus one with INDEX_NAME NULL: the rows read without any index, i.e. by
// full table scans. It counts ROWS (each fetch), not scans: see estimateScans.
//
// Which tables: the top N by rows read in full scans (then by rows fetched through indexes),
// since server start. That ranks the tables a missing index hurts most; their sizes, indexes
// and foreign keys are then read from information_schema for those N tables only, one schema
// at a time (TABLE_SCHEMA = ? lets the server skip other schemas). information_schema.TABLES
// opens tables and is slow with thousands of them, so the whole probe runs on the slower
// tables schedule (config.tablesIntervalSeconds), never on every cycle.

const SYSTEM_SCHEMAS = `('mysql', 'performance_schema', 'information_schema', 'sys')`;

/**
 * One read of table_io_waits_summary_by_index_usage per run: it is materialized on every
 * read, and on MariaDB that costs superlinearly in the number of tables (about 50 ms at 2,000
 * tables, 570 ms at 6,000). Window functions (MySQL 8.0, MariaDB 10.2+) rank the tables and
 * keep their per-index rows in the same pass: every row of the top N tables comes back, the
 * NULL-index row included, with the table's totals on each.
 */
const TABLE_IO_QUERY = `/* dbdiag:tables */ SELECT dbdiag_r.table_schema, dbdiag_r.table_name, dbdiag_r.index_name, dbdiag_r.rows_fetched,
  dbdiag_r.seq_rows_read, dbdiag_r.index_rows_fetched
FROM (SELECT dbdiag_w.*, DENSE_RANK() OVER (ORDER BY dbdiag_w.seq_rows_read DESC, dbdiag_w.index_rows_fetched DESC,
    dbdiag_w.table_schema, dbdiag_w.table_name) AS table_rank
  FROM (SELECT dbdiag_io.OBJECT_SCHEMA AS table_schema, dbdiag_io.OBJECT_NAME AS table_name,
      dbdiag_io.INDEX_NAME AS index_name, dbdiag_io.COUNT_FETCH AS rows_fetched,
      SUM(IF(dbdiag_io.INDEX_NAME IS NULL, dbdiag_io.COUNT_FETCH, 0))
        OVER (PARTITION BY dbdiag_io.OBJECT_SCHEMA, dbdiag_io.OBJECT_NAME) AS seq_rows_read,
      SUM(IF(dbdiag_io.INDEX_NAME IS NULL, 0, dbdiag_io.COUNT_FETCH))
        OVER (PARTITION BY dbdiag_io.OBJECT_SCHEMA, dbdiag_io.OBJECT_NAME) AS index_rows_fetched
    FROM performance_schema.table_io_waits_summary_by_index_usage AS dbdiag_io
    WHERE dbdiag_io.OBJECT_TYPE = 'TABLE' AND dbdiag_io.OBJECT_SCHEMA NOT IN ${SYSTEM_SCHEMAS}) AS dbdiag_w
  ) AS dbdiag_r
WHERE dbdiag_r.table_rank <= ?
ORDER BY dbdiag_r.table_rank`;

/** The same text runs on both flavors (window functions: MySQL 8.0+, MariaDB 10.2+). */
export const TABLE_IO_SQL: VersionedSql = {
  mysql: { '8.0': TABLE_IO_QUERY },
  mariadb: { '10.5': TABLE_IO_QUERY },
};

/** TABLE_ROWS is InnoDB's estimate; DATA_FREE the allocated but unused space (fragmentation). */
export const TABLE_SIZES_SQL = `/* dbdiag:tables */ SELECT dbdiag_t.TABLE_NAME AS table_name, dbdiag_t.TABLE_ROWS AS table_rows,
  dbdiag_t.DATA_LENGTH AS data_length, dbdiag_t.INDEX_LENGTH AS index_length, dbdiag_t.DATA_FREE AS data_free
FROM information_schema.TABLES AS dbdiag_t
WHERE dbdiag_t.TABLE_SCHEMA = ? AND dbdiag_t.TABLE_NAME IN (?)`;

/**
 * Index columns in order. MySQL 8.0.13+ has functional key parts (COLUMN_NAME NULL, the
 * expression in EXPRESSION); MariaDB and MySQL before 8.0.13 have no EXPRESSION column.
 */
function indexColumnsSql(expression: 'NULL' | 'dbdiag_s.EXPRESSION', usable = ''): string {
  return `/* dbdiag:tables */ SELECT dbdiag_s.TABLE_NAME AS table_name, dbdiag_s.INDEX_NAME AS index_name,
  dbdiag_s.NON_UNIQUE AS non_unique, dbdiag_s.SEQ_IN_INDEX AS seq, dbdiag_s.COLUMN_NAME AS column_name,
  dbdiag_s.SUB_PART AS sub_part, dbdiag_s.COLLATION AS collation, ${expression} AS expression
FROM information_schema.STATISTICS AS dbdiag_s
WHERE dbdiag_s.TABLE_SCHEMA = ? AND dbdiag_s.TABLE_NAME IN (?)${usable}
ORDER BY dbdiag_s.TABLE_NAME, dbdiag_s.INDEX_NAME, dbdiag_s.SEQ_IN_INDEX`;
}

/** an index the optimizer may not use (MySQL 8 INVISIBLE, MariaDB 10.6+ IGNORED) is left out */
const VISIBLE_ONLY = " AND dbdiag_s.IS_VISIBLE = 'YES'";
const NOT_IGNORED = " AND dbdiag_s.IGNORED = 'NO'";

export const INDEX_COLUMNS_SQL: VersionedSql = {
  mysql: {
    '8.0': indexColumnsSql('NULL', VISIBLE_ONLY),
    '8.0.13': indexColumnsSql('dbdiag_s.EXPRESSION', VISIBLE_ONLY),
  },
  mariadb: { '10.5': indexColumnsSql('NULL'), '10.6': indexColumnsSql('NULL', NOT_IGNORED) },
};

export const FOREIGN_KEYS_SQL = `/* dbdiag:tables */ SELECT dbdiag_k.TABLE_NAME AS table_name, dbdiag_k.CONSTRAINT_NAME AS name,
  dbdiag_k.COLUMN_NAME AS column_name, dbdiag_k.REFERENCED_TABLE_SCHEMA AS ref_schema,
  dbdiag_k.REFERENCED_TABLE_NAME AS ref_table, dbdiag_k.REFERENCED_COLUMN_NAME AS ref_column
FROM information_schema.KEY_COLUMN_USAGE AS dbdiag_k
WHERE dbdiag_k.TABLE_SCHEMA = ? AND dbdiag_k.TABLE_NAME IN (?) AND dbdiag_k.REFERENCED_TABLE_NAME IS NOT NULL
ORDER BY dbdiag_k.TABLE_NAME, dbdiag_k.CONSTRAINT_NAME, dbdiag_k.ORDINAL_POSITION`;

export const TABLES_PERFORMANCE_SCHEMA_OFF_REASON =
  'performance_schema is off: per-table scan and index counters need it. Add performance_schema=ON under [mysqld] in my.cnf and restart the server';

/**
 * Full scans, estimated. performance_schema counts rows read without an index, not scans. One
 * full scan of a table reads about TABLE_ROWS rows, so each interval adds
 * Δ(rows read without index) / max(TABLE_ROWS, 1) to a running count per table: a full scan of
 * the whole table adds 1, a scan cut short by LIMIT less. The count lives in target state, so
 * a reconnect does not restart it; a counter that went down (server restart, TRUNCATE of the
 * summary table) contributes what it has counted since.
 */
export function estimateScans(
  state: TargetState,
  table: string,
  rowsRead: number,
  tableRows: number | null,
): number {
  const previous = state.scanEstimates.get(table);
  const delta =
    previous === undefined
      ? rowsRead
      : rowsRead >= previous.rowsRead
        ? rowsRead - previous.rowsRead
        : rowsRead;
  const scans = (previous?.scans ?? 0) + delta / Math.max(1, tableRows ?? 1);
  state.scanEstimates.set(table, { rowsRead, scans });
  return scans;
}

interface IndexColumnRow {
  [key: string]: string | number | null;
  table_name: string;
  index_name: string;
  non_unique: string | number;
  column_name: string | null;
  sub_part: string | number | null;
  collation: string | null;
  expression: string | null;
}

function quoteIdent(name: string): string {
  return `\`${name.replace(/`/g, '``')}\``;
}

/** A key part as in the DDL: `col`, a prefix `col(10)`, a functional part `(expr)`, with DESC. */
export function keyPart(
  row: Pick<IndexColumnRow, 'column_name' | 'sub_part' | 'collation' | 'expression'>,
): string {
  const base =
    row.column_name === null
      ? `(${row.expression ?? '?'})`
      : row.sub_part === null
        ? row.column_name
        : `${row.column_name}(${num(row.sub_part)})`;
  return row.collation === 'D' ? `${base} DESC` : base;
}

/** Index rows (one per key part, in order) into IndexStat, usage attached. */
export function indexesFrom(
  schema: string,
  rows: readonly IndexColumnRow[],
  fetchedByIndex: ReadonlyMap<string, number>,
): IndexStat[] {
  const indexes = new Map<string, IndexStat>();
  for (const row of rows) {
    const table = `${schema}.${row.table_name}`;
    const key = `${table}\u0000${row.index_name}`;
    let index = indexes.get(key);
    if (!index) {
      const primary = row.index_name === 'PRIMARY';
      index = {
        table,
        index: row.index_name,
        columns: [],
        unique: num(row.non_unique) === 0,
        primary,
        where: null,
        scans: fetchedByIndex.get(key) ?? 0,
        sizeBytes: null,
        definition: null,
      };
      indexes.set(key, index);
    }
    index.columns.push(keyPart(row));
  }
  for (const index of indexes.values()) {
    const [schemaName, tableName] = [schema, index.table.slice(schema.length + 1)];
    const target = `${quoteIdent(schemaName)}.${quoteIdent(tableName)}`;
    index.definition = index.primary
      ? `ALTER TABLE ${target} ADD PRIMARY KEY (${index.columns.join(', ')})`
      : `CREATE ${index.unique ? 'UNIQUE ' : ''}INDEX ${quoteIdent(index.index)} ON ${target} (${index.columns.join(', ')})`;
  }
  return [...indexes.values()];
}

export function foreignKeysFrom(schema: string, rows: readonly Row[]): ForeignKeyStat[] {
  const keys = new Map<string, ForeignKeyStat>();
  for (const row of rows) {
    const tableName = String(row.table_name);
    const name = String(row.name);
    const key = `${tableName}\u0000${name}`;
    let fk = keys.get(key);
    if (!fk) {
      fk = {
        table: `${schema}.${tableName}`,
        name,
        columns: [],
        referencedTable: `${String(row.ref_schema)}.${String(row.ref_table)}`,
        referencedColumns: [],
      };
      keys.set(key, fk);
    }
    fk.columns.push(String(row.column_name));
    fk.referencedColumns.push(String(row.ref_column));
  }
  return [...keys.values()];
}

export async function sampleTables(ctx: ProbeContext): Promise<ProbeOutcome> {
  if (!ctx.server.performanceSchema)
    return { status: 'unsupported', reason: TABLES_PERFORMANCE_SCHEMA_OFF_REASON };
  const grant = lacking(ctx.state.grants, 'SELECT', 'performance_schema');
  if (grant !== null) throw new GrantMissing(grant, 'performance_schema (table and index I/O counters)');
  const ioSql = pickSql(TABLE_IO_SQL, ctx.server);
  const columnsSql = pickSql(INDEX_COLUMNS_SQL, ctx.server);
  if (ioSql === null || columnsSql === null)
    return { status: 'unsupported', reason: 'tables probe needs MySQL 8.0+ or MariaDB 10.5+' };
  const at = ctx.now();
  const io = await ctx.query(ioSql, [ctx.limits.topTables]);
  const byTable = new Map<string, { schema: string; name: string; row: Row }>();
  const fetched = new Map<string, number>();
  for (const row of io) {
    const schema = String(row.table_schema);
    const name = String(row.table_name);
    if (!byTable.has(`${schema}.${name}`)) byTable.set(`${schema}.${name}`, { schema, name, row });
    if (row.index_name !== null)
      fetched.set(`${schema}.${name}\u0000${String(row.index_name)}`, num(row.rows_fetched));
  }
  const chosen = [...byTable.values()];

  const sizes = new Map<string, Row>();
  const indexes: IndexStat[] = [];
  const foreignKeys: ForeignKeyStat[] = [];
  for (const [schema, names] of bySchema(chosen)) {
    for (const row of await ctx.query(TABLE_SIZES_SQL, [schema, names]))
      sizes.set(`${schema}.${String(row.table_name)}`, row);
    indexes.push(
      ...indexesFrom(schema, await ctx.query<IndexColumnRow>(columnsSql, [schema, names]), fetched),
    );
    foreignKeys.push(...foreignKeysFrom(schema, await ctx.query(FOREIGN_KEYS_SQL, [schema, names])));
  }

  const tables: TableStat[] = chosen.map(({ schema, name, row }) => {
    const table = `${schema}.${name}`;
    const size = sizes.get(table);
    const tableRows = numOrNull(size?.table_rows);
    const seqRowsRead = num(row.seq_rows_read);
    const indexRowsFetched = num(row.index_rows_fetched);
    return {
      table,
      seqScans: estimateScans(ctx.state, table, seqRowsRead, tableRows),
      seqRowsRead,
      // Rows fetched through any index: MySQL does not count index scans either.
      indexScans: indexRowsFetched,
      indexRowsFetched,
      liveRows: tableRows,
      deadRows: null,
      rowsModifiedSinceAnalyze: null,
      lastVacuumAt: null,
      lastAnalyzeAt: null,
      dataBytes: numOrNull(size?.data_length),
      indexBytes: numOrNull(size?.index_length),
      freeBytes: numOrNull(size?.data_free),
      heapBlocksHit: null,
      heapBlocksRead: null,
      indexBlocksHit: null,
      indexBlocksRead: null,
    };
  });
  const signals: TableSignals = {
    at,
    resetAt: null,
    tables,
    indexes: indexes.slice(0, ctx.limits.topIndexes),
    foreignKeys,
  };
  return { status: 'ok', signals: { tables: signals } };
}
