import { describe, expect, it } from 'vitest';
import { DEFAULT_THRESHOLDS } from '../../../agent/config/thresholds.js';
import type { TableFacts } from '../../../agent/engines/engine.js';
import { parseMysql } from '../../../agent/engines/mysql/parse.js';
import { parsePostgres } from '../../../agent/engines/postgres/parse.js';
import {
  candidateFor,
  generateCandidates,
  readsFrom,
  type SourceStatement,
} from '../../../agent/evidence/candidates.js';
import type { StatementShape } from '../../../agent/evidence/shape.js';

/** The uses an index key is built from (`read`/`set` are what covering and write cost look at). */
const keyUses = (shape: StatementShape | null | undefined) =>
  shape?.uses.filter((u) => u.kind !== 'read' && u.kind !== 'set');

const orders: TableFacts = {
  table: 'public.orders',
  rows: 1_000_000,
  dataBytes: null,
  columns: [
    { name: 'id', distinct: 1_000_000, nullFraction: 0, avgWidth: 8 },
    { name: 'customer_id', distinct: 2_000, nullFraction: 0, avgWidth: 8 },
    { name: 'status', distinct: 4, nullFraction: 0, avgWidth: 6 },
    { name: 'region', distinct: 5, nullFraction: 0, avgWidth: 6 },
    { name: 'created_at', distinct: 900_000, nullFraction: 0, avgWidth: 8 },
    { name: 'email', distinct: 1_000_000, nullFraction: 0, avgWidth: 20 },
  ],
  indexes: [{ name: 'orders_pkey', columns: ['id'], unique: true, primary: true, where: null }],
};

async function cand(sql: string, facts: TableFacts = orders) {
  const shape = await parsePostgres(sql);
  if (!shape) throw new Error('did not parse');
  return candidateFor(shape, shape.tables[0] ?? '', facts, DEFAULT_THRESHOLDS)?.columns ?? null;
}

describe('index candidates', () => {
  it('orders equality columns most selective first, then one range column', async () => {
    expect(
      await cand('SELECT * FROM orders WHERE region = $1 AND customer_id = $2 AND created_at > $3'),
    ).toEqual(['customer_id', 'region', 'created_at']);
  });
  it('adds the sort column after the equality prefix', async () => {
    expect(
      await cand('SELECT * FROM orders WHERE customer_id = $1 ORDER BY created_at DESC LIMIT 10'),
    ).toEqual(['customer_id', 'created_at']);
  });
  it('stops at a column that already narrows a lookup to a row', async () => {
    expect(await cand('SELECT * FROM orders WHERE email = $1 AND status = $2')).toEqual(['email']);
  });
  it('does not propose a column too unselective to help (four values)', async () => {
    expect(await cand('SELECT * FROM orders WHERE status = $1')).toBeNull();
  });
  it('does not propose an index on a 200-row table', async () => {
    expect(await cand('SELECT * FROM orders WHERE email = $1', { ...orders, rows: 200 })).toBeNull();
  });
  it('drops a candidate an existing index serves by its leading columns', async () => {
    const shape = await parsePostgres('SELECT * FROM orders WHERE customer_id = $1');
    const facts: TableFacts = {
      ...orders,
      indexes: [
        ...orders.indexes,
        { name: 'x', columns: ['customer_id', 'status'], unique: false, primary: false, where: null },
      ],
    };
    const statements: SourceStatement[] = [
      { id: 'q', text: '', shown: '', database: null, calls: 10, totalSeconds: 1, shape: shape! },
    ];
    expect(generateCandidates(statements, () => facts, DEFAULT_THRESHOLDS)).toEqual([]);
  });
  it('keeps an unselective equality in front of a range or a LIMITed sort, not alone', async () => {
    expect(await cand('SELECT * FROM orders WHERE status = $1 AND created_at > $2')).toEqual([
      'status',
      'created_at',
    ]);
    expect(await cand('SELECT * FROM orders WHERE status = $1 ORDER BY created_at LIMIT 50')).toEqual([
      'status',
      'created_at',
    ]);
    expect(await cand('SELECT * FROM orders WHERE status = $1 ORDER BY created_at')).toBeNull();
  });
  it('appends sort columns only under a LIMIT, never GROUP BY columns', async () => {
    expect(await cand('SELECT * FROM orders WHERE customer_id = $1 ORDER BY created_at')).toEqual([
      'customer_id',
    ]);
    expect(await cand('SELECT status, count(*) FROM orders WHERE customer_id = $1 GROUP BY status')).toEqual([
      'customer_id',
    ]);
  });
  it('one candidate per OR branch when every branch filters the table selectively', async () => {
    const shape = await parsePostgres('SELECT * FROM orders WHERE email = $1 OR customer_id = $2');
    const statements: SourceStatement[] = [
      { id: 'q', text: '', shown: '', database: null, calls: 10, totalSeconds: 1, shape: shape! },
    ];
    expect(generateCandidates(statements, () => orders, DEFAULT_THRESHOLDS).map((c) => c.columns)).toEqual([
      ['email'],
      ['customer_id'],
    ]);
    const weak = await parsePostgres('SELECT * FROM orders WHERE email = $1 OR status = $2');
    expect(
      generateCandidates([{ ...statements[0]!, shape: weak! }], () => orders, DEFAULT_THRESHOLDS),
    ).toEqual([]);
  });
  it('a JOIN key is a candidate only when another side of the join returns few rows', async () => {
    const items: TableFacts = {
      ...orders,
      table: 'public.items',
      columns: [{ name: 'order_id', distinct: 900_000, nullFraction: 0, avgWidth: 8 }],
      indexes: [],
    };
    const lookup = (_db: string | null, t: string) => (t === 'items' ? items : orders);
    const run = async (sql: string) =>
      generateCandidates(
        [
          {
            id: 'q',
            text: '',
            shown: '',
            database: null,
            calls: 1,
            totalSeconds: 1,
            shape: (await parsePostgres(sql))!,
          },
        ],
        lookup,
        DEFAULT_THRESHOLDS,
      ).map((c) => `${c.table}(${c.columns.join(',')})`);
    expect(await run('SELECT * FROM orders o JOIN items i ON i.order_id = o.id WHERE o.email = $1')).toEqual([
      'public.orders(email)',
      'public.items(order_id)',
    ]);
    expect(await run('SELECT * FROM orders o JOIN items i ON i.order_id = o.id WHERE o.status = $1')).toEqual(
      [],
    );
  });
  it('merges a candidate into a longer one it is a prefix of, helping both statements', async () => {
    const a = await parsePostgres('SELECT * FROM orders WHERE customer_id = $1');
    const b = await parsePostgres('SELECT * FROM orders WHERE customer_id = $1 ORDER BY created_at LIMIT 20');
    const statements: SourceStatement[] = [
      { id: 'a', text: '', shown: '', database: null, calls: 10, totalSeconds: 1, shape: a! },
      { id: 'b', text: '', shown: '', database: null, calls: 10, totalSeconds: 1, shape: b! },
    ];
    const [c, ...rest] = generateCandidates(statements, () => orders, DEFAULT_THRESHOLDS);
    expect(rest).toEqual([]);
    expect(c?.columns).toEqual(['customer_id', 'created_at']);
    expect(c?.statements.map((s) => s.id).sort()).toEqual(['a', 'b']);
  });
});

describe('statement parsers', () => {
  it('PostgreSQL: JOIN keys, equality, IN, ranges, sort and expressions, through aliases', async () => {
    const shape = await parsePostgres(
      'SELECT o.id FROM public.orders o JOIN items i ON i.order_id = o.id WHERE o.customer_id = $1 AND lower(o.email) = $2 AND o.created_at BETWEEN $3 AND $4 AND o.region IN ($5, $6) ORDER BY o.created_at',
    );
    expect(keyUses(shape)).toEqual([
      { table: 'items', column: 'order_id', kind: 'join' },
      { table: 'public.orders', column: 'id', kind: 'join' },
      { table: 'public.orders', column: 'customer_id', kind: 'eq' },
      { table: 'public.orders', column: 'lower(email)', kind: 'eq' },
      { table: 'public.orders', column: 'created_at', kind: 'range' },
      { table: 'public.orders', column: 'region', kind: 'eq' },
      { table: 'public.orders', column: 'created_at', kind: 'sort' },
    ]);
  });
  it('PostgreSQL: OR branches are kept apart from the AND part; DDL is not a statement to index', async () => {
    const shape = await parsePostgres('SELECT * FROM t WHERE c = $3 AND (a = $1 OR b > $2)');
    expect(keyUses(shape)).toEqual([{ table: 't', column: 'c', kind: 'eq' }]);
    expect(shape?.orGroups).toEqual([
      [[{ table: 't', column: 'a', kind: 'eq' }], [{ table: 't', column: 'b', kind: 'range' }]],
    ]);
    expect(await parsePostgres('CREATE TABLE t (a int)')).toBeNull();
  });
  it('MySQL digest text with elided lists and UPDATE/DELETE', () => {
    expect(
      keyUses(parseMysql('SELECT * FROM `shop` . `orders` WHERE `customer_id` = ? AND `status` IN (...)')),
    ).toEqual([
      { table: 'shop.orders', column: 'customer_id', kind: 'eq' },
      { table: 'shop.orders', column: 'status', kind: 'eq' },
    ]);
    expect(keyUses(parseMysql("UPDATE sessions SET hits = hits + 1 WHERE token = 'x'"))).toEqual([
      { table: 'sessions', column: 'token', kind: 'eq' },
    ]);
    expect(keyUses(parseMysql('DELETE FROM logs WHERE created_at < ?'))).toEqual([
      { table: 'logs', column: 'created_at', kind: 'range' },
    ]);
  });
  it('col IN (SELECT ...) makes col a join key, on both engines', async () => {
    const sql = 'SELECT b FROM f WHERE a_id IN (SELECT id FROM u WHERE handle = ?)';
    const want = [
      { table: null, column: 'a_id', kind: 'join' },
      { table: null, column: 'handle', kind: 'eq' },
    ];
    expect(keyUses(parseMysql(sql))).toEqual(want);
    expect(keyUses(await parsePostgres(sql.replace('?', '$1')))).toEqual(want);
  });
  it('MySQL: LIKE with a literal prefix is a range; a leading wildcard or an unknown pattern is not', () => {
    expect(keyUses(parseMysql("SELECT id FROM t WHERE name LIKE 'abc%'"))).toEqual([
      { table: 't', column: 'name', kind: 'range' },
    ]);
    expect(keyUses(parseMysql("SELECT id FROM t WHERE name LIKE '%abc%'"))).toEqual([]);
    expect(keyUses(parseMysql('SELECT id FROM t WHERE name LIKE ?'))).toEqual([]);
    expect(parseMysql("SELECT id FROM t WHERE a = 'x' OR b = 'y' OR c = 'z'")?.orGroups).toHaveLength(1);
  });
  it('what a statement reads from a table (a covering index carries it) and what an UPDATE writes', async () => {
    const pg = await parsePostgres('SELECT sum(o.status), count(*) FROM orders o WHERE o.customer_id = $1');
    expect(pg && readsFrom(pg, 'orders', orders)).toEqual(['status', 'customer_id']);
    const my = parseMysql('SELECT SUM(status) FROM orders WHERE customer_id = 7 ORDER BY created_at');
    expect(my && readsFrom(my, 'orders', orders)).toEqual(['status', 'customer_id', 'created_at']);
    // every column: nothing short of the table covers it
    const star = await parsePostgres('SELECT * FROM orders WHERE customer_id = $1');
    expect(star && readsFrom(star, 'orders', orders)).toBeNull();
    expect(
      parseMysql('SELECT o.* FROM orders o WHERE customer_id = 7') &&
        readsFrom(
          parseMysql('SELECT o.* FROM orders o WHERE customer_id = 7') as StatementShape,
          'orders',
          orders,
        ),
    ).toBeNull();
    const set = (await parsePostgres('UPDATE orders SET status = $1 WHERE id = $2'))?.uses.filter(
      (u) => u.kind === 'set',
    );
    expect(set).toEqual([{ table: 'orders', column: 'status', kind: 'set' }]);
    expect(
      parseMysql("UPDATE orders SET status = 'x' WHERE id = 2")?.uses.filter((u) => u.kind === 'set'),
    ).toEqual([{ table: 'orders', column: 'status', kind: 'set' }]);
  });
  it("PostgreSQL LIKE: a prefix constant is a 'like' range, a parameter 'like-param', a leading wildcard nothing", async () => {
    expect(keyUses(await parsePostgres("SELECT id FROM t WHERE name LIKE 'abc%'"))).toEqual([
      { table: 't', column: 'name', kind: 'like' },
    ]);
    expect(keyUses(await parsePostgres('SELECT id FROM t WHERE name LIKE $1'))).toEqual([
      { table: 't', column: 'name', kind: 'like-param' },
    ]);
    expect(keyUses(await parsePostgres("SELECT id FROM t WHERE name LIKE '%abc%'"))).toEqual([]);
  });
  it('LIKE in a collation that does not sort by byte: text_pattern_ops; a parameter only there (its pattern is unknown)', async () => {
    const cities = (op: string | null): TableFacts => ({
      ...orders,
      table: 'public.cities',
      columns: [{ name: 'name', distinct: 100_000, nullFraction: 0, avgWidth: 10, patternOpclass: op }],
    });
    const of = async (sql: string, facts: TableFacts) => {
      const shape = await parsePostgres(sql);
      return shape && candidateFor(shape, 'cities', facts, DEFAULT_THRESHOLDS);
    };
    expect(await of('SELECT id FROM cities WHERE name LIKE $1', cities('text_pattern_ops'))).toMatchObject({
      columns: ['name'],
      opclass: { name: 'text_pattern_ops' },
      assumedPrefix: ['name'],
    });
    // byte-sorted (C): nothing from an unknown pattern; a known prefix needs no operator class
    expect(await of('SELECT id FROM cities WHERE name LIKE $1', cities(null))).toBeNull();
    const known = await of("SELECT id FROM cities WHERE name LIKE 'ab%'", cities(null));
    expect(known?.columns).toEqual(['name']);
    expect(known?.opclass).toBeUndefined();
  });
});
