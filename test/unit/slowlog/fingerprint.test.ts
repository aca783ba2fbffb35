import { describe, expect, it } from 'vitest';
import { fingerprint, fingerprintId } from '../../../agent/slowlog/fingerprint.js';

const my = (sql: string) => fingerprint(sql, 'mysql');
const pg = (sql: string) => fingerprint(sql, 'postgres');

describe('fingerprint: what merges', () => {
  it('replaces numbers, strings, hex, booleans, NULL and dates by ?', () => {
    expect(
      my(
        "SELECT * FROM t WHERE a = 5 AND b = 'x''y' AND c = 0x1F AND d = x'ab' AND e = TRUE AND f = NULL AND g = '2024-05-01' AND h = -3.5e2",
      ),
    ).toBe(
      'select * from t where a = ? and b = ? and c = ? and d = ? and e = ? and f = ? and g = ? and h = ?',
    );
  });

  it('merges IN lists of any length', () => {
    const one = my('SELECT a FROM t WHERE id IN (1)');
    expect(one).toBe('select a from t where id in(?+)');
    expect(my('SELECT a FROM t WHERE id IN (1, 2, 3, 4, 5, 6, 7)')).toBe(one);
    expect(my("select a from t where id in ( 'a' , 'b' )")).toBe(one);
  });

  it('merges multi-row VALUES of any length, also when tuples hold expressions', () => {
    const one = my("INSERT INTO t (a, b) VALUES (1, 'x')");
    expect(my("INSERT INTO t (a, b) VALUES (1, 'x'), (2, 'y'),(3,'z')")).toBe(one);
    expect(my('INSERT INTO t (a, b) VALUES (now(), 1), (now(), 2)')).toBe(
      my('INSERT INTO t (a, b) VALUES (now(), 7)'),
    );
  });

  it('drops comments, trace comments included, and collapses whitespace', () => {
    expect(my('/* trace_id=4bf92f3577b34da6 */ SELECT  a\n\tFROM t -- why\nWHERE b = 1 # note')).toBe(
      my('SELECT a FROM t WHERE b = 2'),
    );
  });

  it('folds case outside quoted identifiers', () => {
    expect(my('SeLeCt A FROM T')).toBe(my('select a from t'));
  });

  it('merges LIMIT n, LIMIT n,m and LIMIT n OFFSET m and drops ORDER BY ... ASC (as pt-query-digest)', () => {
    expect(my('SELECT a FROM t ORDER BY a ASC LIMIT 10, 20')).toBe(my('select a from t order by a limit 5'));
    expect(pg('SELECT a FROM t LIMIT $1 OFFSET $2')).toBe(pg('select a from t limit 10'));
  });

  it('treats PostgreSQL $n parameters, E strings and dollar quoting as literals', () => {
    expect(
      pg("SELECT a FROM t WHERE b = $1 AND c = E'x\\'y' AND d = $tag$ any ' text $tag$ AND e IN ($2, $3)"),
    ).toBe(pg("select a from t where b = 1 and c = 'z' and d = 'q' and e in (5)"));
  });
});

describe('fingerprint: what stays apart', () => {
  it('keeps t0.id and t1.id apart (pt-query-digest makes both t?id)', () => {
    expect(my('SELECT t0.id FROM a t0')).not.toBe(my('SELECT t1.id FROM a t1'));
    expect(my('SELECT * FROM table1')).not.toBe(my('SELECT * FROM table2'));
  });

  it('keeps quoted identifiers as written: case and quotes', () => {
    expect(pg('SELECT * FROM "Users"')).toBe('select * from "Users"');
    expect(pg('SELECT * FROM "Users"')).not.toBe(pg('SELECT * FROM users'));
    expect(my('SELECT * FROM `Users`')).not.toBe(my('SELECT * FROM `users`'));
  });

  it('keeps a double-quoted MySQL string a literal, but a PostgreSQL identifier', () => {
    expect(my('SELECT "abc"')).toBe('select ?');
    expect(pg('SELECT "abc"')).toBe('select "abc"');
  });

  it('keeps arithmetic between columns apart from a literal', () => {
    expect(my('SELECT a-b FROM t')).not.toBe(my('SELECT a-1 FROM t'));
    expect(my('SELECT a - 1 FROM t')).not.toBe(my('SELECT a + 1 FROM t'));
  });

  it('keeps IN (subquery) apart from IN (list)', () => {
    expect(my('SELECT a FROM t WHERE id IN (SELECT id FROM u)')).not.toBe(
      my('SELECT a FROM t WHERE id IN (1, 2)'),
    );
  });

  it('keeps optimizer hints and executable comments', () => {
    expect(my('SELECT /*+ INDEX(t i) */ a FROM t')).not.toBe(my('SELECT a FROM t'));
    expect(my('SELECT /*!40001 SQL_NO_CACHE */ a FROM t')).not.toBe(my('SELECT a FROM t'));
  });

  it('keeps whitespace presence as a difference, like pt-query-digest (a-1 vs a - 1)', () => {
    expect(my('SELECT a-1 FROM t')).not.toBe(my('SELECT a - 1 FROM t'));
  });
});

describe('fingerprint id', () => {
  it('is a stable 16-hex-digit id of the fingerprint', () => {
    const id = fingerprintId(my('SELECT * FROM t WHERE id = 1'));
    expect(id).toMatch(/^[0-9a-f]{16}$/);
    expect(fingerprintId(my('select * from t where id = 99'))).toBe(id);
    // fixed value: ids must not change between releases (dashboards and findings refer to them)
    expect(id).toBe('88e41652b573c403');
  });
});
