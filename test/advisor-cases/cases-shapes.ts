import type { AdvisorCase, Engine } from './cases.js';

// More index-advisor cases, written to stress generality (not tuned to the advisor): the
// OLTP shapes a DBA meets — equality + range / sort with an unselective equality, a queue
// flag, three-table joins, correlated subqueries, CTEs, OR, GROUP BY, soft deletes, DELETE,
// predicates no btree serves, the outer side of a join, existing composite indexes.
// Same conventions as cases.ts (table names prefixed by case, `?` placeholders).

const BOTH: Engine[] = ['postgres', 'mysql'];
const ts = (n: number): string => {
  const d = new Date(Date.UTC(2024, 0, 1) + n * 60_000);
  return d.toISOString().slice(0, 19).replace('T', ' ');
};

export const SHAPE_CASES: AdvisorCase[] = [
  {
    // Textbook order: equality first, then the range. The status alone is useless (a quarter
    // of the table), but as the head of (status, created_at) it cuts the range scan 4x.
    name: 'unselective equality + narrow range: equality still leads',
    engines: BOTH,
    tables: [
      {
        name: 'c17_orders',
        rows: 200_000,
        columns: [
          { name: 'status', type: 'text', gen: { kind: 'text', prefix: 'st', n: 4 } },
          { name: 'created_at', type: 'timestamp', gen: { kind: 'time', n: 200_000 } },
          { name: 'total', type: 'int', gen: { kind: 'mod', n: 900 } },
        ],
      },
    ],
    workload: [
      {
        sql: 'SELECT id, total FROM c17_orders WHERE status = ? AND created_at >= ? AND created_at < ?',
        params: (i) => [`st${i % 4}`, ts(i * 3000), ts(i * 3000 + 720)],
      },
    ],
    expected: [{ table: 'c17_orders', columns: ['status', 'created_at'] }],
    mustNot: [{ table: 'c17_orders', columns: ['status'], reason: 'a quarter of the table per value' }],
  },
  {
    // A work queue: 1% of rows pending, the oldest 50 fetched. (pending, created_at) walks only
    // pending rows in order; (created_at) alone would wade through the 99% done ones.
    name: 'queue: flag = ? ORDER BY created_at LIMIT',
    engines: BOTH,
    tables: [
      {
        name: 'c18_jobs',
        rows: 150_000,
        columns: [
          { name: 'pending', type: 'bool', gen: { kind: 'bool', every: 100 } },
          { name: 'created_at', type: 'timestamp', gen: { kind: 'time', n: 150_000 } },
          { name: 'kind', type: 'text', gen: { kind: 'text', prefix: 'k', n: 8 } },
        ],
      },
    ],
    workload: [
      {
        sql: 'SELECT id, kind FROM c18_jobs WHERE pending = ? ORDER BY created_at LIMIT 50',
        params: () => [true],
      },
    ],
    expected: [{ table: 'c18_jobs', columns: ['pending', 'created_at'] }],
    mustNot: [
      {
        table: 'c18_jobs',
        columns: ['pending'],
        reason: 'two values: no order, half the table by statistics',
      },
    ],
  },
  {
    name: 'three-table join: only the grandchild key lacks an index',
    engines: BOTH,
    tables: [
      {
        name: 'c19_customers',
        rows: 20_000,
        columns: [{ name: 'name', type: 'text', gen: { kind: 'text', prefix: 'cust' } }],
      },
      {
        name: 'c19_orders',
        rows: 100_000,
        columns: [
          { name: 'customer_id', type: 'int', gen: { kind: 'mod', n: 20_000 } },
          { name: 'placed_at', type: 'timestamp', gen: { kind: 'time', n: 100_000 } },
        ],
        indexes: [{ columns: ['customer_id'] }],
      },
      {
        name: 'c19_order_items',
        rows: 300_000,
        columns: [
          { name: 'order_id', type: 'int', gen: { kind: 'mod', n: 100_000 } },
          { name: 'sku', type: 'text', gen: { kind: 'text', prefix: 'sku', n: 5_000 } },
          { name: 'qty', type: 'int', gen: { kind: 'mod', n: 9 } },
        ],
      },
    ],
    workload: [
      {
        sql: 'SELECT o.id, i.sku, i.qty FROM c19_customers c JOIN c19_orders o ON o.customer_id = c.id JOIN c19_order_items i ON i.order_id = o.id WHERE c.id = ?',
        params: (i) => [1 + ((i * 613) % 20_000)],
      },
    ],
    expected: [{ table: 'c19_order_items', columns: ['order_id'] }],
    mustNot: [
      { table: 'c19_orders', columns: ['customer_id'], reason: 'already indexed' },
      { table: 'c19_customers', columns: ['id'], reason: 'primary key' },
    ],
  },
  {
    name: 'selective key + unselective flag: the key alone',
    engines: BOTH,
    tables: [
      {
        name: 'c20_carts',
        rows: 80_000,
        columns: [
          { name: 'account_id', type: 'int', gen: { kind: 'mod', n: 8_000 } },
          { name: 'archived', type: 'bool', gen: { kind: 'bool', every: 10 } },
          { name: 'total', type: 'int', gen: { kind: 'mod', n: 700 } },
        ],
      },
    ],
    workload: [
      {
        sql: 'SELECT id, total FROM c20_carts WHERE account_id = ? AND archived = ?',
        params: (i) => [(i * 37) % 8_000, false],
      },
    ],
    expected: [{ table: 'c20_carts', columns: ['account_id'] }],
    mustNot: [
      { table: 'c20_carts', columns: ['archived'], reason: 'two values' },
      { table: 'c20_carts', columns: ['archived', 'account_id'], reason: 'unselective column must not lead' },
    ],
  },
  {
    name: 'GROUP BY within a filtered key',
    engines: BOTH,
    tables: [
      {
        name: 'c21_tasks',
        rows: 150_000,
        columns: [
          { name: 'project_id', type: 'int', gen: { kind: 'mod', n: 1_000 } },
          { name: 'state', type: 'text', gen: { kind: 'text', prefix: 'state', n: 5 } },
        ],
      },
    ],
    workload: [
      {
        sql: 'SELECT state, count(*) FROM c21_tasks WHERE project_id = ? GROUP BY state',
        params: (i) => [(i * 7) % 1_000],
      },
    ],
    expected: [{ table: 'c21_tasks', columns: ['project_id'] }],
    mustNot: [{ table: 'c21_tasks', columns: ['state'], reason: 'grouped on, not filtered: five values' }],
  },
  {
    // Each OR branch is selective on its own column: one index per branch (BitmapOr on
    // PostgreSQL, index_merge union on MySQL). Neither alone avoids the full scan.
    name: 'OR across two selective columns',
    engines: BOTH,
    tables: [
      {
        name: 'c22_contacts',
        rows: 60_000,
        columns: [
          { name: 'email', type: 'text', gen: { kind: 'text', prefix: 'mail' } },
          { name: 'phone', type: 'text', gen: { kind: 'text', prefix: 'tel' } },
        ],
      },
    ],
    workload: [
      {
        sql: 'SELECT id FROM c22_contacts WHERE email = ? OR phone = ?',
        params: (i) => [`mail${1 + ((i * 53) % 60_000)}`, `tel${1 + ((i * 59) % 60_000)}`],
      },
    ],
    expected: [
      { table: 'c22_contacts', columns: ['email'] },
      { table: 'c22_contacts', columns: ['phone'] },
    ],
    mustNot: [
      { table: 'c22_contacts', columns: ['email', 'phone'], reason: 'an OR is not served by a composite' },
    ],
  },
  {
    name: 'DELETE by an unindexed foreign key',
    engines: BOTH,
    tables: [
      {
        name: 'c23_cart_items',
        rows: 120_000,
        columns: [
          { name: 'cart_id', type: 'int', gen: { kind: 'mod', n: 12_000 } },
          { name: 'sku', type: 'text', gen: { kind: 'text', prefix: 'sku', n: 3_000 } },
        ],
      },
    ],
    workload: [{ sql: 'DELETE FROM c23_cart_items WHERE cart_id = ?', params: (i) => [(i * 41) % 12_000] }],
    expected: [{ table: 'c23_cart_items', columns: ['cart_id'] }],
    mustNot: [],
  },
  {
    name: 'correlated NOT EXISTS on an unindexed child key',
    engines: BOTH,
    tables: [
      {
        name: 'c24_invoices',
        rows: 30_000,
        columns: [
          { name: 'customer_id', type: 'int', gen: { kind: 'mod', n: 3_000 } },
          { name: 'amount', type: 'int', gen: { kind: 'mod', n: 999 } },
        ],
      },
      {
        name: 'c24_payments',
        rows: 90_000,
        columns: [
          { name: 'invoice_id', type: 'int', gen: { kind: 'mod', n: 30_000 } },
          { name: 'paid', type: 'int', gen: { kind: 'mod', n: 999 } },
        ],
      },
    ],
    workload: [
      {
        sql: 'SELECT i.id, i.amount FROM c24_invoices i WHERE i.customer_id = ? AND NOT EXISTS (SELECT 1 FROM c24_payments p WHERE p.invoice_id = i.id)',
        params: (i) => [(i * 29) % 3_000],
      },
    ],
    expected: [
      { table: 'c24_invoices', columns: ['customer_id'] },
      { table: 'c24_payments', columns: ['invoice_id'] },
    ],
    mustNot: [],
  },
  {
    name: 'CTE filtering a large table',
    engines: BOTH,
    tables: [
      {
        name: 'c25_payments',
        rows: 120_000,
        columns: [
          { name: 'merchant_id', type: 'int', gen: { kind: 'mod', n: 6_000 } },
          { name: 'amount', type: 'int', gen: { kind: 'mod', n: 5_000 } },
        ],
      },
    ],
    workload: [
      {
        sql: 'WITH m AS (SELECT id, amount FROM c25_payments WHERE merchant_id = ?) SELECT count(*), sum(amount) FROM m',
        params: (i) => [(i * 19) % 6_000],
      },
    ],
    expected: [{ table: 'c25_payments', columns: ['merchant_id'] }],
    mustNot: [],
  },
  {
    // Reads a quarter of the orders whatever is indexed; the customers come by primary key.
    name: 'join key on the outer side of an unselective filter',
    engines: BOTH,
    tables: [
      {
        name: 'c26_customers',
        rows: 20_000,
        columns: [{ name: 'name', type: 'text', gen: { kind: 'text', prefix: 'n' } }],
      },
      {
        name: 'c26_orders',
        rows: 100_000,
        columns: [
          { name: 'customer_id', type: 'int', gen: { kind: 'mod', n: 20_000 } },
          { name: 'status', type: 'text', gen: { kind: 'text', prefix: 's', n: 4 } },
        ],
      },
    ],
    workload: [
      {
        sql: 'SELECT o.id, c.name FROM c26_orders o JOIN c26_customers c ON c.id = o.customer_id WHERE o.status = ?',
        params: (i) => [`s${i % 4}`],
        calls: 5,
      },
    ],
    expected: [],
    mustNot: [
      { table: 'c26_orders', columns: ['status'], reason: 'four values' },
      {
        table: 'c26_orders',
        columns: ['customer_id'],
        reason: 'outer side: the join goes orders -> customers',
      },
      { table: 'c26_customers', columns: ['id'], reason: 'primary key' },
    ],
  },
  {
    name: 'existing composite serves the filter and the sort',
    engines: BOTH,
    tables: [
      {
        name: 'c27_posts',
        rows: 100_000,
        columns: [
          { name: 'author_id', type: 'int', gen: { kind: 'mod', n: 2_000 } },
          { name: 'created_at', type: 'timestamp', gen: { kind: 'time', n: 100_000 } },
          { name: 'title', type: 'text', gen: { kind: 'text', prefix: 't' } },
        ],
        indexes: [{ columns: ['author_id', 'created_at'] }],
      },
    ],
    workload: [
      { sql: 'SELECT id, title FROM c27_posts WHERE author_id = ?', params: (i) => [(i * 3) % 2_000] },
      {
        sql: 'SELECT id, title FROM c27_posts WHERE author_id = ? ORDER BY created_at DESC LIMIT 10',
        params: (i) => [(i * 11) % 2_000],
      },
    ],
    expected: [],
    mustNot: [
      { table: 'c27_posts', columns: ['author_id'], reason: 'leading column of (author_id, created_at)' },
      { table: 'c27_posts', columns: ['author_id', 'created_at'], reason: 'exists' },
    ],
  },
  {
    name: 'tiny table looked up very often',
    engines: BOTH,
    tables: [
      {
        name: 'c28_plans',
        rows: 300,
        columns: [
          { name: 'code', type: 'text', gen: { kind: 'text', prefix: 'plan' } },
          { name: 'price', type: 'int', gen: { kind: 'mod', n: 90 } },
        ],
      },
    ],
    workload: [
      {
        sql: 'SELECT price FROM c28_plans WHERE code = ?',
        params: (i) => [`plan${1 + (i % 300)}`],
        calls: 200,
      },
    ],
    expected: [],
    mustNot: [{ table: 'c28_plans', columns: ['code'], reason: '300 rows' }],
  },
  {
    // Neither column is selective alone (2,950 and 3,600 rows per value) but together they
    // match ~60 rows: both, the one with more distinct values first.
    name: 'two unselective equalities, selective together',
    engines: BOTH,
    tables: [
      {
        name: 'c29_listings',
        rows: 180_000,
        columns: [
          { name: 'region', type: 'int', gen: { kind: 'mod', n: 50 } },
          { name: 'category', type: 'int', gen: { kind: 'mod', n: 61 } },
          { name: 'price', type: 'int', gen: { kind: 'mod', n: 10_000 } },
        ],
      },
    ],
    workload: [
      {
        sql: 'SELECT id, price FROM c29_listings WHERE region = ? AND category = ?',
        params: (i) => [i % 50, (i * 7) % 61],
      },
    ],
    expected: [{ table: 'c29_listings', columns: ['category', 'region'] }],
    mustNot: [
      { table: 'c29_listings', columns: ['region'], reason: 'alone: 3,600 rows per value' },
      { table: 'c29_listings', columns: ['region', 'category'], reason: 'the more selective column leads' },
    ],
  },
  {
    name: 'predicates no btree serves: <> and LIKE with a leading wildcard',
    engines: BOTH,
    tables: [
      {
        name: 'c30_notes',
        rows: 60_000,
        columns: [
          { name: 'kind', type: 'text', gen: { kind: 'text', prefix: 'kind', n: 3 } },
          { name: 'body', type: 'text', gen: { kind: 'text', prefix: 'note body ' } },
        ],
      },
    ],
    workload: [
      { sql: 'SELECT id FROM c30_notes WHERE kind <> ?', params: () => ['kind0'], calls: 5 },
      { sql: 'SELECT id FROM c30_notes WHERE body LIKE ?', params: (i) => [`%${100 + i}%`], calls: 10 },
    ],
    expected: [],
    mustNot: [
      { table: 'c30_notes', columns: ['kind'], reason: '<> reads most of the table' },
      { table: 'c30_notes', columns: ['body'], reason: 'a leading wildcard cannot use a btree' },
    ],
  },
  {
    name: 'join: selective filter on the parent, child key already indexed',
    engines: BOTH,
    tables: [
      {
        name: 'c31_customers',
        rows: 40_000,
        columns: [{ name: 'email', type: 'text', gen: { kind: 'text', prefix: 'c31user' } }],
      },
      {
        name: 'c31_orders',
        rows: 120_000,
        columns: [
          { name: 'customer_id', type: 'int', gen: { kind: 'mod', n: 40_000 } },
          { name: 'total', type: 'int', gen: { kind: 'mod', n: 800 } },
        ],
        indexes: [{ columns: ['customer_id'] }],
      },
    ],
    workload: [
      {
        sql: 'SELECT o.id, o.total FROM c31_customers c JOIN c31_orders o ON o.customer_id = c.id WHERE c.email = ?',
        params: (i) => [`c31user${1 + ((i * 71) % 40_000)}`],
      },
    ],
    expected: [{ table: 'c31_customers', columns: ['email'] }],
    mustNot: [{ table: 'c31_orders', columns: ['customer_id'], reason: 'already indexed' }],
  },
  {
    name: 'unique-ish equality + range: the range adds nothing',
    engines: BOTH,
    tables: [
      {
        name: 'c32_products',
        rows: 70_000,
        columns: [
          { name: 'sku', type: 'text', gen: { kind: 'text', prefix: 'p' } },
          { name: 'price', type: 'int', gen: { kind: 'mod', n: 1_000 } },
        ],
      },
    ],
    workload: [
      {
        sql: 'SELECT id FROM c32_products WHERE sku = ? AND price > ?',
        params: (i) => [`p${1 + ((i * 13) % 70_000)}`, 10],
      },
    ],
    expected: [{ table: 'c32_products', columns: ['sku'] }],
    mustNot: [{ table: 'c32_products', columns: ['sku', 'price'], reason: 'one row per sku already' }],
  },
  {
    name: 'aggregate over one key (count)',
    engines: BOTH,
    tables: [
      {
        name: 'c33_page_views',
        rows: 250_000,
        columns: [
          { name: 'page_id', type: 'int', gen: { kind: 'mod', n: 25_000 } },
          { name: 'ms', type: 'int', gen: { kind: 'mod', n: 3_000 } },
        ],
      },
    ],
    workload: [
      {
        sql: 'SELECT count(*), avg(ms) FROM c33_page_views WHERE page_id = ?',
        params: (i) => [(i * 101) % 25_000],
      },
    ],
    expected: [{ table: 'c33_page_views', columns: ['page_id'] }],
    mustNot: [{ table: 'c33_page_views', columns: ['ms'], reason: 'aggregated, not filtered' }],
  },
  {
    name: 'unique reference + tenant: the unique column alone',
    engines: BOTH,
    tables: [
      {
        name: 'c34_shipments',
        rows: 90_000,
        columns: [
          { name: 'tenant_id', type: 'int', gen: { kind: 'mod', n: 30 } },
          { name: 'external_ref', type: 'text', gen: { kind: 'text', prefix: 'ext-' } },
          { name: 'state', type: 'int', gen: { kind: 'mod', n: 6 } },
        ],
      },
    ],
    workload: [
      {
        sql: 'UPDATE c34_shipments SET state = ? WHERE tenant_id = ? AND external_ref = ?',
        params: (i) => [i % 6, i % 30, `ext-${1 + ((i * 89) % 90_000)}`],
      },
    ],
    expected: [{ table: 'c34_shipments', columns: ['external_ref'] }],
    mustNot: [
      { table: 'c34_shipments', columns: ['tenant_id'], reason: '3,000 rows per tenant' },
      { table: 'c34_shipments', columns: ['tenant_id', 'external_ref'], reason: 'the unique column leads' },
    ],
  },
  {
    name: 'join: the selective filter is on the child, the parent comes by primary key',
    engines: BOTH,
    tables: [
      {
        name: 'c35_devices',
        rows: 20_000,
        columns: [{ name: 'model', type: 'text', gen: { kind: 'text', prefix: 'm', n: 40 } }],
      },
      {
        name: 'c35_readings',
        rows: 200_000,
        columns: [
          { name: 'device_id', type: 'int', gen: { kind: 'mod', n: 20_000 } },
          { name: 'serial', type: 'text', gen: { kind: 'text', prefix: 'r' } },
        ],
      },
    ],
    workload: [
      {
        sql: 'SELECT r.id, d.model FROM c35_readings r JOIN c35_devices d ON d.id = r.device_id WHERE r.serial = ?',
        params: (i) => [`r${1 + ((i * 211) % 200_000)}`],
      },
    ],
    expected: [{ table: 'c35_readings', columns: ['serial'] }],
    mustNot: [
      { table: 'c35_readings', columns: ['device_id'], reason: 'the readings side is found by serial' },
      { table: 'c35_devices', columns: ['id'], reason: 'primary key' },
    ],
  },
  {
    // `created_at > ?` with a recent bound: the shape of a "since" poll, both columns.
    name: 'equality + open-ended recent range',
    engines: BOTH,
    tables: [
      {
        name: 'c36_events',
        rows: 200_000,
        columns: [
          { name: 'source', type: 'text', gen: { kind: 'text', prefix: 'src', n: 5 } },
          { name: 'created_at', type: 'timestamp', gen: { kind: 'time', n: 200_000 } },
        ],
      },
    ],
    workload: [
      {
        sql: 'SELECT id FROM c36_events WHERE source = ? AND created_at > ?',
        params: (i) => [`src${i % 5}`, ts(200_000 - 60 - i)],
      },
    ],
    expected: [{ table: 'c36_events', columns: ['source', 'created_at'] }],
    mustNot: [{ table: 'c36_events', columns: ['source'], reason: 'a fifth of the table' }],
  },
  {
    // The primary key already walks the rows in id order; a third match every few rows.
    name: 'LIMITed sort the primary key already serves',
    engines: BOTH,
    tables: [
      {
        name: 'c37_comments',
        rows: 100_000,
        columns: [
          { name: 'kind', type: 'int', gen: { kind: 'mod', n: 3 } },
          { name: 'body', type: 'text', gen: { kind: 'text', prefix: 'c' } },
        ],
      },
    ],
    workload: [
      {
        sql: 'SELECT id, body FROM c37_comments WHERE kind = ? ORDER BY id DESC LIMIT 20',
        params: (i) => [i % 3],
      },
    ],
    expected: [],
    mustNot: [
      { table: 'c37_comments', columns: ['kind'], reason: 'three values' },
      { table: 'c37_comments', columns: ['kind', 'id'], reason: 'the primary key order already stops early' },
    ],
  },
  {
    name: 'IN (subquery) on an unindexed key',
    engines: BOTH,
    tables: [
      {
        name: 'c38_users',
        rows: 30_000,
        columns: [{ name: 'handle', type: 'text', gen: { kind: 'text', prefix: 'h' } }],
      },
      {
        name: 'c38_follows',
        rows: 150_000,
        columns: [
          { name: 'follower_id', type: 'int', gen: { kind: 'mod', n: 30_000 } },
          { name: 'followee_id', type: 'int', gen: { kind: 'mod', n: 29_989 } },
        ],
      },
    ],
    workload: [
      {
        sql: 'SELECT followee_id FROM c38_follows WHERE follower_id IN (SELECT id FROM c38_users WHERE handle = ?)',
        params: (i) => [`h${1 + ((i * 17) % 30_000)}`],
      },
    ],
    expected: [
      { table: 'c38_users', columns: ['handle'] },
      { table: 'c38_follows', columns: ['follower_id'] },
    ],
    mustNot: [],
  },
  {
    name: 'schema-qualified table in the statement',
    engines: ['postgres'],
    tables: [
      {
        name: 'c39_audit',
        rows: 80_000,
        columns: [
          { name: 'actor_id', type: 'int', gen: { kind: 'mod', n: 8_000 } },
          { name: 'action', type: 'text', gen: { kind: 'text', prefix: 'a', n: 12 } },
        ],
      },
    ],
    workload: [
      {
        sql: 'SELECT id, action FROM public.c39_audit WHERE actor_id = ?',
        params: (i) => [(i * 13) % 8_000],
      },
    ],
    expected: [{ table: 'c39_audit', columns: ['actor_id'] }],
    mustNot: [],
  },
  {
    name: 'EXISTS with a selective filter inside, no filter outside',
    engines: BOTH,
    tables: [
      {
        name: 'c40_customers',
        rows: 20_000,
        columns: [{ name: 'name', type: 'text', gen: { kind: 'text', prefix: 'n' } }],
      },
      {
        name: 'c40_orders',
        rows: 120_000,
        columns: [
          { name: 'customer_id', type: 'int', gen: { kind: 'mod', n: 20_000 } },
          { name: 'coupon', type: 'text', gen: { kind: 'text', prefix: 'cp' } },
        ],
      },
    ],
    workload: [
      {
        sql: 'SELECT c.id, c.name FROM c40_customers c WHERE EXISTS (SELECT 1 FROM c40_orders o WHERE o.customer_id = c.id AND o.coupon = ?)',
        params: (i) => [`cp${1 + ((i * 7) % 120_000)}`],
      },
    ],
    expected: [{ table: 'c40_orders', columns: ['coupon'] }],
    mustNot: [{ table: 'c40_orders', columns: ['customer_id'], reason: 'every customer is read anyway' }],
  },
  {
    // The sample statement keeps the literal: a prefix pattern is a btree range on MySQL.
    // (pg_stat_statements normalizes the pattern away, so the PostgreSQL side is not asked.)
    name: "MySQL: LIKE 'prefix%' on a selective column",
    engines: ['mysql'],
    tables: [
      {
        name: 'c41_customers',
        rows: 60_000,
        columns: [
          { name: 'last_name', type: 'text', gen: { kind: 'text', prefix: 'ln' } },
          { name: 'city', type: 'int', gen: { kind: 'mod', n: 300 } },
        ],
      },
    ],
    workload: [
      {
        sql: 'SELECT id, city FROM c41_customers WHERE last_name LIKE ?',
        params: (i) => [`ln${1000 + i * 37}%`],
      },
    ],
    expected: [{ table: 'c41_customers', columns: ['last_name'] }],
    mustNot: [],
  },
  {
    name: 'equality + range on the sort column, LIMIT',
    engines: BOTH,
    tables: [
      {
        name: 'c42_trades',
        rows: 200_000,
        columns: [
          { name: 'symbol', type: 'text', gen: { kind: 'text', prefix: 'sym', n: 400 } },
          { name: 'traded_at', type: 'timestamp', gen: { kind: 'time', n: 200_000 } },
          { name: 'price', type: 'int', gen: { kind: 'mod', n: 10_000 } },
        ],
      },
    ],
    workload: [
      {
        sql: 'SELECT id, price FROM c42_trades WHERE symbol = ? AND traded_at < ? ORDER BY traded_at DESC LIMIT 20',
        params: (i) => [`sym${(i * 7) % 400}`, ts(150_000 + i)],
      },
    ],
    expected: [{ table: 'c42_trades', columns: ['symbol', 'traded_at'] }],
    mustNot: [{ table: 'c42_trades', columns: ['traded_at'], reason: 'the symbol leads' }],
  },
];
