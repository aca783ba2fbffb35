import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandboxServer } from '../../../agent/sandbox/engines.js';
import type { SandboxServer } from '../../../agent/sandbox/server.js';
import type { EngineName } from '../../../agent/snapshot/signals.js';
import { MYSQL_SECRETS, POSTGRES_SECRETS, type SecretStatement } from '../../support/secrets-corpus.js';
import { type AgentProcess, startAgentProcess } from '../faults/agent-process.js';

// Issue #10 item 2: statements that carry secrets run through a real server (statement
// statistics and the statement/slow log on) while the agent samples it with debug logs; then
// every surface is searched for every secret: /metrics, /api/*, the agent's log, `check`
// (table and JSON) on the same server, and `digest` of the server's log. Zero hits. The DSN's
// own password (a space, '@', ':', '/', '#', '%' in it, percent-encoded in the DSN) is searched
// for too.

const ROOT = resolve(import.meta.dirname, '..', '..', '..');
const DSN_PASSWORD = 'Dsn p@ss:w/rd#9%x';
const CARD_ROWS = 20_000;
const ROUNDS = 3;

interface EngineCase {
  engine: EngineName;
  corpus: readonly SecretStatement[];
  setup: string[];
  database: string;
  /** what a surface shows of a credential statement (a positive control: the text did arrive) */
  shape: RegExp;
}

const CASES: EngineCase[] = [
  {
    engine: 'postgres',
    corpus: POSTGRES_SECRETS,
    database: 'postgres',
    setup: [
      'CREATE EXTENSION IF NOT EXISTS pg_stat_statements',
      'CREATE EXTENSION IF NOT EXISTS pgcrypto',
      'CREATE FOREIGN DATA WRAPPER rd_fdw',
      'CREATE SERVER rd_srv FOREIGN DATA WRAPPER rd_fdw',
      'CREATE TABLE rd_cards (id serial PRIMARY KEY, cc text, note text)',
      `INSERT INTO rd_cards (cc, note) SELECT lpad(g::text, 16, '0'), 'n' FROM generate_series(1, ${CARD_ROWS}) g`,
      'ANALYZE rd_cards',
    ],
    shape: /PASSWORD \?/i,
  },
  {
    engine: 'mysql',
    corpus: MYSQL_SECRETS,
    database: 'rd',
    setup: [
      'CREATE DATABASE rd',
      'CREATE TABLE rd.rd_digits (x INT)',
      'INSERT INTO rd.rd_digits VALUES (0),(1),(2),(3),(4),(5),(6),(7),(8),(9)',
      'CREATE TABLE rd.rd_cards (id INT AUTO_INCREMENT PRIMARY KEY, cc VARCHAR(20), note VARCHAR(40))',
      `INSERT INTO rd.rd_cards (cc, note) SELECT LPAD(a.x + 10 * b.x + 100 * c.x + 1000 * d.x + 10000 * e.x, 16, '0'), 'n'
       FROM rd.rd_digits a, rd.rd_digits b, rd.rd_digits c, rd.rd_digits d, rd.rd_digits e WHERE e.x < 2`,
      'ANALYZE TABLE rd.rd_cards',
    ],
    shape: /IDENTIFIED BY \?|PASSWORD ?\(\?\)/i,
  },
];

function cli(args: string[]): string {
  const result = spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'agent/cli/main.ts'), ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 120_000,
    env: { ...process.env, DBDIAG_LOG_LEVEL: 'debug' },
  });
  return `${result.stdout}\n${result.stderr}`;
}

async function get(agent: AgentProcess, path: string): Promise<string> {
  const res = await fetch(`${agent.url}${path}`);
  return `${res.status} ${await res.text()}`;
}

/** Each secret found on each surface, as "surface: secret". */
function hits(surfaces: Record<string, string>, secrets: readonly string[]): string[] {
  const found: string[] = [];
  for (const [surface, text] of Object.entries(surfaces))
    for (const secret of secrets) if (text.includes(secret)) found.push(`${surface}: ${secret}`);
  return found;
}

describe.each(CASES)('no secret leaves the agent ($engine)', (c) => {
  let server: SandboxServer;
  let agent: AgentProcess;
  let dir: string;
  const surfaces: Record<string, string> = {};
  const digestSurfaces: Record<string, string> = {};

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'dbdiag-redact-'));
    server = await startSandboxServer(c.engine, {
      purpose: 'redact',
      slowLog: true,
      adminPassword: DSN_PASSWORD,
    });
    for (const sql of c.setup) await server.query(sql);
    const dsn = server.dsn({ database: c.database });
    agent = await startAgentProcess({
      user: null,
      dir,
      logLevel: 'debug',
      config: {
        intervalSeconds: 1,
        tablesIntervalSeconds: 2,
        topN: { statements: 500, slowQueryClasses: 500 },
        // every statement is "slow": findings carry statement texts, the surface to search
        thresholds: { slowQueryMeanSeconds: 0, slowQueryMinTotalSeconds: 0, slowQueryMinCalls: 1 },
        targets: [{ name: 'rd', dsn, slowLog: { path: server.slowLogPath } }],
      },
    });
    for (let round = 0; round < ROUNDS; round++) {
      const session = await server.connect({ database: c.database });
      try {
        for (const s of c.corpus) {
          try {
            await session.query(s.sql);
          } catch (error) {
            if (!s.mayFail && round === 0) throw new Error(`${s.sql}: ${String(error)}`);
          }
        }
      } finally {
        await session.close();
      }
      await new Promise((r) => setTimeout(r, 1500));
    }
    // a few cycles after the last statement: the statements, the log and the advisors caught up
    await new Promise((r) => setTimeout(r, 4000));
    surfaces['/metrics'] = await get(agent, '/metrics');
    // every /api route the agent offers (its 404 lists them), so a new one is searched too
    const offered = (await get(agent, '/no-such-route')).match(/\/api\/[a-z/-]+/g) ?? [];
    const routes = new Set([
      '/api/targets',
      '/api/findings',
      '/api/findings?target=rd',
      '/healthz',
      ...offered,
    ]);
    for (const path of routes) surfaces[path] = await get(agent, path);
    surfaces['check (table)'] = cli(['check', '--url', dsn, '--window', '1']);
    surfaces['check (json)'] = cli(['check', '--url', dsn, '--window', '1', '--format', 'json']);
    surfaces['agent log (debug)'] = agent.output();
    const log = server.slowLogPath ?? '';
    digestSurfaces['digest (text)'] = cli(['digest', log]);
    digestSurfaces['digest (json)'] = cli(['digest', log, '--json']);
  }, 300_000);

  afterAll(async () => {
    await agent?.stop();
    await server?.destroy();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('the statements reached the agent (the search below can fail)', () => {
    expect(surfaces['/metrics']).toMatch(c.shape);
    expect(surfaces['/api/findings']).toMatch(/"kind": "slow-query"/);
    expect(surfaces['agent log (debug)']).toMatch(/"level":20/);
    expect(surfaces['check (table)']).toMatch(/Top statements/);
    // digest shows samples with their literals (as pt-query-digest), so a literal is found there
    const literal = c.corpus.find((s) => s.literalsOnly)?.secrets[0] ?? '';
    expect(Object.values(digestSurfaces).join('\n')).toContain(literal);
  });

  it('no secret of the corpus on /metrics, /api/*, the debug log or check', () => {
    const secrets = c.corpus.flatMap((s) => s.secrets);
    expect(hits(surfaces, secrets)).toEqual([]);
  });

  it('no credential in digest output (its samples keep literals, never credentials)', () => {
    const credentials = c.corpus.filter((s) => !s.literalsOnly).flatMap((s) => s.secrets);
    expect(hits(digestSurfaces, credentials)).toEqual([]);
  });

  it('the DSN password appears nowhere, raw or percent-encoded', () => {
    const forms = [DSN_PASSWORD, encodeURIComponent(DSN_PASSWORD), 'p@ss:w/rd'];
    expect(hits({ ...surfaces, ...digestSurfaces }, forms)).toEqual([]);
    expect(surfaces['/api/targets']).toMatch(/:\*\*\*@/);
  });
});
