import type {
  ColumnFacts,
  ExistingIndex,
  IndexVerifier,
  PlanAccess,
  PlanCost,
  TableFacts,
} from '../engine.js';
import type { Row } from './connection.js';
import { holds, type OwnGrants } from './privileges.js';

// Index advice on MySQL/MariaDB: no what-if facility, so the evidence is EXPLAIN FORMAT=JSON of
// the statement (access type and rows per table), the tables' index cardinality from
// information_schema.STATISTICS, and for columns no index leads, distinct values estimated
// from a bounded sample. Every query carries a `dbdiag_` alias so the statements probe leaves
// it out of the digests (EXPLAIN itself is left out by the advisors, which plan only
// SELECT/UPDATE/DELETE).

export type MysqlQuery = <T extends Row = Row>(sql: string, params?: readonly unknown[]) => Promise<T[]>;

export const TABLE_FACTS_SQL = `/* dbdiag:catalog-facts */ SELECT dbdiag_t.TABLE_SCHEMA AS table_schema, dbdiag_t.TABLE_NAME AS table_name,
  dbdiag_t.TABLE_ROWS AS table_rows, dbdiag_t.DATA_LENGTH AS data_length
FROM information_schema.TABLES AS dbdiag_t
WHERE dbdiag_t.TABLE_SCHEMA = COALESCE(?, DATABASE()) AND dbdiag_t.TABLE_NAME = ?`;

export const COLUMNS_SQL = `/* dbdiag:catalog-facts */ SELECT dbdiag_c.COLUMN_NAME AS column_name,
  dbdiag_c.DATA_TYPE AS data_type, dbdiag_c.CHARACTER_OCTET_LENGTH AS octet_length,
  dbdiag_c.CHARACTER_MAXIMUM_LENGTH AS char_length,
  dbdiag_c.NUMERIC_PRECISION AS numeric_precision
FROM information_schema.COLUMNS AS dbdiag_c
WHERE dbdiag_c.TABLE_SCHEMA = ? AND dbdiag_c.TABLE_NAME = ? ORDER BY dbdiag_c.ORDINAL_POSITION`;

/**
 * Index columns with their statistics. `dbdiag_s.*` brings MariaDB 10.6+'s IGNORED and MySQL
 * 8's IS_VISIBLE where the server has them (one statement for every version): an index the
 * optimizer may not use serves no lookup.
 */
export const INDEX_FACTS_SQL = `/* dbdiag:catalog-facts */ SELECT dbdiag_s.INDEX_NAME AS index_name, dbdiag_s.SEQ_IN_INDEX AS seq,
  dbdiag_s.COLUMN_NAME AS column_name, dbdiag_s.SUB_PART AS sub_part, dbdiag_s.NON_UNIQUE AS non_unique,
  dbdiag_s.CARDINALITY AS cardinality, dbdiag_s.*
FROM information_schema.STATISTICS AS dbdiag_s
WHERE dbdiag_s.TABLE_SCHEMA = ? AND dbdiag_s.TABLE_NAME = ?
ORDER BY dbdiag_s.INDEX_NAME, dbdiag_s.SEQ_IN_INDEX`;

export const SAMPLE_ROWS = 10_000;

function quote(name: string): string {
  return `\`${name.replaceAll('`', '``')}\``;
}

/** Stored width in bytes of a fixed-width type; null for strings and blobs (measured from the sample). */
export function fixedWidth(dataType: string, numericPrecision: number | null): number | null {
  const t = dataType.toLowerCase();
  const widths: Record<string, number> = {
    tinyint: 1,
    smallint: 2,
    mediumint: 3,
    int: 4,
    integer: 4,
    bigint: 8,
    float: 4,
    double: 8,
    date: 3,
    time: 3,
    year: 1,
    datetime: 8,
    timestamp: 4,
    bit: 8,
  };
  if (t in widths) return widths[t] ?? null;
  if (t === 'decimal' || t === 'numeric') return Math.ceil((numericPrecision ?? 10) / 2);
  return null;
}

const STRING_TYPES = /char|text|binary|blob|enum|set/i;

/** InnoDB's key limit with the DYNAMIC/COMPRESSED row formats (the default since MySQL 5.7 / MariaDB 10.2). */
export const INNODB_MAX_KEY_BYTES = 3072;

/** Prefix lengths tried (characters), shortest first. */
const PREFIX_LADDER = [
  8, 12, 16, 20, 24, 32, 40, 48, 64, 80, 96, 128, 160, 192, 255, 320, 384, 512, 640, 768,
];

/**
 * The shortest prefix whose distinct count in the sample reaches this share of the full
 * column's (High Performance MySQL §5.3 "Prefix Indexes and Index Selectivity": a prefix
 * "selective enough" approaches the full column's selectivity).
 */
export const PREFIX_SELECTIVITY_SHARE = 0.95;

/** Does the column need a prefix to be indexed at all (over the key limit, or TEXT/BLOB)? */
export function needsPrefix(dataType: string, octetLength: number | null): boolean {
  return /text|blob/i.test(dataType) || (octetLength !== null && octetLength > INNODB_MAX_KEY_BYTES);
}

/** Prefix lengths worth trying for a column of `chars` characters and `bytesPerChar`: under the key limit. */
export function prefixLadder(chars: number | null, bytesPerChar: number): number[] {
  const limit = Math.floor(INNODB_MAX_KEY_BYTES / Math.max(1, bytesPerChar));
  return PREFIX_LADDER.filter((n) => n <= limit && (chars === null || n < chars));
}

/** The prefix length for sampled values: distinct counts per length of the ladder, the shortest close enough. */
export function prefixFromSample(
  values: readonly (string | null)[],
  ladder: readonly number[],
): { length: number; prefixDistinct: number; fullDistinct: number; sampled: number } | null {
  const present = values.filter((v): v is string => v !== null);
  if (present.length === 0 || ladder.length === 0) return null;
  const fullDistinct = new Set(present).size;
  const byLength = ladder.map((length) => ({
    length,
    distinct: new Set(present.map((v) => [...v].slice(0, length).join(''))).size,
  }));
  const length = choosePrefix(fullDistinct, byLength);
  if (length === null) return null;
  return {
    length,
    prefixDistinct: byLength.find((p) => p.length === length)?.distinct ?? 0,
    fullDistinct,
    sampled: values.length,
  };
}

/** Chosen from sampled distinct counts per prefix length (ladder order): the shortest close enough to the full column. */
export function choosePrefix(
  full: number,
  byLength: readonly { length: number; distinct: number }[],
): number | null {
  for (const p of byLength) if (p.distinct >= PREFIX_SELECTIVITY_SHARE * full) return p.length;
  return byLength.at(-1)?.length ?? null;
}

function num(v: string | number | null | undefined): number {
  const n = Number(v ?? 0);
  return Number.isFinite(n) ? n : 0;
}

/**
 * A digest text has `?` where literals were: put harmless literals back so it can be EXPLAINed.
 * A quoted literal compares with a number or a string column alike without defeating an index.
 */
export function withLiterals(sql: string, literal = "'0'"): string {
  return sql
    .replace(/\(\s*\.\.\.\s*\)/g, `(${literal})`)
    .replace(/\b(LIMIT|OFFSET)\s+\?\s*,\s*\?/gi, '$1 1, 1')
    .replace(/\b(LIMIT|OFFSET)\s+\?/gi, '$1 1')
    .replace(/\?/g, literal);
}

/**
 * Literals tried in turn for a digest without a sample: a primary-key lookup of a value that
 * does not exist ('0') is optimized away ("Impossible WHERE noticed after reading const
 * tables") and the plan then shows no table at all; '1' is the first key of most tables.
 */
export const DIGEST_LITERALS = ["'0'", "'1'"] as const;

type Json = Record<string, unknown>;

/**
 * `limited`: the statement has a LIMIT. A full index scan (`index`) then reads the index in
 * its order and stops after LIMIT matches, unless a filesort above it has to read them all.
 */
function collect(node: unknown, out: PlanAccess[], limited: boolean, sorted = false): void {
  if (Array.isArray(node)) {
    for (const n of node) collect(n, out, limited, sorted);
    return;
  }
  if (typeof node !== 'object' || node === null) return;
  const o = node as Json;
  if (typeof o.table_name === 'string' && typeof o.access_type === 'string') {
    const type = o.access_type;
    const rows = Number(o.rows_examined_per_scan ?? o.rows ?? Number.NaN);
    const filtered = Number(o.filtered ?? Number.NaN);
    const stopsEarly = type === 'index' && limited && !sorted;
    out.push({
      table: o.table_name,
      method:
        (type === 'ALL' || type === 'index') && !stopsEarly
          ? 'seq'
          : type === 'system' || type === 'const'
            ? 'other'
            : 'index',
      index: typeof o.key === 'string' ? o.key : null,
      rows: Number.isFinite(rows) ? rows : null,
      // filtered 100 on a scan with a condition is "not estimated" (MariaDB without condition statistics)
      ...(Number.isFinite(rows) && Number.isFinite(filtered) && filtered < 100
        ? { returned: (rows * filtered) / 100 }
        : {}),
    });
  }
  for (const [key, value] of Object.entries(o))
    collect(value, out, limited, sorted || key === 'filesort' || key === 'read_sorted_file');
}

export function mysqlPlanFromJson(text: string, limited = false): PlanCost | null {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return null;
  }
  const accesses: PlanAccess[] = [];
  collect(json, accesses, limited);
  const block = (json as Json).query_block as Json | undefined;
  const costInfo = block?.cost_info as Json | undefined;
  const declared = Number(costInfo?.query_cost ?? block?.cost ?? Number.NaN);
  const cost = Number.isFinite(declared) ? declared : accesses.reduce((s, a) => s + (a.rows ?? 0), 0);
  return { cost, accesses, method: 'sample' };
}

/** Index of the first top-level (outside quotes and parentheses) `keyword` at or after `from`; -1 if none. */
function topLevel(sql: string, keyword: RegExp, from = 0): number {
  let depth = 0;
  for (let i = from; i < sql.length; i++) {
    const c = sql[i];
    if (c === "'" || c === '"' || c === '`') {
      for (i++; i < sql.length && sql[i] !== c; i++) if (sql[i] === '\\' && c !== '`') i++;
    } else if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (depth === 0 && /\s/.test(c ?? '') && keyword.test(sql.slice(i + 1))) return i + 1;
  }
  return -1;
}

/**
 * An UPDATE or DELETE as the SELECT that reads the same rows the same way: EXPLAIN of a write
 * needs the write privilege, which a monitoring account does not have (nor should), while the
 * table access the index advice looks at is the same. null when the form is not recognised.
 */
export function asSelect(statement: string): string | null {
  const sql = statement.replace(/^\s*(\/\*.*?\*\/\s*)*/s, '');
  const cut = (text: string): string => {
    const returning = topLevel(text, /^RETURNING\b/i);
    return returning < 0 ? text : text.slice(0, returning).trimEnd();
  };
  const update = /^UPDATE\s+(?:LOW_PRIORITY\s+)?(?:IGNORE\s+)?/i.exec(sql);
  if (update) {
    const set = topLevel(sql, /^SET\b/i, update[0].length - 1);
    if (set < 0) return null;
    const tables = sql.slice(update[0].length, set).trim();
    const tail = [/^WHERE\b/i, /^ORDER\s+BY\b/i, /^LIMIT\b/i]
      .map((k) => topLevel(sql, k, set))
      .filter((i) => i >= 0);
    const rest = tail.length > 0 ? sql.slice(Math.min(...tail)) : '';
    return `SELECT 1 FROM ${tables} ${cut(rest)}`.trim();
  }
  const del = /^DELETE\s+(?:LOW_PRIORITY\s+)?(?:QUICK\s+)?(?:IGNORE\s+)?/i.exec(sql);
  if (del) {
    const rest = sql.slice(del[0].length);
    if (topLevel(` ${rest}`, /^USING\b/i) >= 0) return null;
    const from = /^FROM\b/i.test(rest) ? 0 : topLevel(` ${rest}`, /^FROM\b/i) - 1;
    if (from < 0) return null;
    return `SELECT 1 ${cut(rest.slice(from))}`.trim();
  }
  return null;
}

/** The text to EXPLAIN: a write the account may not run is planned as its SELECT. */
export function explainable(
  statement: string,
  database: string | null,
  grants: OwnGrants | undefined,
): string | null {
  if (!/^\s*(\/\*.*?\*\/\s*)*(update|delete)\b/is.test(statement)) return statement;
  if (grants === undefined) return asSelect(statement);
  const explicit = [...statement.matchAll(/`?([A-Za-z0-9_$]+)`?\s*\.\s*`?[A-Za-z0-9_$]+/g)].map(
    (m) => m[1] ?? '',
  );
  const schemas = explicit.length > 0 ? [database, ...explicit] : [database];
  const canWrite = schemas.every((s) => holds(grants, 'UPDATE', s) && holds(grants, 'DELETE', s));
  return canWrite ? statement : asSelect(statement);
}

export function createMysqlVerifier(
  query: MysqlQuery,
  grants: () => OwnGrants | undefined = () => undefined,
): IndexVerifier {
  const inDatabase = async <T>(database: string | null, run: () => Promise<T>): Promise<T> => {
    if (database === null) return run();
    const [current] = await query<{ dbdiag_db: string | null }>(
      '/* dbdiag:explain */ SELECT DATABASE() AS dbdiag_db',
    );
    const before = current?.dbdiag_db ?? null;
    if (before === database) return run();
    await query(`USE ${quote(database)}`);
    try {
      return await run();
    } finally {
      if (before !== null) await query(`USE ${quote(before)}`).catch(() => undefined);
    }
  };
  return {
    async whatIf() {
      return false;
    },
    async tableFacts(database, table, wanted): Promise<TableFacts | null> {
      const parts = table.replaceAll('`', '').split('.');
      const name = parts.at(-1) ?? table;
      const schema = parts.length > 1 ? (parts[0] ?? null) : database;
      const [t] = await query<{
        table_schema: string;
        table_name: string;
        table_rows: number;
        data_length: number;
      }>(TABLE_FACTS_SQL, [schema, name]);
      if (!t) return null;
      const rows = num(t.table_rows);
      const columnRows = await query<{
        column_name: string;
        data_type: string | null;
        octet_length: number | null;
        char_length: number | null;
        numeric_precision: number | null;
      }>(COLUMNS_SQL, [t.table_schema, t.table_name]);
      const columnNames = columnRows.map((r) => r.column_name);
      const typeOf = new Map(columnRows.map((r) => [r.column_name.toLowerCase(), r]));
      const stats = await query<{
        index_name: string;
        seq: number;
        column_name: string | null;
        sub_part: number | null;
        non_unique: number;
        cardinality: number | null;
        IGNORED?: string;
        IS_VISIBLE?: string;
      }>(INDEX_FACTS_SQL, [t.table_schema, t.table_name]);
      // an IGNORED (MariaDB) / INVISIBLE (MySQL) index is not one the optimizer can use
      const usable = stats.filter((s) => s.IGNORED !== 'YES' && s.IS_VISIBLE !== 'NO');
      const byName = new Map<string, ExistingIndex>();
      const leadingCardinality = new Map<string, number>();
      for (const s of stats) {
        const col = s.column_name ?? '?';
        // its statistics still tell the column's distinct values; as an index it serves nothing
        if (usable.includes(s)) {
          const idx = byName.get(s.index_name) ?? {
            name: s.index_name,
            columns: [],
            unique: num(s.non_unique) === 0,
            primary: s.index_name === 'PRIMARY',
            where: null,
          };
          idx.columns.push(s.sub_part ? `${col}(${s.sub_part})` : col);
          byName.set(s.index_name, idx);
        }
        if (
          num(s.seq) === 1 &&
          num(s.non_unique) === 0 &&
          stats.filter((x) => x.index_name === s.index_name).length === 1
        ) {
          // a single-column unique key: as many values as rows, whatever stale CARDINALITY says
          leadingCardinality.set(col.toLowerCase(), Math.max(rows, num(s.cardinality)));
        } else if (num(s.seq) === 1 && s.cardinality !== null) {
          const lower = col.toLowerCase();
          // a single-column unique index is exact; otherwise CARDINALITY of the first column
          leadingCardinality.set(lower, Math.max(leadingCardinality.get(lower) ?? 0, num(s.cardinality)));
        }
      }
      const want = new Set(wanted.map((w) => w.replace(/^[a-z_0-9]+\((.+)\)$/i, '$1').toLowerCase()));
      const columns: ColumnFacts[] = columnNames.map((c) => {
        const type = typeOf.get(c.toLowerCase());
        return {
          name: c,
          distinct: leadingCardinality.get(c.toLowerCase()) ?? null,
          nullFraction: null,
          avgWidth: type?.data_type ? fixedWidth(type.data_type, type.numeric_precision) : null,
        };
      });
      // columns too long to index in full: distinct counts of their prefixes from the same sample
      const long = columns
        .filter((c) => want.has(c.name.toLowerCase()))
        .map((c) => {
          const type = typeOf.get(c.name.toLowerCase());
          if (
            !type?.data_type ||
            !needsPrefix(type.data_type, type.octet_length === null ? null : num(type.octet_length))
          )
            return null;
          const chars = type.char_length === null ? null : num(type.char_length);
          const perChar =
            chars && type.octet_length ? Math.max(1, Math.round(num(type.octet_length) / chars)) : 4;
          return { column: c, ladder: prefixLadder(chars, perChar) };
        })
        .filter((x): x is { column: ColumnFacts; ladder: number[] } => x !== null && x.ladder.length > 0);
      const missing = columns.filter((c) => c.distinct === null && want.has(c.name.toLowerCase()));
      // strings: their average stored length, from the same bounded sample
      const strings = columns.filter(
        (c) =>
          c.avgWidth === null &&
          want.has(c.name.toLowerCase()) &&
          STRING_TYPES.test(typeOf.get(c.name.toLowerCase())?.data_type ?? ''),
      );
      if (missing.length > 0 || strings.length > 0) {
        const sampledColumns = [...new Set([...missing, ...strings])];
        const list = [
          ...missing.map((c, i) => `COUNT(DISTINCT ${quote(c.name)}) AS dbdiag_d${i}`),
          ...strings.map((c, i) => `AVG(LENGTH(${quote(c.name)})) AS dbdiag_w${i}`),
        ].join(', ');
        const sql = `/* dbdiag:catalog-facts */ SELECT ${list}, COUNT(*) AS dbdiag_n FROM (SELECT ${sampledColumns
          .map((c) => quote(c.name))
          .join(
            ', ',
          )} FROM ${quote(t.table_schema)}.${quote(t.table_name)} LIMIT ${SAMPLE_ROWS}) AS dbdiag_s`;
        const [sample] = await query(sql);
        const sampled = num(sample?.dbdiag_n);
        const total = Math.max(rows, sampled);
        missing.forEach((c, i) => {
          const d = num(sample?.[`dbdiag_d${i}`]);
          c.distinct = sampled > 0 && d / sampled > 0.5 ? Math.max(d, (d / sampled) * total) : d;
        });
        strings.forEach((c, i) => {
          const w = sample?.[`dbdiag_w${i}`];
          // stored length plus its length byte(s)
          c.avgWidth = w === null || w === undefined ? null : num(w as number) + 1;
        });
      }
      // the sampled values (up to the longest prefix tried), counted here: many COUNT(DISTINCT
      // LEFT(...)) of long strings in one statement make the server spill temporary tables
      for (const l of long) {
        const longest = l.ladder.at(-1) ?? 0;
        const values = await query<{ dbdiag_v: string | null }>(
          `/* dbdiag:catalog-facts */ SELECT LEFT(${quote(l.column.name)}, ${longest + 1}) AS dbdiag_v FROM (SELECT ${quote(
            l.column.name,
          )} FROM ${quote(t.table_schema)}.${quote(t.table_name)} LIMIT ${SAMPLE_ROWS}) AS dbdiag_s`,
        );
        l.column.keyPrefix = prefixFromSample(
          values.map((v) => v.dbdiag_v),
          l.ladder,
        );
      }
      return {
        table: `${t.table_schema}.${t.table_name}`,
        rows: Math.max(rows, 0),
        dataBytes: num(t.data_length),
        columns,
        indexes: [...byName.values()],
      };
    },
    async explain(database, statement, hypothetical = []): Promise<PlanCost | null> {
      if (hypothetical.length > 0) return null;
      const planned = explainable(statement.trim().replace(/;\s*$/, ''), database, grants());
      if (planned === null) return null;
      const text = planned;
      try {
        return await inDatabase(database, async () => {
          let plan: PlanCost | null = null;
          for (const literal of DIGEST_LITERALS) {
            const [row] = await query(`EXPLAIN FORMAT=JSON ${withLiterals(text, literal)}`);
            const json = row ? Object.values(row)[0] : null;
            plan = typeof json === 'string' ? mysqlPlanFromJson(json, /\bLIMIT\b/i.test(text)) : null;
            // a real sample (no `?`), or a plan that reads tables: done
            if (!text.includes('?') || (plan && plan.accesses.length > 0)) break;
          }
          return plan;
        });
      } catch {
        return null;
      }
    },
  };
}
