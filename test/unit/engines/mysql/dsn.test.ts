import { describe, expect, it } from 'vitest';
import { DsnError, parseMysqlDsn } from '../../../../agent/engines/mysql/dsn.js';

describe('parseMysqlDsn', () => {
  it('reads mysql:// and mariadb:// with an encoded password and a database', () => {
    expect(parseMysqlDsn('mariadb://mon:p%40ss@db.example:3307/app')).toMatchObject({
      host: 'db.example',
      port: 3307,
      user: 'mon',
      password: 'p@ss',
      database: 'app',
    });
    expect(parseMysqlDsn('mysql://root@127.0.0.1/')).toMatchObject({
      port: 3306,
      user: 'root',
      password: '',
      database: null,
    });
  });

  it('takes a unix socket from ?socket=', () => {
    expect(parseMysqlDsn('mysql://root@localhost/?socket=/run/mysqld/mysqld.sock').socketPath).toBe(
      '/run/mysqld/mysqld.sock',
    );
  });

  it('refuses other schemes and garbage as bad-dsn', () => {
    expect(() => parseMysqlDsn('postgres://x@y/z')).toThrow(DsnError);
    expect(() => parseMysqlDsn('not a url')).toThrow(DsnError);
    expect(() => parseMysqlDsn('mysql://x@y:99999/z')).toThrow(DsnError);
  });
});
