import { describe, expect, it } from 'vitest';
import { detectFlavor, parseVersion, pickSql } from '../../../../agent/engines/mysql/server.js';

describe('MySQL/MariaDB server detection', () => {
  it('tells MariaDB from MySQL by VERSION() or @@version_comment', () => {
    expect(detectFlavor('10.11.19-MariaDB-0+deb12u1', 'Debian 12')).toBe('mariadb');
    expect(detectFlavor('11.4.2', 'mariadb.org binary distribution')).toBe('mariadb');
    expect(detectFlavor('8.0.40', 'MySQL Community Server - GPL')).toBe('mysql');
    expect(detectFlavor('8.4.3', 'MySQL Community Server - GPL')).toBe('mysql');
  });

  it('parses versions with suffixes', () => {
    expect(parseVersion('10.11.19-MariaDB-0+deb12u1')).toEqual([10, 11, 19]);
    expect(parseVersion('8.0.40-0ubuntu0.22.04.1')).toEqual([8, 0, 40]);
    expect(parseVersion('8.4')).toEqual([8, 4, 0]);
  });
});

describe('pickSql', () => {
  const versions = { mysql: { '8.0': 'A', '8.0.13': 'B' }, mariadb: { '10.5': 'M' } };

  it('takes the highest version key at or below the server version', () => {
    expect(pickSql(versions, { flavor: 'mysql', versionNumber: [8, 0, 12] })).toBe('A');
    expect(pickSql(versions, { flavor: 'mysql', versionNumber: [8, 0, 13] })).toBe('B');
    expect(pickSql(versions, { flavor: 'mysql', versionNumber: [8, 4, 3] })).toBe('B');
    expect(pickSql(versions, { flavor: 'mariadb', versionNumber: [10, 11, 19] })).toBe('M');
  });

  it('has nothing for a server older than every key, or a flavor without queries', () => {
    expect(pickSql(versions, { flavor: 'mariadb', versionNumber: [10, 4, 30] })).toBeNull();
    expect(pickSql({ mysql: { '8.0': 'A' } }, { flavor: 'mariadb', versionNumber: [10, 11, 0] })).toBeNull();
  });
});
