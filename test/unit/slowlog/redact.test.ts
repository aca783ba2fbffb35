import { describe, expect, it } from 'vitest';
import { SQL_LEXICONS } from '../../../agent/slowlog/lexicons.js';
import { redactErrorMessage, redactSql } from '../../../agent/slowlog/redact.js';
import { MYSQL_SECRETS, POSTGRES_SECRETS } from '../../support/secrets-corpus.js';

const pg = SQL_LEXICONS.postgres;
const my = SQL_LEXICONS.mysql;

describe('redactSql', () => {
  const cases = [
    ...POSTGRES_SECRETS.map((s) => ({ ...s, engine: 'postgres' as const })),
    ...MYSQL_SECRETS.map((s) => ({ ...s, engine: 'mysql' as const })),
  ];

  it.each(cases)('$engine: no secret of $sql survives the masked output', ({ engine, sql, secrets }) => {
    const out = redactSql(sql, SQL_LEXICONS[engine], 'mask');
    for (const secret of secrets) expect(out).not.toContain(secret);
  });

  it.each(cases.filter((c) => !c.literalsOnly))(
    '$engine: no credential of $sql survives even when literals are kept',
    ({ engine, sql, secrets }) => {
      const out = redactSql(sql, SQL_LEXICONS[engine], 'keep');
      for (const secret of secrets) expect(out).not.toContain(secret);
    },
  );

  it('reduces credential statements to their shape, even when literals are kept', () => {
    expect(redactSql("ALTER ROLE appuser PASSWORD 'LeakMe2-Pw-888'", pg, 'keep')).toBe(
      'ALTER ROLE appuser PASSWORD ?',
    );
    expect(redactSql("CREATE USER 'a'@'%' IDENTIFIED BY 'x y'", my, 'keep')).toBe(
      'CREATE USER ?@? IDENTIFIED BY ?',
    );
    expect(redactSql("SET PASSWORD = PASSWORD('s3')", my, 'keep')).toBe('SET PASSWORD = PASSWORD(?)');
    expect(
      redactSql("CREATE SUBSCRIPTION s CONNECTION 'host=h password=p' PUBLICATION pub", pg, 'keep'),
    ).toBe('CREATE SUBSCRIPTION s CONNECTION ? PUBLICATION pub');
    expect(redactSql("SELECT pgp_sym_encrypt(data, 'k3y') FROM t WHERE id = 7", pg, 'keep')).toBe(
      'SELECT pgp_sym_encrypt(data, ?) FROM t WHERE id = ?',
    );
  });

  it('keeps an ordinary statement exactly as it is for EXPLAIN', () => {
    const sql = "SELECT * FROM orders o /* app */ WHERE o.customer = 'acme' AND o.total > 10.5 ORDER BY 1";
    expect(redactSql(sql, pg, 'keep')).toBe(sql);
    expect(redactSql(sql, pg, 'mask')).toBe(
      'SELECT * FROM orders o WHERE o.customer = ? AND o.total > ? ORDER BY ?',
    );
  });

  it('leaves parameters, placeholders and names alone', () => {
    expect(redactSql('SELECT t1.a FROM "T2" t1 WHERE t1.b = $1 AND t1.c IN ($2, $3)', pg)).toBe(
      'SELECT t1.a FROM "T2" t1 WHERE t1.b = $1 AND t1.c IN ($2, $3)',
    );
    expect(redactSql('SELECT `t1`.`a` FROM `t1` WHERE `b` = ? AND @v = @@session.x', my)).toBe(
      'SELECT `t1`.`a` FROM `t1` WHERE `b` = ? AND @v = @@session.x',
    );
  });

  it('follows quotes as the server does: doubled quotes, backslashes, E and N prefixes', () => {
    expect(redactSql("SELECT 'a''b secret' , 1", pg)).toBe('SELECT ? , ?');
    expect(redactSql("SELECT E'a\\'b secret', 'c'", pg)).toBe('SELECT ?, ?');
    // PostgreSQL standard strings: a backslash is an ordinary character
    expect(redactSql("SELECT 'C:\\', 'secret'", pg)).toBe('SELECT ?, ?');
    expect(redactSql("SELECT 'it\\'s secret', \"x\"", my)).toBe('SELECT ?, ?');
    expect(redactSql("SELECT _utf8mb4'secret', N'x', X'ff', 0x1F", my)).toBe('SELECT ?, ?, ?, ?');
    expect(redactSql("SELECT U&'d\\0061t\\+000061'", pg)).toBe('SELECT ?');
  });

  it('masks to the end a literal the server cut short', () => {
    expect(redactSql("ALTER ROLE a PASSWORD 'LeakMe-trunc", pg, 'keep')).toBe('ALTER ROLE a PASSWORD ?');
    expect(redactSql("SELECT * FROM t WHERE note = 'half a sec", my)).toBe('SELECT * FROM t WHERE note = ?');
  });

  it('drops comments from what is shown (they can carry anything)', () => {
    expect(redactSql('SELECT 1 -- password=hunter2\nFROM t', pg)).toBe('SELECT ? \nFROM t');
    expect(redactSql('SELECT a # token=abc\nFROM t', my)).toBe('SELECT a \nFROM t');
    expect(redactSql('/* key: hunter2 */ SELECT a FROM t', my)).toBe('SELECT a FROM t');
  });

  it('is idempotent on normalized text', () => {
    for (const text of ['SELECT a FROM t WHERE b = $1', 'select a from t where b in (?+)', 'SELECT ? , ?']) {
      expect(redactSql(redactSql(text, pg), pg)).toBe(redactSql(text, pg));
    }
  });

  it('masks what a server error quotes from a statement run with real values', () => {
    expect(redactErrorMessage(new Error('invalid input syntax for type integer: "4111111111111111"'))).toBe(
      'invalid input syntax for type integer: ?',
    );
    expect(
      redactErrorMessage(new Error("You have an error in your SQL syntax near 'LeakMy-x' at line 1")),
    ).not.toContain('LeakMy');
  });
});
