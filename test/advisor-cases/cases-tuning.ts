import { BOTH, int, long, MY, natural, PG, SRC, time, ts, txt } from './case-builders.js';
import type { AdvisorCase } from './cases.js';

// Part of the TUNING half of the index-advisor case set (issue #12), with cases.ts and
// cases-shapes.ts: cases that may be looked at while changing the rules. Written at the split
// (2026-11-29 13:15 UTC) from the material each cites, so the shapes of issue #12 — the wrong
// index used, equality + sort under LIMIT, covering, LIKE prefix in a non-C collation, long
// VARCHAR prefixes, already fast — have tuning instances besides the held-out ones
// (cases-held-out.ts). Tables are prefixed t<nn>_.

const T = 'tuning' as const;

export const TUNING_CASES: AdvisorCase[] = [
  {
    name: 'order history by customer and date, index on placed_at only',
    source: SRC.lukeRanges,
    split: T,
    engines: BOTH,
    tables: [
      {
        name: 't01_orders',
        rows: 200_000,
        columns: [int('customer_id', 4_000), time('placed_at', 200_000), int('total', 5_000)],
        indexes: [{ columns: ['placed_at'] }],
      },
    ],
    workload: [
      {
        sql: 'SELECT id, total FROM t01_orders WHERE customer_id = ? AND placed_at >= ? AND placed_at < ?',
        params: (i) => [(i * 13) % 4_000, ts(i * 3_000), ts(i * 3_000 + 20 * 1440)],
      },
    ],
    expected: [{ table: 't01_orders', columns: ['customer_id', 'placed_at'] }],
    mustNot: [],
  },
  {
    name: 'metrics of one host over two days, index on ts only',
    source: SRC.pgMulticolumn,
    split: T,
    engines: BOTH,
    tables: [
      {
        name: 't02_metrics',
        rows: 250_000,
        columns: [int('host_id', 500), time('ts', 250_000), int('cpu', 100)],
        indexes: [{ columns: ['ts'] }],
      },
    ],
    workload: [
      {
        sql: 'SELECT ts, cpu FROM t02_metrics WHERE host_id = ? AND ts BETWEEN ? AND ?',
        params: (i) => [(i * 7) % 500, ts(i * 5_000), ts(i * 5_000 + 4 * 1440)],
      },
    ],
    expected: [{ table: 't02_metrics', columns: ['host_id', 'ts'] }],
    mustNot: [],
  },
  {
    name: 'recent comments of an article, index on article_id only',
    source: SRC.myOrderBy,
    split: T,
    engines: BOTH,
    tables: [
      {
        name: 't03_comments',
        rows: 200_000,
        columns: [int('article_id', 300), time('created_at', 200_000), txt('body', 'comment ')],
        indexes: [{ columns: ['article_id'] }],
      },
    ],
    workload: [
      {
        sql: 'SELECT id, body FROM t03_comments WHERE article_id = ? ORDER BY created_at DESC LIMIT 10',
        params: (i) => [(i * 7) % 300],
      },
    ],
    expected: [{ table: 't03_comments', columns: ['article_id', 'created_at'] }],
    mustNot: [],
  },
  {
    name: 'revenue per region served from the index',
    source: SRC.lukeCovering,
    split: T,
    engines: BOTH,
    tables: [
      {
        name: 't04_sales',
        rows: 200_000,
        columns: [int('region_id', 100), int('revenue', 10_000), txt('memo', 'memo text ')],
      },
    ],
    workload: [
      { sql: 'SELECT sum(revenue) FROM t04_sales WHERE region_id = ?', params: (i) => [i % 100], calls: 30 },
    ],
    expected: [{ table: 't04_sales', columns: ['region_id'], include: ['revenue'] }],
    mustNot: [],
  },
  {
    name: 'city search by name prefix in an English collation',
    source: SRC.pgOpclass,
    split: T,
    engines: PG,
    tables: [
      { name: 't05_cities', rows: 120_000, columns: [natural('name', 'city'), int('population', 100_000)] },
    ],
    workload: [
      {
        sql: 'SELECT id, name FROM t05_cities WHERE name LIKE ?',
        params: (i) => [`city${1_000 + ((i * 31) % 9_000)}%`],
      },
    ],
    expected: [{ table: 't05_cities', columns: ['name'], opclass: { name: 'text_pattern_ops' } }],
    mustNot: [
      { table: 't05_cities', columns: ['name'], reason: 'a plain btree in en collation cannot serve LIKE' },
    ],
  },
  {
    name: 'referrer lookup on a long VARCHAR(1024) utf8mb4 column',
    source: SRC.myPrefix,
    split: T,
    engines: MY,
    tables: [
      {
        name: 't06_referrers',
        rows: 100_000,
        columns: [long('referrer', 'https://partners.example.com/r/'), int('visits', 1_000)],
      },
    ],
    workload: [
      {
        sql: 'SELECT visits FROM t06_referrers WHERE referrer = ?',
        params: (i) => [`https://partners.example.com/r/${1 + ((i * 7_919) % 100_000)}`],
      },
    ],
    expected: [
      { table: 't06_referrers', columns: ['referrer'], prefix: { referrer: { min: 37, max: 768 } } },
    ],
    mustNot: [{ table: 't06_referrers', columns: ['referrer'], reason: 'full column over the key limit' }],
  },
  {
    name: 'already fast: a device’s two rows through (device_id), plus a kind filter',
    source: SRC.pgIntro,
    split: T,
    engines: BOTH,
    tables: [
      {
        name: 't07_alerts',
        rows: 80_000,
        columns: [int('device_id', 40_000), int('kind', 5), txt('message', 'alert ')],
        indexes: [{ columns: ['device_id'] }],
      },
    ],
    workload: [
      {
        sql: 'SELECT id, message FROM t07_alerts WHERE device_id = ? AND kind = ?',
        params: (i) => [(i * 3) % 40_000, i % 5],
      },
    ],
    expected: [],
    mustNot: [{ table: 't07_alerts', columns: ['device_id', 'kind'], reason: 'two rows read already' }],
  },
  {
    name: 'too small: 300 tax rates looked up by region code',
    source: SRC.myHowUse,
    split: T,
    engines: BOTH,
    tables: [{ name: 't08_tax_rates', rows: 300, columns: [txt('region_code', 'R'), int('rate', 30)] }],
    workload: [
      {
        sql: 'SELECT rate FROM t08_tax_rates WHERE region_code = ?',
        params: (i) => [`R${1 + (i % 300)}`],
        calls: 30,
      },
    ],
    expected: [],
    mustNot: [{ table: 't08_tax_rates', columns: ['region_code'], reason: 'a few pages' }],
  },
  {
    name: 'unselective: half the table per payment method',
    source: SRC.pgExamine,
    split: T,
    engines: BOTH,
    tables: [{ name: 't09_payments', rows: 100_000, columns: [txt('method', 'm', 2), int('amount', 800)] }],
    workload: [
      { sql: 'SELECT avg(amount) FROM t09_payments WHERE method = ?', params: (i) => [`m${i % 2}`] },
    ],
    expected: [],
    mustNot: [{ table: 't09_payments', columns: ['method'], reason: 'half the table per value' }],
  },
  {
    name: 'write-heavy: a hot status column rewritten constantly, a rare lookup',
    source: SRC.lukeWrites,
    split: T,
    engines: BOTH,
    tables: [{ name: 't10_workers', rows: 30_000, columns: [int('heartbeat', 600), int('cpu_load', 100)] }],
    workload: [
      {
        sql: 'UPDATE t10_workers SET heartbeat = ? WHERE id = ?',
        params: (i) => [i % 600, 1 + ((i * 11) % 30_000)],
        calls: 3_000,
      },
      { sql: 'SELECT count(*) FROM t10_workers WHERE heartbeat = ?', params: (i) => [i], calls: 1 },
    ],
    expected: [],
    mustNot: [{ table: 't10_workers', columns: ['heartbeat'], reason: 'rewritten 3,000 times per lookup' }],
  },
  {
    name: 'unselective: one of three regions with a wide date range',
    source: SRC.lukeRanges,
    split: T,
    engines: BOTH,
    tables: [{ name: 't11_visits', rows: 120_000, columns: [int('region', 3), time('visited_at', 120_000)] }],
    workload: [
      {
        sql: 'SELECT count(*) FROM t11_visits WHERE region = ? AND visited_at > ?',
        params: (i) => [i % 3, ts(10_000 + i)],
      },
    ],
    expected: [],
    mustNot: [
      { table: 't11_visits', columns: ['region', 'visited_at'], reason: 'still 30% of the table' },
      { table: 't11_visits', columns: ['region'], reason: 'a third of the table' },
    ],
  },
  {
    name: 'already fast: unique username lookup plus an active flag',
    source: SRC.myHowUse,
    split: T,
    engines: BOTH,
    tables: [
      {
        name: 't12_logins',
        rows: 60_000,
        columns: [txt('username', 'u'), int('active', 2)],
        indexes: [{ columns: ['username'], unique: true }],
      },
    ],
    workload: [
      {
        sql: 'SELECT id FROM t12_logins WHERE username = ? AND active = ?',
        params: (i) => [`u${1 + ((i * 7) % 60_000)}`, 1],
      },
    ],
    expected: [],
    mustNot: [
      { table: 't12_logins', columns: ['username', 'active'], reason: 'the unique index reads one row' },
    ],
  },
  // "Replace, don't add" (tuning, written 2026-11-29 19:00 UTC before the rule): the index a
  // statement needs extends an existing one, which it makes redundant: the fix drops it.
  {
    name: "replace, don't add: a customer's orders of one day, index on customer_id only",
    source: SRC.perconaRedundant,
    split: T,
    engines: BOTH,
    tables: [
      {
        name: 't13_orders',
        rows: 200_000,
        columns: [int('customer_id', 200), time('placed_at', 200_000), int('total', 5_000)],
        indexes: [{ columns: ['customer_id'] }],
      },
    ],
    workload: [
      {
        sql: 'SELECT id, total FROM t13_orders WHERE customer_id = ? AND placed_at >= ? AND placed_at < ?',
        params: (i) => [(i * 7) % 200, ts(i * 9_000), ts(i * 9_000 + 1_440)],
      },
    ],
    expected: [{ table: 't13_orders', columns: ['customer_id', 'placed_at'], replaces: ['t13_orders_x0'] }],
    mustNot: [],
  },
  {
    name: "replace, don't add: the latest posts of a thread under LIMIT, index on thread_id only",
    source: SRC.lukeOrderBy,
    split: T,
    engines: BOTH,
    tables: [
      {
        name: 't14_posts',
        rows: 200_000,
        columns: [int('thread_id', 100), time('created_at', 200_000), txt('title', 'post ')],
        indexes: [{ columns: ['thread_id'] }],
      },
    ],
    workload: [
      {
        sql: 'SELECT id, title FROM t14_posts WHERE thread_id = ? ORDER BY created_at DESC LIMIT 20',
        params: (i) => [(i * 3) % 100],
      },
    ],
    expected: [{ table: 't14_posts', columns: ['thread_id', 'created_at'], replaces: ['t14_posts_x0'] }],
    mustNot: [],
  },
  {
    name: "replace, don't add: a tenant's documents of one type, index on tenant_id only",
    source: SRC.lukeConcatenated,
    split: T,
    engines: BOTH,
    tables: [
      {
        name: 't15_documents',
        rows: 200_000,
        columns: [int('tenant_id', 101), int('doc_type', 37), txt('title', 'doc ')],
        indexes: [{ columns: ['tenant_id'] }],
      },
    ],
    workload: [
      {
        sql: 'SELECT id, title FROM t15_documents WHERE tenant_id = ? AND doc_type = ?',
        params: (i) => [(i * 5) % 101, (i * 3) % 37],
      },
    ],
    expected: [
      { table: 't15_documents', columns: ['tenant_id', 'doc_type'], replaces: ['t15_documents_x0'] },
    ],
    mustNot: [],
  },
  // Negatives beside them (tuning, 2026-11-29 19:12 UTC), so the set keeps at least as many
  // negative cases as positive ones.
  {
    name: 'too small: a 2,000-row lookup table read in full is cheaper than any index',
    source: SRC.pgExamine,
    split: T,
    engines: BOTH,
    tables: [{ name: 't16_countries', rows: 2_000, columns: [txt('iso_code', 'c'), int('region', 20)] }],
    workload: [{ sql: 'SELECT id FROM t16_countries WHERE region = ?', params: (i) => [i % 20], calls: 50 }],
    expected: [],
    mustNot: [{ table: 't16_countries', columns: ['region'], reason: 'a table of a few pages' }],
  },
  {
    name: 'already served: (customer_id, placed_at) exists, the statement filters customer_id alone',
    source: SRC.lukeConcatenated,
    split: T,
    engines: BOTH,
    tables: [
      {
        name: 't17_orders',
        rows: 150_000,
        columns: [int('customer_id', 5_000), time('placed_at', 150_000), int('total', 5_000)],
        indexes: [{ columns: ['customer_id', 'placed_at'] }],
      },
    ],
    workload: [
      { sql: 'SELECT id, total FROM t17_orders WHERE customer_id = ?', params: (i) => [(i * 11) % 5_000] },
    ],
    expected: [],
    mustNot: [{ table: 't17_orders', columns: ['customer_id'], reason: 'the composite leads with it' }],
  },
  {
    name: 'unselective: a yes/no flag true on half the rows',
    source: SRC.myHowUse,
    split: T,
    engines: BOTH,
    tables: [{ name: 't18_subscribers', rows: 100_000, columns: [int('opted_in', 2), txt('email', 'e')] }],
    workload: [{ sql: 'SELECT count(*) FROM t18_subscribers WHERE opted_in = ?', params: (i) => [i % 2] }],
    expected: [],
    mustNot: [{ table: 't18_subscribers', columns: ['opted_in'], reason: 'half the table per value' }],
  },
];
