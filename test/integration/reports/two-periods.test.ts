import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import pg from 'pg';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import type { Report, ReportFinding } from '../../../agent/reports/model.js';
import { validateReport } from '../../../agent/reports/schema.js';
import { freePort } from '../../support/free-port.js';
import { type PostgresServer, startPostgres } from '../../support/postgres.js';
import { until } from '../../support/until.js';

// Two report periods on a real PostgreSQL watched by a real agent (SQLite store). Period 1:
// the application holds every ordinary slot (pool-saturation raised and left active) while a
// duplicate index sits on a table (duplicate-index, never fixed). Between the periods the slots
// are released (pool-saturation resolves). Period 2: the index an items lookup uses is dropped,
// so the same statement regresses. Report 2 compares with report 1 (the latest custom report):
// pool-saturation resolved with its duration, the regression with its figures,
// duplicate-index persisting "seen in 2 of the last 2", and both documents validate.

const ROOT = resolve(import.meta.dirname, '..', '..', '..');
const MAX_CONNECTIONS = 12;
const RESERVED = 2;
const SATURATION = 'pool-saturation:plant:connections';
const CHROMIUM = process.env.DBDIAG_CHROMIUM ?? '/usr/bin/chromium';
/** screenshots a person looks at after the run (git-ignored) */
const ARTIFACTS = join(ROOT, 'test-artifacts');
const LOOKUP = 'SELECT count(*) FROM items WHERE order_id = $1';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const iso = (ms: number) => new Date(ms).toISOString();

describe('reports over two periods of a real PostgreSQL 15 (incident resolved, statement regressed)', () => {
  let server: PostgresServer;
  let dir: string;
  let base: string;
  let agent: ChildProcess | undefined;
  let agentLog = '';
  const held: pg.Client[] = [];

  function report(args: string[]): { report: Report; json: unknown; stderr: string } {
    const run = spawnSync(
      process.execPath,
      [
        '--import',
        'tsx',
        'agent/cli/main.ts',
        'report',
        '--data-dir',
        join(dir, 'state'),
        '--format',
        'json',
        ...args,
      ],
      { cwd: ROOT, encoding: 'utf8' },
    );
    if (run.status !== 0) throw new Error(`dbdiag report failed (${run.status}): ${run.stderr}`);
    const json = JSON.parse(run.stdout) as unknown;
    return { report: json as Report, json, stderr: run.stderr };
  }

  async function activeIds(): Promise<string[]> {
    const res = await fetch(`${base}/api/findings?status=active`);
    return ((await res.json()) as { findings: { id: string }[] }).findings.map((f) => f.id);
  }

  async function lookups(n: number): Promise<void> {
    const client = await server.connect({ user: 'app' });
    try {
      for (let i = 0; i < n; i += 1) await client.query(LOOKUP, [(i * 37) % 5000]);
    } finally {
      await client.end();
    }
  }

  beforeAll(async () => {
    server = await startPostgres({
      version: 15,
      settings: { max_connections: MAX_CONNECTIONS, superuser_reserved_connections: RESERVED },
    });
    await server.query('CREATE EXTENSION IF NOT EXISTS pg_stat_statements');
    await server.query('CREATE ROLE app LOGIN');
    await server.query(
      'CREATE TABLE orders (id int PRIMARY KEY, customer int NOT NULL); CREATE TABLE items (id serial PRIMARY KEY, order_id int NOT NULL, qty int NOT NULL)',
    );
    await server.query(
      'INSERT INTO orders SELECT g, g % 500 FROM generate_series(1, 5000) g; INSERT INTO items (order_id, qty) SELECT g % 5000, g % 7 FROM generate_series(1, 200000) g',
    );
    // the duplicate: orders_customer_dup repeats orders_customer (never fixed: persists)
    await server.query(
      'CREATE INDEX orders_customer ON orders (customer); CREATE INDEX orders_customer_dup ON orders (customer); CREATE INDEX items_order ON items (order_id)',
    );
    await server.query('ANALYZE; GRANT SELECT ON orders, items TO app');
    dir = mkdtempSync(join(tmpdir(), 'dbdiag-reports-'));
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    writeFileSync(
      join(dir, 'dbdiag.yml'),
      stringify({
        listen: `127.0.0.1:${port}`,
        intervalSeconds: 1,
        tablesIntervalSeconds: 1,
        dataDir: join(dir, 'state'),
        thresholds: { saturationWindowSeconds: 3, resolveAfterSeconds: 4 },
        // the agent's own schedule (daily reports: they are no baseline of the custom ones here)
        reports: { enabled: true, schedules: [{ name: 'every-5s', cron: '*/5 * * * * *', kind: 'daily' }] },
        targets: [{ name: 'plant', dsn: server.url({ applicationName: 'dbdiag' }) }],
      }),
    );
  }, 120_000);

  afterAll(async () => {
    if (agent && agent.exitCode === null) {
      await new Promise<void>((done) => {
        agent?.once('exit', () => done());
        agent?.kill('SIGTERM');
      });
    }
    for (const c of held) await c.end().catch(() => undefined);
    await server?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  let first: Report;
  let secondReport: Report;
  let periodOneEnd: number;

  it('period 1: the incident is raised and left active, the report lists it as new', async () => {
    const periodOneStart = Date.now() - 1000;
    agent = spawn(
      process.execPath,
      ['--import', 'tsx', 'agent/cli/main.ts', 'agent', '--config', join(dir, 'dbdiag.yml')],
      { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] },
    );
    agent.stderr?.on('data', (chunk: Buffer) => {
      agentLog += chunk.toString('utf8');
    });
    const log = () => agentLog;
    await until(
      'the agent',
      async () => ((await fetch(`${base}/healthz`)).ok ? true : undefined),
      60_000,
      log,
    );
    await until(
      'duplicate-index',
      async () => ((await activeIds()).some((id) => id.startsWith('duplicate-index:')) ? true : undefined),
      30_000,
      log,
    );
    await lookups(300);
    for (;;) {
      const client = new pg.Client({ connectionString: server.url({ user: 'app' }) });
      client.on('error', () => {});
      try {
        await client.connect();
        held.push(client);
      } catch (error) {
        if ((error as { code?: string }).code === '53300') break;
        throw error;
      }
    }
    await until(
      'pool-saturation',
      async () => ((await activeIds()).includes(SATURATION) ? true : undefined),
      30_000,
      log,
    );
    await sleep(3000); // a few cycles more: rollups and findings reach the store
    periodOneEnd = Date.now();
    first = report(['--from', iso(periodOneStart), '--to', iso(periodOneEnd)]).report;
    expect(validateReport(first)).toBeNull();
    expect(first.kind).toBe('custom');
    expect(first.baseline.source).toBe('period');
    const plant = first.targets.find((t) => t.target === 'plant');
    expect(plant?.findings.new.map((f) => f.id)).toContain(SATURATION);
    expect(plant?.status).toBe('critical');
    const lookup = plant?.statements.all.find((s) => s.fingerprint?.includes('FROM items WHERE order_id'));
    expect(lookup?.calls).toBeGreaterThanOrEqual(100);
  }, 150_000);

  it('period 2: resolved with its duration, the regression with its figures, persisting "seen in 2 of 2"; the JSON validates', async () => {
    const log = () => agentLog;
    for (const c of held.splice(0)) await c.end();
    await until(
      'pool-saturation resolved',
      async () => ((await activeIds()).includes(SATURATION) ? undefined : true),
      30_000,
      log,
    );
    await server.query('DROP INDEX items_order');
    await lookups(150);
    await sleep(3000);
    const periodTwoEnd = Date.now();
    const { report: second, json } = report(['--from', iso(periodOneEnd), '--to', iso(periodTwoEnd)]);
    expect(validateReport(json)).toBeNull();
    expect(second.baseline).toMatchObject({ source: 'report', reportId: first.id });
    const plant = second.targets.find((t) => t.target === 'plant')!;
    const resolvedOne: ReportFinding | undefined = plant.findings.resolved.find((f) => f.id === SATURATION);
    expect(resolvedOne?.resolvedAt).not.toBeNull();
    expect(resolvedOne?.durationSeconds).toBeGreaterThanOrEqual(3);
    expect(plant.findings.new.map((f) => f.id)).not.toContain(SATURATION);
    const duplicate = plant.findings.persisting.find((f) => f.id.startsWith('duplicate-index:'));
    expect(duplicate?.seenIn).toEqual({ reports: 2, of: 2 });
    expect(duplicate?.fix?.statements.join('\n')).toMatch(/DROP INDEX .*orders_customer_dup/);
    expect(plant.maintenance.map((m) => m.findingId)).toContain(duplicate?.id);
    const regression = plant.statements.regressions.find((s) =>
      s.fingerprint?.includes('FROM items WHERE order_id'),
    );
    expect(regression, JSON.stringify(plant.statements, null, 1)).toBeDefined();
    expect(regression!.baselineMeanSeconds).not.toBeNull();
    expect(regression!.meanSeconds!).toBeGreaterThan(regression!.baselineMeanSeconds! * 1.25);
    expect(regression!.meanChangePercent).toBeGreaterThanOrEqual(25);
    expect(second.fleet.findings.resolved).toBeGreaterThanOrEqual(1);

    // the same report as Markdown (compared with report 1 again, by id)
    const md = spawnSync(
      process.execPath,
      [
        '--import',
        'tsx',
        'agent/cli/main.ts',
        'report',
        '--data-dir',
        join(dir, 'state'),
        '--from',
        iso(periodOneEnd),
        '--to',
        iso(periodTwoEnd),
        '--compare-to',
        first.id,
      ],
      { cwd: ROOT, encoding: 'utf8' },
    );
    expect(md.status, md.stderr).toBe(0);
    expect(md.stdout).toContain('#### Resolved');
    expect(md.stdout).toMatch(/seen in 2 of the last 2 custom reports/);
    expect(md.stdout).toContain('#### Regressions');
    expect(md.stdout).not.toContain('postgres://');
    secondReport = second;
  }, 150_000);

  it('the agent serves the stored reports at /reports/; the HTML opens in headless Chromium with every section, no console error and no request leaving the file', async () => {
    const index = await fetch(`${base}/reports/`);
    expect(index.status).toBe(200);
    const listing = await index.text();
    expect(listing).toContain(`${first.id}.html`);
    expect(listing).toContain(`${secondReport.id}.html`);
    // the agent's schedule ran: stored (listed) and written to <dataDir>/reports
    const scheduled = /daily-\d{8}T\d{6}Z/.exec(listing)?.[0];
    expect(scheduled, listing).toBeDefined();
    expect(readdirSync(join(dir, 'state', 'reports'))).toEqual(
      expect.arrayContaining([`${scheduled}.html`, `${scheduled}.json`, `${scheduled}.md`]),
    );
    const json = await fetch(`${base}/reports/${secondReport.id}.json`);
    expect(validateReport(await json.json())).toBeNull();
    const served = await fetch(`${base}/reports/${secondReport.id}.html`);
    expect(served.headers.get('content-type')).toContain('text/html');
    const html = await served.text();
    const file = join(dir, 'report.html');
    writeFileSync(file, html);

    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
    try {
      const page = await browser.newPage({ viewport: { width: 390, height: 844 } });
      const problems: string[] = [];
      const requests: string[] = [];
      page.on('console', (m) => {
        if (m.type() === 'error' || m.type() === 'warning') problems.push(`${m.type()}: ${m.text()}`);
      });
      page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
      page.on('request', (r) => requests.push(r.url()));
      await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });
      for (const section of [
        'header.fleet',
        'section.target',
        'section.findings',
        'section.capacity',
        'section.statements',
        'section.maintenance',
        'section.changes',
        'section.audit',
      ])
        expect(await page.locator(section).count(), section).toBeGreaterThan(0);
      expect(await page.locator('h4.resolved-list').count()).toBe(1);
      expect(await page.locator('h4.persisting-list').count()).toBe(1);
      expect(await page.locator('section.capacity svg polyline').count()).toBeGreaterThan(0);
      expect(await page.textContent('body')).toContain('seen in 2 of the last 2 custom reports');
      mkdirSync(ARTIFACTS, { recursive: true });
      await page.screenshot({ path: join(ARTIFACTS, 'report-phone.png'), fullPage: true });
      await page.setViewportSize({ width: 1200, height: 900 });
      await page.screenshot({ path: join(ARTIFACTS, 'report-desktop.png'), fullPage: true });
      expect(problems).toEqual([]);
      expect(requests.filter((u) => !u.startsWith('file://'))).toEqual([]);
    } finally {
      await browser.close();
    }
  }, 60_000);
});
