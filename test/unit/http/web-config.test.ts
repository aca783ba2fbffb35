import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Authenticator } from '../../../agent/http/auth.js';
import { loadWebConfig, parseWebConfig } from '../../../agent/http/web-config.js';

// The web config (exporter-toolkit shape): its mistakes are one-line errors, and the
// authenticator accepts exactly the configured credentials.

const dir = mkdtempSync(join(tmpdir(), 'dbdiag-web-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// bcrypt of "s3cret" at cost 4, in the $2y$ form `htpasswd -B` writes
const HASH = '$2y$04$GiEmt6lV9hWqH53CAqUV7uxAB0YI1M6x38zhYGhkTYyO/Cx9g5XoS';

function basic(user: string, password: string): string {
  return `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
}

describe('web config', () => {
  it('an unknown key is an error with the nearest key', () => {
    expect(() => parseWebConfig('web.yml', { basic_auth_user: { a: HASH } })).toThrowError(
      /^web\.yml: basic_auth_user: unknown key — did you mean "basic_auth_users"\?/,
    );
    expect(() =>
      parseWebConfig('web.yml', { tls_server_config: { cert_file: 'c', key_file: 'k', certfile: 'x' } }),
    ).toThrowError(/tls_server_config\.certfile: unknown key — did you mean "cert_file"\?/);
  });

  it('a password in clear instead of a bcrypt hash is refused', () => {
    expect(() => parseWebConfig('web.yml', { basic_auth_users: { prometheus: 's3cret' } })).toThrowError(
      /basic_auth_users\.prometheus: not a bcrypt hash: make one with `htpasswd -nBC 10 USER`/,
    );
  });

  it('a certificate that cannot be read is named', () => {
    expect(() =>
      parseWebConfig('web.yml', { tls_server_config: { cert_file: join(dir, 'no.crt'), key_file: 'k' } }),
    ).toThrowError(/tls_server_config\.cert_file: cannot read ".*no\.crt"/);
  });

  it('mutual TLS needs the client CA', () => {
    expect(() =>
      parseWebConfig('web.yml', {
        tls_server_config: { cert_file: 'c', key_file: 'k', client_auth_type: 'RequireAndVerifyClientCert' },
      }),
    ).toThrowError(/client_ca_file: RequireAndVerifyClientCert needs the CA/);
  });

  it('an empty token file is refused; a token file is read and trimmed', () => {
    const empty = join(dir, 'empty.token');
    writeFileSync(empty, '\n');
    expect(() => parseWebConfig('web.yml', { bearer_token_file: empty })).toThrowError(/is empty/);
    const token = join(dir, 'ok.token');
    writeFileSync(token, 'tok-123\n');
    expect(parseWebConfig('web.yml', { bearer_token_file: token }).bearerToken).toBe('tok-123');
  });

  it('an empty file is a valid, open config; a broken one a one-line error', () => {
    const empty = join(dir, 'empty.yml');
    writeFileSync(empty, '');
    expect(loadWebConfig(empty).tls).toBeNull();
    const broken = join(dir, 'broken.yml');
    writeFileSync(broken, 'basic_auth_users: [\n');
    expect(() => loadWebConfig(broken)).toThrowError(/broken\.yml: not valid YAML/);
  });
});

describe('authenticator', () => {
  const token = join(dir, 'auth.token');
  writeFileSync(token, 'tok-123');

  it('accepts the configured user and token, nothing else', async () => {
    const auth = new Authenticator(
      parseWebConfig('web.yml', { basic_auth_users: { prometheus: HASH }, bearer_token_file: token }),
    );
    expect(auth.schemes).toEqual(['Basic', 'Bearer']);
    expect(await auth.allows(basic('prometheus', 's3cret'))).toBe(true);
    // remembered: the second check is the cache, and still exact
    expect(await auth.allows(basic('prometheus', 's3cret'))).toBe(true);
    expect(await auth.allows(basic('prometheus', 's3cret '))).toBe(false);
    expect(await auth.allows(basic('grafana', 's3cret'))).toBe(false);
    expect(await auth.allows('Bearer tok-123')).toBe(true);
    expect(await auth.allows('bearer tok-123')).toBe(true);
    expect(await auth.allows('Bearer tok-1234')).toBe(false);
    expect(await auth.allows(undefined)).toBe(false);
    expect(await auth.allows('Basic !!!')).toBe(false);
  });

  it('without users or token everything is allowed (the default, bound to 127.0.0.1)', async () => {
    expect(await new Authenticator(parseWebConfig('web.yml', {})).allows(undefined)).toBe(true);
  });

  it('a scheme that is not configured is refused', async () => {
    const auth = new Authenticator(parseWebConfig('web.yml', { bearer_token_file: token }));
    expect(await auth.allows(basic('prometheus', 's3cret'))).toBe(false);
  });
});
