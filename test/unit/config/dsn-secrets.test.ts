import { describe, expect, it } from 'vitest';
import { dsnSecrets, redactDsn } from '../../../agent/config/dsn-secrets.js';
import { rememberDsnSecrets, scrubSecrets } from '../../../agent/config/secrets.js';

describe('redactDsn (by parsing)', () => {
  it.each([
    ['postgres://app:s3cret@db1:5432/plant', 'postgres://app:***@db1:5432/plant'],
    ['postgres://app:p%40ss%20w%3Ard@db1/plant', 'postgres://app:***@db1/plant'],
    // as typed: the URL parser encodes a space and takes the last '@' as the end of the password
    ['postgres://app:p ss@w0rd@db1/plant', 'postgres://app:***@db1/plant'],
    ['mysql://root:a:b:c@127.0.0.1:3306/test', 'mysql://root:***@127.0.0.1:3306/test'],
    [
      'postgres://db1/plant?password=s3cret&sslmode=require',
      'postgres://db1/plant?password=***&sslmode=require',
    ],
    ['mariadb://root@db1/test', 'mariadb://root@db1/test'],
  ])('%s -> %s', (dsn, shown) => {
    expect(redactDsn(dsn)).toBe(shown);
  });

  it('shows nothing of a DSN that does not parse (where the password ends cannot be told)', () => {
    const shown = redactDsn('postgres://app:pa#ss/wd@db1/plant');
    expect(shown).not.toContain('#ss');
    expect(shown).not.toContain('wd@');
    expect(shown).toMatch(/^postgres:\/\/\(DSN not shown/);
  });

  it('lists the secret in the forms it can be written in', () => {
    expect(dsnSecrets('postgres://app:p%40ss%20w@db1/plant')).toEqual(
      expect.arrayContaining(['p%40ss%20w', 'p@ss w']),
    );
    expect(dsnSecrets('postgres://app:p ss@w0rd@db1/plant')).toEqual(
      expect.arrayContaining(['p ss@w0rd', 'p%20ss%40w0rd']),
    );
    expect(dsnSecrets('mysql://root@db1/test')).toEqual([]);
  });
});

describe('scrubSecrets', () => {
  it('removes every remembered DSN secret from a text, in each form', () => {
    rememberDsnSecrets('postgres://app:Sc%22rub%20Me%40@db1/plant');
    const line = JSON.stringify({ msg: 'auth failed: Sc"rub Me@ / Sc%22rub%20Me%40' });
    const out = scrubSecrets(line);
    expect(out).not.toMatch(/rub/);
    expect(out).toContain('***');
  });

  it('leaves texts without a secret alone', () => {
    expect(scrubSecrets('nothing to see')).toBe('nothing to see');
  });
});
