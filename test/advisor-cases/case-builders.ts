import type { Column, Engine } from './cases.js';

// Shorthand for the case files written after the split (cases-tuning.ts, cases-held-out.ts):
// a column is a name and how its values come from the row number i.

export const BOTH: Engine[] = ['postgres', 'mysql'];
export const PG: Engine[] = ['postgres'];
export const MY: Engine[] = ['mysql'];

/** i (unique) or i % n */
export const int = (name: string, n?: number): Column => ({
  name,
  type: 'int',
  gen: n ? { kind: 'mod', n } : { kind: 'seq' },
});
/** prefix || i (unique) or prefix || (i % n) */
export const txt = (name: string, prefix: string, n?: number): Column => ({
  name,
  type: 'text',
  gen: n ? { kind: 'text', prefix, n } : { kind: 'text', prefix },
});
/** like txt, in a linguistic collation on PostgreSQL (LIKE 'x%' needs text_pattern_ops) */
export const natural = (name: string, prefix: string, n?: number): Column => ({
  ...txt(name, prefix, n),
  collation: 'natural',
});
/** a VARCHAR(1024) utf8mb4 on MySQL/MariaDB (over the 3,072-byte key limit), text on PostgreSQL */
export const long = (name: string, prefix: string): Column => ({
  name,
  type: 'longtext',
  gen: { kind: 'text', prefix },
});
/** 2024-01-01 + (i % n) minutes */
export const time = (name: string, n: number): Column => ({
  name,
  type: 'timestamp',
  gen: { kind: 'time', n },
});
/** true on every n-th row */
export const flag = (name: string, every: number): Column => ({
  name,
  type: 'bool',
  gen: { kind: 'bool', every },
});
/** `rare` on every n-th row, `common` otherwise */
export const skewed = (name: string, every: number, rare: string, common: string): Column => ({
  name,
  type: 'text',
  gen: { kind: 'rare', every, rare, common },
});

/** the timestamp n minutes after 2024-01-01, as both engines take it */
export const ts = (n: number): string => {
  const d = new Date(Date.UTC(2024, 0, 1) + n * 60_000);
  return d.toISOString().slice(0, 19).replace('T', ' ');
};

/** Published DBA material the cases cite. */
export const SRC = {
  lukeRanges:
    'Use The Index, Luke — "Greater, Less and BETWEEN": equality first, then the range (use-the-index-luke.com/sql/where-clause/searching-for-ranges/greater-less-between-tuning-sql-access-filter-predicates)',
  lukeConcatenated:
    'Use The Index, Luke — "Concatenated Keys": one index for several statements (use-the-index-luke.com/sql/where-clause/the-equals-operator/concatenated-keys)',
  lukeSlowIndex:
    'Use The Index, Luke — "Slow Indexes": an index that is used but reads a long leaf chain (use-the-index-luke.com/sql/anatomy/slow-indexes)',
  lukeOrderBy:
    'Use The Index, Luke — "Indexing ORDER BY" and "Top-N queries" (use-the-index-luke.com/sql/sorting-grouping/indexed-order-by, /sql/partial-results/top-n-queries)',
  lukeCovering:
    'Use The Index, Luke — "Index-Only Scan: avoiding table access" (use-the-index-luke.com/sql/clustering/index-only-scan-covering-index)',
  lukeLike:
    'Use The Index, Luke — "LIKE filters" (use-the-index-luke.com/sql/where-clause/searching-for-ranges/like-performance-tuning)',
  lukeFunctions:
    'Use The Index, Luke — "Case-insensitive search using UPPER or LOWER" (use-the-index-luke.com/sql/where-clause/functions/case-insensitive-search)',
  lukeWrites:
    'Use The Index, Luke — "Insert/Delete/Update": every index slows writes (use-the-index-luke.com/sql/dml/insert)',
  lukeJoin:
    'Use The Index, Luke — "Nested Loops": index the join predicate of the inner table (use-the-index-luke.com/sql/join/nested-loops-join-n1-problem)',
  pgMulticolumn:
    'PostgreSQL 15 manual 11.3 "Multicolumn Indexes" (postgresql.org/docs/15/indexes-multicolumn.html)',
  pgOrdering:
    'PostgreSQL 15 manual 11.4 "Indexes and ORDER BY" (postgresql.org/docs/15/indexes-ordering.html)',
  pgIndexOnly:
    'PostgreSQL 15 manual 11.9 "Index-Only Scans and Covering Indexes" (postgresql.org/docs/15/indexes-index-only-scans.html)',
  pgOpclass:
    'PostgreSQL 15 manual 11.10 "Operator Classes": text_pattern_ops for LIKE in a non-C locale (postgresql.org/docs/15/indexes-opclass.html)',
  pgExpression:
    'PostgreSQL 15 manual 11.7 "Indexes on Expressions" (postgresql.org/docs/15/indexes-expressional.html)',
  pgIntro:
    'PostgreSQL 15 manual 11.1 "Introduction": indexes add overhead, remove the ones rarely used (postgresql.org/docs/15/indexes-intro.html)',
  pgExamine:
    'PostgreSQL 15 manual 11.12 "Examining Index Usage": small tables and unselective values are scanned (postgresql.org/docs/15/indexes-examine.html)',
  myMultiple:
    'MySQL 8.0 manual 8.3.6 "Multiple-Column Indexes" (dev.mysql.com/doc/refman/8.0/en/multiple-column-indexes.html)',
  myOrderBy:
    'MySQL 8.0 manual 8.2.1.16 "ORDER BY Optimization" and 8.2.1.19 "LIMIT Query Optimization" (dev.mysql.com/doc/refman/8.0/en/order-by-optimization.html)',
  myCovering:
    'MySQL 8.0 manual 8.3.10 "Use of Index Extensions": InnoDB secondary indexes carry the primary key (dev.mysql.com/doc/refman/8.0/en/index-extensions.html)',
  myPrefix:
    'MySQL 8.0 manual 8.3.5 "Column Indexes" (prefix indexes) and 15.22 "InnoDB Limits" (3072-byte key); High Performance MySQL 3rd ed. §5.3 "Prefix Indexes and Index Selectivity"',
  myHowUse:
    'MySQL 8.0 manual 8.3.1 "How MySQL Uses Indexes": small tables and large fractions are scanned (dev.mysql.com/doc/refman/8.0/en/mysql-indexes.html)',
  rickJames:
    'Rick James, "Building the best INDEX for a given SELECT" (MariaDB Knowledge Base, mariadb.com/kb/en/building-the-best-index-for-a-given-select/)',
  perconaRedundant:
    'Percona blog, "Duplicate indexes and redundant indexes" (percona.com/blog/duplicate-indexes-and-redundant-indexes/)',
} as const;
