import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../agent/config/load.js';
import { componentLogger } from '../../../agent/log.js';
import { type RunningAgent, startAgent } from '../../../agent/runtime/agent.js';

// The agent as `dbdiag agent --web.config.file web.yml` runs it: HTTPS with a real certificate
// (made here with openssl), basic auth with a bcrypt hash, a bearer token. /metrics and /api
// answer 401 without credentials; /healthz stays open for liveness probes. The target is a
// port nobody listens on: the HTTP side does not need a database.

const dir = mkdtempSync(join(tmpdir(), 'dbdiag-webcfg-'));

interface Reply {
  status: number;
  body: string;
  headers: Record<string, string | string[] | undefined>;
}

function get(url: string, ca: Buffer, authorization?: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(url, { ca, headers: authorization ? { authorization } : {} }, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => {
        body += chunk.toString();
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
    });
    req.once('error', reject);
    req.end();
  });
}

describe('agent behind a web config (TLS + basic auth + bearer token)', () => {
  let agent: RunningAgent;
  let ca: Buffer;
  let hash: string;

  beforeAll(async () => {
    const cert = join(dir, 'agent.crt');
    const key = join(dir, 'agent.key');
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-days',
        '2',
        '-subj',
        '/CN=127.0.0.1',
        '-addext',
        'subjectAltName=IP:127.0.0.1',
        '-keyout',
        key,
        '-out',
        cert,
      ],
      { stdio: 'ignore' },
    );
    ca = readFileSync(cert);
    const { default: bcrypt } = await import('bcryptjs');
    hash = bcrypt.hashSync('scrape-pw', 4).replace(/^\$2b\$/, '$2y$');
    writeFileSync(join(dir, 'token'), 'bearer-tok-42\n');
    const web = join(dir, 'web.yml');
    writeFileSync(
      web,
      [
        'tls_server_config:',
        `  cert_file: ${cert}`,
        `  key_file: ${key}`,
        'basic_auth_users:',
        `  prometheus: '${hash}'`,
        `bearer_token_file: ${join(dir, 'token')}`,
        '',
      ].join('\n'),
    );
    const config = loadConfig(undefined, {
      urls: ['postgres://mon@127.0.0.1:1/plant'],
      listen: '127.0.0.1:0',
      webConfigFile: web,
    });
    agent = await startAgent(config, { log: componentLogger('test').child({}, { level: 'error' }) });
  });

  afterAll(async () => {
    await agent?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves HTTPS', () => {
    expect(agent.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
  });

  it('refuses /metrics and /api without credentials, with a challenge', async () => {
    for (const path of ['/metrics', '/api/targets', '/api/findings', '/runbooks/pool-saturation.md']) {
      const reply = await get(`${agent.url}${path}`, ca);
      expect(reply.status, path).toBe(401);
      expect(reply.headers['www-authenticate']).toBe('Basic realm="dbdiag", Bearer realm="dbdiag"');
      expect(reply.body).not.toContain('dbdiag_');
    }
  });

  it('refuses a wrong password and a wrong token', async () => {
    const wrong = `Basic ${Buffer.from('prometheus:nope').toString('base64')}`;
    expect((await get(`${agent.url}/metrics`, ca, wrong)).status).toBe(401);
    expect((await get(`${agent.url}/metrics`, ca, 'Bearer bearer-tok-4')).status).toBe(401);
  });

  it('serves the configured user and the token', async () => {
    const basic = `Basic ${Buffer.from('prometheus:scrape-pw').toString('base64')}`;
    const metrics = await get(`${agent.url}/metrics`, ca, basic);
    expect(metrics.status).toBe(200);
    expect(metrics.body).toMatch(/^# HELP dbdiag_up /m);
    const targets = await get(`${agent.url}/api/targets`, ca, 'Bearer bearer-tok-42');
    expect(targets.status).toBe(200);
    expect(JSON.parse(targets.body)).toMatchObject({ targets: [{ name: '127.0.0.1:1/plant' }] });
  });

  it('leaves /healthz open for liveness probes', async () => {
    const health = await get(`${agent.url}/healthz`, ca);
    expect(health.status).toBe(200);
    expect(JSON.parse(health.body)).toEqual({ status: 'ok', targets: 1 });
  });
});
