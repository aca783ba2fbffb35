// The index-advisor test set: schemas, data, workload, the indexes a DBA would add, and
// indexes that must NOT be proposed (covered by an existing index, too unselective, tiny
// table). Every table is prefixed by its case so all cases share one database and one
// `dbdiag check` run per engine. Workload statements use `?` placeholders: sent as bound
// parameters to PostgreSQL (`$n`) and with literals to MySQL/MariaDB.

export type Engine = 'postgres' | 'mysql';

/** How a column's values are generated from the row number i (1..rows). */
export type Gen =
  | { kind: 'seq' }
  | { kind: 'mod'; n: number }
  | { kind: 'text'; prefix: string; n?: number }
  | { kind: 'time'; n: number }
  | { kind: 'bool'; every: number }
  /** `rare` for every n-th row, `common` otherwise: a skewed status column */
  | { kind: 'rare'; every: number; rare: string; common: string };

export interface Column {
  name: string;
  /** `longtext`: VARCHAR(1024) utf8mb4 on MySQL/MariaDB (4,096 bytes, over InnoDB's 3,072-byte key limit), text on PostgreSQL */
  type: 'int' | 'text' | 'timestamp' | 'bool' | 'longtext';
  gen: Gen;
  /** `natural`: a linguistic collation on PostgreSQL (ICU en, else libc C.utf8), where LIKE 'x%' cannot use a plain btree; no-op on MySQL */
  collation?: 'natural';
}

export interface Table {
  name: string;
  rows: number;
  columns: Column[];
  /** extra DDL after loading (existing indexes), `{t}` = table name */
  indexes?: { columns: string[]; unique?: boolean }[];
}

export interface Statement {
  sql: string;
  params: (i: number) => (string | number | boolean)[];
  calls?: number;
}

export interface ExpectedIndex {
  table: string;
  /** key columns in index order (expressions as written, e.g. lower(email)) */
  columns: string[];
  /**
   * Payload columns a covering index carries: PostgreSQL INCLUDE (11+), or trailing key columns
   * (InnoDB). Scoring accepts either form, in any order, after the key columns.
   */
  include?: string[];
  /** operator class per key column, e.g. { name: 'text_pattern_ops' } (PostgreSQL) */
  opclass?: Record<string, string>;
  /** MySQL/MariaDB prefix length per key column: any length in [min, max] is right (chosen from the data) */
  prefix?: Record<string, { min: number; max: number }>;
  /** partial-index predicate (PostgreSQL) */
  where?: string;
  /** the engines this expectation holds on (default: every engine of the case) */
  engines?: Engine[];
  /**
   * "Replace, don't add": existing indexes (by name, `<table>_x<n>` as the loader creates them)
   * the new index makes redundant. The proposal matches only if its finding's fix also drops
   * each of them (a drop-index action).
   */
  replaces?: string[];
}

export interface AdvisorCase {
  name: string;
  /** the published DBA material the case is taken from (cases written after the split cite one) */
  source?: string;
  /** which half: `tuning` may be looked at while changing rules; `held-out` is scored only */
  split?: 'tuning' | 'held-out';
  engines: Engine[];
  tables: Table[];
  workload: Statement[];
  expected: ExpectedIndex[];
  mustNot: (ExpectedIndex & { reason: string })[];
}

const BOTH: Engine[] = ['postgres', 'mysql'];
const ts = (n: number): string => {
  const d = new Date(Date.UTC(2024, 0, 1) + n * 60_000);
  return d.toISOString().slice(0, 19).replace('T', ' ');
};

export const CASES: AdvisorCase[] = [
  {
    name: 'join on an unindexed child key (the incident)',
    engines: BOTH,
    tables: [
      {
        name: 'c1_work_orders',
        rows: 20_000,
        columns: [{ name: 'status', type: 'text', gen: { kind: 'text', prefix: 's', n: 4 } }],
      },
      {
        name: 'c1_wo_history',
        rows: 150_000,
        columns: [
          { name: 'work_order_id', type: 'int', gen: { kind: 'mod', n: 20_000 } },
          { name: 'note', type: 'text', gen: { kind: 'text', prefix: 'note' } },
        ],
      },
    ],
    workload: [
      {
        sql: 'SELECT w.id, w.status, h.note FROM c1_work_orders w JOIN c1_wo_history h ON h.work_order_id = w.id WHERE w.id = ?',
        params: (i) => [1 + ((i * 7919) % 20_000)],
      },
    ],
    expected: [{ table: 'c1_wo_history', columns: ['work_order_id'] }],
    mustNot: [{ table: 'c1_work_orders', columns: ['id'], reason: 'primary key serves it' }],
  },
  {
    name: 'equality lookup on a unique-ish text column',
    engines: BOTH,
    tables: [
      {
        name: 'c2_users',
        rows: 60_000,
        columns: [
          { name: 'email', type: 'text', gen: { kind: 'text', prefix: 'user' } },
          { name: 'is_active', type: 'bool', gen: { kind: 'bool', every: 2 } },
        ],
      },
    ],
    workload: [
      {
        sql: 'SELECT id, is_active FROM c2_users WHERE email = ?',
        params: (i) => [`user${1 + ((i * 31) % 60_000)}`],
      },
      { sql: 'SELECT count(*) FROM c2_users WHERE is_active = ?', params: (i) => [i % 2 === 0] },
    ],
    expected: [{ table: 'c2_users', columns: ['email'] }],
    mustNot: [{ table: 'c2_users', columns: ['is_active'], reason: 'boolean: half the table per value' }],
  },
  {
    name: 'equality then range (composite in DBA order)',
    engines: BOTH,
    tables: [
      {
        name: 'c3_events',
        rows: 200_000,
        columns: [
          { name: 'tenant_id', type: 'int', gen: { kind: 'mod', n: 500 } },
          { name: 'created_at', type: 'timestamp', gen: { kind: 'time', n: 200_000 } },
          { name: 'payload', type: 'text', gen: { kind: 'text', prefix: 'p' } },
        ],
      },
    ],
    workload: [
      {
        sql: 'SELECT id, payload FROM c3_events WHERE tenant_id = ? AND created_at >= ? AND created_at < ?',
        params: (i) => [i % 500, ts(i * 100), ts(i * 100 + 1440)],
      },
    ],
    expected: [{ table: 'c3_events', columns: ['tenant_id', 'created_at'] }],
    mustNot: [],
  },
  {
    name: 'equality then sort (ORDER BY ... LIMIT)',
    engines: BOTH,
    tables: [
      {
        name: 'c4_messages',
        rows: 120_000,
        columns: [
          { name: 'thread_id', type: 'int', gen: { kind: 'mod', n: 1_500 } },
          { name: 'posted_at', type: 'timestamp', gen: { kind: 'time', n: 120_000 } },
          { name: 'body', type: 'text', gen: { kind: 'text', prefix: 'b' } },
        ],
      },
    ],
    workload: [
      {
        sql: 'SELECT id, body FROM c4_messages WHERE thread_id = ? ORDER BY posted_at DESC LIMIT 20',
        params: (i) => [(i * 13) % 1_500],
      },
    ],
    expected: [{ table: 'c4_messages', columns: ['thread_id', 'posted_at'] }],
    mustNot: [],
  },
  {
    name: 'two equality columns, most selective first',
    engines: BOTH,
    tables: [
      {
        name: 'c5_tickets',
        rows: 120_000,
        columns: [
          { name: 'project_id', type: 'int', gen: { kind: 'mod', n: 60 } },
          { name: 'assignee_id', type: 'int', gen: { kind: 'mod', n: 997 } },
          { name: 'title', type: 'text', gen: { kind: 'text', prefix: 't' } },
        ],
      },
    ],
    workload: [
      {
        sql: 'SELECT id, title FROM c5_tickets WHERE project_id = ? AND assignee_id = ?',
        params: (i) => [i % 60, (i * 17) % 997],
      },
    ],
    expected: [{ table: 'c5_tickets', columns: ['assignee_id', 'project_id'] }],
    mustNot: [
      { table: 'c5_tickets', columns: ['project_id'], reason: 'less selective column must not lead' },
    ],
  },
  {
    name: 'already served by the leading columns of an existing index',
    engines: BOTH,
    tables: [
      {
        name: 'c6_accounts',
        rows: 80_000,
        columns: [
          { name: 'account_no', type: 'int', gen: { kind: 'seq' } },
          { name: 'branch', type: 'int', gen: { kind: 'mod', n: 40 } },
        ],
        indexes: [{ columns: ['account_no', 'branch'] }],
      },
    ],
    workload: [
      {
        sql: 'SELECT id, branch FROM c6_accounts WHERE account_no = ?',
        params: (i) => [1 + ((i * 101) % 80_000)],
      },
    ],
    expected: [],
    mustNot: [{ table: 'c6_accounts', columns: ['account_no'], reason: 'covered by (account_no, branch)' }],
  },
  {
    name: 'low-selectivity status column',
    engines: BOTH,
    tables: [
      {
        name: 'c7_shipments',
        rows: 100_000,
        columns: [
          { name: 'status', type: 'text', gen: { kind: 'text', prefix: 'st', n: 4 } },
          { name: 'weight', type: 'int', gen: { kind: 'mod', n: 1000 } },
        ],
      },
    ],
    workload: [
      { sql: 'SELECT id, weight FROM c7_shipments WHERE status = ? LIMIT 50', params: (i) => [`st${i % 4}`] },
    ],
    expected: [],
    mustNot: [
      { table: 'c7_shipments', columns: ['status'], reason: 'four values: a quarter of the table each' },
    ],
  },
  {
    name: 'tiny lookup table',
    engines: BOTH,
    tables: [
      {
        name: 'c8_countries',
        rows: 200,
        columns: [
          { name: 'code', type: 'text', gen: { kind: 'text', prefix: 'C' } },
          { name: 'label', type: 'text', gen: { kind: 'text', prefix: 'Country ' } },
        ],
      },
    ],
    workload: [
      { sql: 'SELECT label FROM c8_countries WHERE code = ?', params: (i) => [`C${1 + (i % 200)}`] },
    ],
    expected: [],
    mustNot: [{ table: 'c8_countries', columns: ['code'], reason: '200 rows: a scan is cheaper' }],
  },
  {
    name: 'UPDATE by a non-key column',
    engines: BOTH,
    tables: [
      {
        name: 'c9_sessions',
        rows: 60_000,
        columns: [
          { name: 'token', type: 'text', gen: { kind: 'text', prefix: 'tok' } },
          { name: 'hits', type: 'int', gen: { kind: 'mod', n: 10 } },
        ],
      },
    ],
    workload: [
      {
        sql: 'UPDATE c9_sessions SET hits = hits + 1 WHERE token = ?',
        params: (i) => [`tok${1 + ((i * 37) % 60_000)}`],
      },
    ],
    expected: [{ table: 'c9_sessions', columns: ['token'] }],
    mustNot: [],
  },
  {
    name: 'IN list on a selective column',
    engines: BOTH,
    tables: [
      {
        name: 'c10_products',
        rows: 50_000,
        columns: [
          { name: 'sku', type: 'text', gen: { kind: 'text', prefix: 'sku' } },
          { name: 'price', type: 'int', gen: { kind: 'mod', n: 500 } },
        ],
      },
    ],
    workload: [
      {
        sql: 'SELECT id, price FROM c10_products WHERE sku IN (?, ?, ?)',
        params: (i) => [`sku${1 + i}`, `sku${100 + i}`, `sku${1000 + i}`],
      },
    ],
    expected: [{ table: 'c10_products', columns: ['sku'] }],
    mustNot: [],
  },
  {
    name: 'range only on a time column',
    engines: BOTH,
    tables: [
      {
        name: 'c11_logs',
        rows: 200_000,
        columns: [
          { name: 'logged_at', type: 'timestamp', gen: { kind: 'time', n: 200_000 } },
          { name: 'level', type: 'int', gen: { kind: 'mod', n: 5 } },
        ],
      },
    ],
    workload: [
      {
        sql: 'SELECT id, level FROM c11_logs WHERE logged_at BETWEEN ? AND ?',
        params: (i) => [ts(i * 500), ts(i * 500 + 60)],
      },
    ],
    expected: [{ table: 'c11_logs', columns: ['logged_at'] }],
    mustNot: [{ table: 'c11_logs', columns: ['level'], reason: 'not filtered on' }],
  },
  {
    name: 'expression: lower(email)',
    engines: ['postgres'],
    tables: [
      {
        name: 'c12_people',
        rows: 50_000,
        columns: [{ name: 'email', type: 'text', gen: { kind: 'text', prefix: 'Person' } }],
      },
    ],
    workload: [
      {
        sql: 'SELECT id FROM c12_people WHERE lower(email) = lower(?)',
        params: (i) => [`person${1 + ((i * 7) % 50_000)}`],
      },
    ],
    expected: [{ table: 'c12_people', columns: ['lower(email)'] }],
    mustNot: [
      { table: 'c12_people', columns: ['email'], reason: 'a plain index does not serve lower(email)' },
    ],
  },
  {
    name: 'well-indexed join (nothing to add)',
    engines: BOTH,
    tables: [
      {
        name: 'c13_customers',
        rows: 30_000,
        columns: [{ name: 'name', type: 'text', gen: { kind: 'text', prefix: 'n' } }],
      },
      {
        name: 'c13_invoices',
        rows: 100_000,
        columns: [
          { name: 'customer_id', type: 'int', gen: { kind: 'mod', n: 30_000 } },
          { name: 'amount', type: 'int', gen: { kind: 'mod', n: 1000 } },
        ],
        indexes: [{ columns: ['customer_id'] }],
      },
    ],
    workload: [
      {
        sql: 'SELECT c.name, i.amount FROM c13_customers c JOIN c13_invoices i ON i.customer_id = c.id WHERE c.id = ?',
        params: (i) => [1 + ((i * 11) % 30_000)],
      },
    ],
    expected: [],
    mustNot: [
      { table: 'c13_invoices', columns: ['customer_id'], reason: 'already indexed' },
      { table: 'c13_customers', columns: ['id'], reason: 'primary key' },
    ],
  },
  {
    name: 'JOIN that needs an index on both sides',
    engines: BOTH,
    tables: [
      {
        name: 'c14_accounts',
        rows: 40_000,
        columns: [{ name: 'username', type: 'text', gen: { kind: 'text', prefix: 'acct' } }],
      },
      {
        name: 'c14_logins',
        rows: 160_000,
        columns: [
          { name: 'account_id', type: 'int', gen: { kind: 'mod', n: 40_000 } },
          { name: 'ip', type: 'text', gen: { kind: 'text', prefix: '10.0.0.', n: 250 } },
        ],
      },
    ],
    workload: [
      {
        sql: 'SELECT l.ip FROM c14_accounts a JOIN c14_logins l ON l.account_id = a.id WHERE a.username = ?',
        params: (i) => [`acct${1 + ((i * 97) % 40_000)}`],
      },
    ],
    expected: [
      { table: 'c14_accounts', columns: ['username'] },
      { table: 'c14_logins', columns: ['account_id'] },
    ],
    mustNot: [],
  },
  {
    name: 'latest rows: ORDER BY ... LIMIT without a filter',
    engines: BOTH,
    tables: [
      {
        name: 'c15_articles',
        rows: 100_000,
        columns: [
          { name: 'published_at', type: 'timestamp', gen: { kind: 'time', n: 100_000 } },
          { name: 'title', type: 'text', gen: { kind: 'text', prefix: 'title' } },
        ],
      },
    ],
    workload: [
      { sql: 'SELECT id, title FROM c15_articles ORDER BY published_at DESC LIMIT 10', params: () => [] },
    ],
    expected: [{ table: 'c15_articles', columns: ['published_at'] }],
    mustNot: [],
  },
  {
    name: 'a full sorted export (no LIMIT) is not helped by an index',
    engines: BOTH,
    tables: [
      {
        name: 'c16_exports',
        rows: 30_000,
        columns: [
          { name: 'created_at', type: 'timestamp', gen: { kind: 'time', n: 30_000 } },
          { name: 'v', type: 'int', gen: { kind: 'mod', n: 100 } },
        ],
      },
    ],
    workload: [{ sql: 'SELECT id, v FROM c16_exports ORDER BY created_at', params: () => [], calls: 3 }],
    expected: [],
    mustNot: [{ table: 'c16_exports', columns: ['created_at'], reason: 'reads the whole table anyway' }],
  },
];

/** Index identity for scoring: bare table name + columns in order, lower-cased, quotes dropped. */
export function indexKey(table: string, columns: readonly string[]): string {
  const bare = table.split('.').at(-1) ?? table;
  return `${bare}(${columns.join(',')})`.toLowerCase().replace(/[`"\s]/g, '');
}
