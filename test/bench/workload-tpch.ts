// A TPC-H-like schema, data and query set for the workload benchmark (test/bench/workload.ts).
// The eight TPC-H tables with their primary keys and no other index, data generated in SQL at a
// small scale factor (generate_series, random() after setseed: the same data every run), and
// ten of the 22 TPC-H queries, written for PostgreSQL with bound parameters. Not the official
// dbgen/qgen: value domains follow the specification's shape (dates 1992-1998, 25 brands,
// 40 containers, 150 types, 5 segments, 7 ship modes), sizes scale with SF as in the
// specification (lineitem about 6,000,000 x SF rows).

export const TPCH_TABLES = [
  'region',
  'nation',
  'supplier',
  'customer',
  'part',
  'partsupp',
  'orders',
  'lineitem',
] as const;

/** The schema and its data at scale factor `sf`, one statement per entry, run in order. */
export function tpchLoad(sf: number): string[] {
  const suppliers = Math.max(10, Math.round(10_000 * sf));
  const customers = Math.round(150_000 * sf);
  const parts = Math.round(200_000 * sf);
  const orders = Math.round(1_500_000 * sf);
  const pick = (values: string[]) =>
    `(ARRAY[${values.map((v) => `'${v}'`).join(',')}])[1 + floor(random() * ${values.length})::int]`;
  const REGIONS = ['AFRICA', 'AMERICA', 'ASIA', 'EUROPE', 'MIDDLE EAST'];
  const SEGMENTS = ['AUTOMOBILE', 'BUILDING', 'FURNITURE', 'HOUSEHOLD', 'MACHINERY'];
  const PRIORITIES = ['1-URGENT', '2-HIGH', '3-MEDIUM', '4-NOT SPECIFIED', '5-LOW'];
  const MODES = ['REG AIR', 'AIR', 'RAIL', 'SHIP', 'TRUCK', 'MAIL', 'FOB'];
  const INSTRUCT = ['DELIVER IN PERSON', 'COLLECT COD', 'NONE', 'TAKE BACK RETURN'];
  const TYPE1 = ['STANDARD', 'SMALL', 'MEDIUM', 'LARGE', 'ECONOMY', 'PROMO'];
  const TYPE2 = ['ANODIZED', 'BURNISHED', 'PLATED', 'POLISHED', 'BRUSHED'];
  const TYPE3 = ['TIN', 'NICKEL', 'BRASS', 'STEEL', 'COPPER'];
  const CONT1 = ['SM', 'LG', 'MED', 'JUMBO', 'WRAP'];
  const CONT2 = ['CASE', 'BOX', 'BAG', 'JAR', 'PKG', 'PACK', 'CAN', 'DRUM'];
  const COLORS = [
    'almond',
    'antique',
    'aquamarine',
    'azure',
    'beige',
    'bisque',
    'black',
    'blanched',
    'blue',
    'blush',
  ];
  return [
    'SELECT setseed(0.42)',
    'CREATE TABLE region (r_regionkey integer PRIMARY KEY, r_name text NOT NULL, r_comment text)',
    'CREATE TABLE nation (n_nationkey integer PRIMARY KEY, n_name text NOT NULL, n_regionkey integer NOT NULL, n_comment text)',
    'CREATE TABLE supplier (s_suppkey integer PRIMARY KEY, s_name text, s_address text, s_nationkey integer NOT NULL, s_phone text, s_acctbal numeric(12,2), s_comment text)',
    'CREATE TABLE customer (c_custkey integer PRIMARY KEY, c_name text, c_address text, c_nationkey integer NOT NULL, c_phone text, c_acctbal numeric(12,2), c_mktsegment text, c_comment text)',
    'CREATE TABLE part (p_partkey integer PRIMARY KEY, p_name text, p_mfgr text, p_brand text, p_type text, p_size integer, p_container text, p_retailprice numeric(12,2), p_comment text)',
    'CREATE TABLE partsupp (ps_partkey integer NOT NULL, ps_suppkey integer NOT NULL, ps_availqty integer, ps_supplycost numeric(12,2), ps_comment text, PRIMARY KEY (ps_partkey, ps_suppkey))',
    'CREATE TABLE orders (o_orderkey integer PRIMARY KEY, o_custkey integer NOT NULL, o_orderstatus char(1), o_totalprice numeric(12,2), o_orderdate date, o_orderpriority text, o_clerk text, o_shippriority integer, o_comment text)',
    'CREATE TABLE lineitem (l_orderkey integer NOT NULL, l_partkey integer NOT NULL, l_suppkey integer NOT NULL, l_linenumber integer NOT NULL, l_quantity numeric(12,2), l_extendedprice numeric(12,2), l_discount numeric(12,2), l_tax numeric(12,2), l_returnflag char(1), l_linestatus char(1), l_shipdate date, l_commitdate date, l_receiptdate date, l_shipinstruct text, l_shipmode text, l_comment text, PRIMARY KEY (l_orderkey, l_linenumber))',
    `INSERT INTO region SELECT i - 1, (ARRAY[${REGIONS.map((r) => `'${r}'`).join(',')}])[i], 'region comment ' || i FROM generate_series(1, 5) i`,
    `INSERT INTO nation SELECT i, 'NATION' || i, i % 5, 'nation comment ' || i FROM generate_series(0, 24) i`,
    `INSERT INTO supplier SELECT i, 'Supplier#' || lpad(i::text, 9, '0'), 'addr ' || i, floor(random() * 25)::int, lpad((10 + floor(random() * 25))::text, 2, '0') || '-' || (100 + i % 900), round((random() * 10999 - 999)::numeric, 2), 'supplier comment ' || i FROM generate_series(1, ${suppliers}) i`,
    `INSERT INTO customer SELECT i, 'Customer#' || lpad(i::text, 9, '0'), 'addr ' || i, floor(random() * 25)::int, lpad((10 + floor(random() * 25))::text, 2, '0') || '-' || (100 + i % 900), round((random() * 10999 - 999)::numeric, 2), ${pick(SEGMENTS)}, 'customer comment ' || i FROM generate_series(1, ${customers}) i`,
    `INSERT INTO part SELECT i, ${pick(COLORS)} || ' ' || ${pick(COLORS)} || ' part ' || i, 'Manufacturer#' || m, 'Brand#' || m || (1 + floor(random() * 5))::int, ${pick(TYPE1)} || ' ' || ${pick(TYPE2)} || ' ' || ${pick(TYPE3)}, 1 + floor(random() * 50)::int, ${pick(CONT1)} || ' ' || ${pick(CONT2)}, (90000 + ((i / 10) % 20001) + 100 * (i % 1000)) / 100.0, 'part comment ' || i FROM (SELECT i, 1 + floor(random() * 5)::int AS m FROM generate_series(1, ${parts}) i) p`,
    `INSERT INTO partsupp SELECT p, ((p + k * (${suppliers} / 4 + (p - 1) / ${suppliers})) % ${suppliers}) + 1, 1 + floor(random() * 9999)::int, round((1 + random() * 999)::numeric, 2), 'partsupp comment' FROM generate_series(1, ${parts}) p, generate_series(0, 3) k`,
    `INSERT INTO orders SELECT i, 1 + floor(random() * ${customers})::int, 'O', 0, date '1992-01-01' + floor(random() * 2405)::int, ${pick(PRIORITIES)}, 'Clerk#' || lpad((1 + floor(random() * ${Math.max(1, Math.round(1000 * sf))}))::text, 9, '0'), 0, 'order comment ' || i FROM generate_series(1, ${orders}) i`,
    `INSERT INTO lineitem SELECT o.o_orderkey, l.partkey, ((l.partkey + l.k * (${suppliers} / 4 + (l.partkey - 1) / ${suppliers})) % ${suppliers}) + 1, l.n, l.qty, l.qty * (90000 + ((l.partkey / 10) % 20001) + 100 * (l.partkey % 1000)) / 100.0, round((floor(random() * 11) / 100)::numeric, 2), round((floor(random() * 9) / 100)::numeric, 2), 'N', 'O', o.o_orderdate + l.ship, o.o_orderdate + l.commit, o.o_orderdate + l.ship + l.receipt, ${pick(INSTRUCT)}, ${pick(MODES)}, 'lineitem comment' FROM orders o, LATERAL (SELECT n, 1 + floor(random() * ${parts})::int AS partkey, floor(random() * 4)::int AS k, 1 + floor(random() * 50)::int AS qty, 1 + floor(random() * 121)::int AS ship, 30 + floor(random() * 61)::int AS commit, 1 + floor(random() * 30)::int AS receipt FROM generate_series(1, 1 + (o.o_orderkey * 7 + 3) % 7) n) l`,
    `UPDATE lineitem SET l_returnflag = CASE WHEN l_receiptdate <= date '1995-06-17' THEN (CASE WHEN random() < 0.5 THEN 'R' ELSE 'A' END) ELSE 'N' END, l_linestatus = CASE WHEN l_shipdate > date '1995-06-17' THEN 'O' ELSE 'F' END`,
    `UPDATE orders o SET o_totalprice = s.total, o_orderstatus = s.status FROM (SELECT l_orderkey, sum(l_extendedprice * (1 + l_tax) * (1 - l_discount)) AS total, CASE WHEN bool_and(l_linestatus = 'F') THEN 'F' WHEN bool_and(l_linestatus = 'O') THEN 'O' ELSE 'P' END AS status FROM lineitem GROUP BY l_orderkey) s WHERE s.l_orderkey = o.o_orderkey`,
    // the UPDATEs above left a dead copy of every row: rewrite, then set the visibility map
    'VACUUM FULL',
    'VACUUM ANALYZE',
  ];
}

export interface TpchQuery {
  name: string;
  sql: string;
  /** parameters of run n (0, 1, 2...): each run asks a different question, as an application does */
  params: (n: number) => (string | number)[];
}

const d = (year: number, month: number): string => `${year}-${String(month).padStart(2, '0')}-01`;
const SEGMENTS = ['AUTOMOBILE', 'BUILDING', 'FURNITURE', 'HOUSEHOLD', 'MACHINERY'];
const REGIONS = ['AFRICA', 'AMERICA', 'ASIA', 'EUROPE', 'MIDDLE EAST'];

/** Ten TPC-H queries (numbers as in the specification), parameterised. */
export const TPCH_QUERIES: TpchQuery[] = [
  {
    name: 'Q1 pricing summary',
    sql: `SELECT l_returnflag, l_linestatus, sum(l_quantity), sum(l_extendedprice), sum(l_extendedprice * (1 - l_discount)), avg(l_quantity), avg(l_discount), count(*)
      FROM lineitem WHERE l_shipdate <= date '1998-12-01' - $1::int GROUP BY l_returnflag, l_linestatus ORDER BY l_returnflag, l_linestatus`,
    params: (n) => [60 + ((n * 17) % 61)],
  },
  {
    name: 'Q3 shipping priority',
    sql: `SELECT l_orderkey, sum(l_extendedprice * (1 - l_discount)) AS revenue, o_orderdate, o_shippriority
      FROM customer, orders, lineitem
      WHERE c_mktsegment = $1 AND c_custkey = o_custkey AND l_orderkey = o_orderkey AND o_orderdate < $2::date AND l_shipdate > $2::date
      GROUP BY l_orderkey, o_orderdate, o_shippriority ORDER BY revenue DESC, o_orderdate LIMIT 10`,
    params: (n) => [SEGMENTS[n % 5] as string, `1995-03-${String(1 + ((n * 7) % 28)).padStart(2, '0')}`],
  },
  {
    name: 'Q4 order priority checking',
    sql: `SELECT o_orderpriority, count(*) FROM orders
      WHERE o_orderdate >= $1::date AND o_orderdate < $1::date + interval '3 month'
        AND EXISTS (SELECT 1 FROM lineitem WHERE l_orderkey = o_orderkey AND l_commitdate < l_receiptdate)
      GROUP BY o_orderpriority ORDER BY o_orderpriority`,
    params: (n) => [d(1993 + (n % 5), 1 + ((n * 3) % 10))],
  },
  {
    name: 'Q5 local supplier volume',
    sql: `SELECT n_name, sum(l_extendedprice * (1 - l_discount)) AS revenue
      FROM customer, orders, lineitem, supplier, nation, region
      WHERE c_custkey = o_custkey AND l_orderkey = o_orderkey AND l_suppkey = s_suppkey AND c_nationkey = s_nationkey
        AND s_nationkey = n_nationkey AND n_regionkey = r_regionkey AND r_name = $1
        AND o_orderdate >= $2::date AND o_orderdate < $2::date + interval '1 year'
      GROUP BY n_name ORDER BY revenue DESC`,
    params: (n) => [REGIONS[n % 5] as string, d(1993 + (n % 5), 1)],
  },
  {
    name: 'Q6 forecasting revenue change',
    sql: `SELECT sum(l_extendedprice * l_discount) AS revenue FROM lineitem
      WHERE l_shipdate >= $1::date AND l_shipdate < $1::date + interval '1 year' AND l_discount BETWEEN $2 - 0.01 AND $2 + 0.01 AND l_quantity < $3`,
    params: (n) => [d(1993 + (n % 5), 1), 0.02 + (n % 8) / 100, 24 + (n % 2)],
  },
  {
    name: 'Q10 returned item reporting',
    sql: `SELECT c_custkey, c_name, sum(l_extendedprice * (1 - l_discount)) AS revenue, c_acctbal, n_name
      FROM customer, orders, lineitem, nation
      WHERE c_custkey = o_custkey AND l_orderkey = o_orderkey AND o_orderdate >= $1::date AND o_orderdate < $1::date + interval '3 month'
        AND l_returnflag = 'R' AND c_nationkey = n_nationkey
      GROUP BY c_custkey, c_name, c_acctbal, n_name ORDER BY revenue DESC LIMIT 20`,
    params: (n) => [d(1993 + (n % 2), 1 + ((n * 3) % 12))],
  },
  {
    name: 'Q12 shipping modes and order priority',
    sql: `SELECT l_shipmode, sum(CASE WHEN o_orderpriority IN ('1-URGENT', '2-HIGH') THEN 1 ELSE 0 END), sum(CASE WHEN o_orderpriority NOT IN ('1-URGENT', '2-HIGH') THEN 1 ELSE 0 END)
      FROM orders, lineitem
      WHERE o_orderkey = l_orderkey AND l_shipmode IN ($1, $2) AND l_commitdate < l_receiptdate AND l_shipdate < l_commitdate
        AND l_receiptdate >= $3::date AND l_receiptdate < $3::date + interval '1 year'
      GROUP BY l_shipmode ORDER BY l_shipmode`,
    params: (n) => [
      ['MAIL', 'AIR', 'RAIL'][n % 3] as string,
      ['SHIP', 'TRUCK', 'FOB'][n % 3] as string,
      d(1993 + (n % 5), 1),
    ],
  },
  {
    name: 'Q14 promotion effect',
    sql: `SELECT 100.00 * sum(CASE WHEN p_type LIKE 'PROMO%' THEN l_extendedprice * (1 - l_discount) ELSE 0 END) / sum(l_extendedprice * (1 - l_discount))
      FROM lineitem, part WHERE l_partkey = p_partkey AND l_shipdate >= $1::date AND l_shipdate < $1::date + interval '1 month'`,
    params: (n) => [d(1993 + (n % 5), 1 + ((n * 5) % 12))],
  },
  {
    name: 'Q17 small-quantity-order revenue',
    sql: `SELECT sum(l_extendedprice) / 7.0 AS avg_yearly FROM lineitem, part
      WHERE p_partkey = l_partkey AND p_brand = $1 AND p_container = $2
        AND l_quantity < (SELECT 0.2 * avg(l_quantity) FROM lineitem WHERE l_partkey = p_partkey)`,
    params: (n) => [
      `Brand#${1 + (n % 5)}${1 + ((n * 2) % 5)}`,
      ['MED BOX', 'SM CASE', 'LG JAR', 'WRAP PACK'][n % 4] as string,
    ],
  },
  {
    name: 'Q19 discounted revenue',
    sql: `SELECT sum(l_extendedprice * (1 - l_discount)) AS revenue FROM lineitem, part
      WHERE p_partkey = l_partkey AND l_shipmode IN ('AIR', 'REG AIR') AND l_shipinstruct = 'DELIVER IN PERSON'
        AND ((p_brand = $1 AND p_container IN ('SM CASE', 'SM BOX', 'SM PACK', 'SM PKG') AND l_quantity BETWEEN 1 AND 11 AND p_size BETWEEN 1 AND 5)
          OR (p_brand = $2 AND p_container IN ('MED BAG', 'MED BOX', 'MED PKG', 'MED PACK') AND l_quantity BETWEEN 10 AND 20 AND p_size BETWEEN 1 AND 10)
          OR (p_brand = $3 AND p_container IN ('LG CASE', 'LG BOX', 'LG PACK', 'LG PKG') AND l_quantity BETWEEN 20 AND 30 AND p_size BETWEEN 1 AND 15))`,
    params: (n) => [`Brand#${1 + (n % 5)}2`, `Brand#${1 + ((n + 1) % 5)}3`, `Brand#${1 + ((n + 2) % 5)}4`],
  },
];
