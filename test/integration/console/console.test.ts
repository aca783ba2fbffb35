import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import pg from 'pg';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { freePort } from '../../support/free-port.js';
import { type PostgresServer, startPostgres } from '../../support/postgres.js';
import { until } from '../../support/until.js';

// The web console in headless Debian Chromium against a real agent watching a real PostgreSQL 15
// with two real findings: a duplicate index (its fix is a copy-ready DROP INDEX) and the
// application holding every ordinary connection slot (pool-saturation). Each view loads with no
// console error, shows the finding, its statements and its runbook; the kind filter narrows the
// list; a reloaded URL shows the same view.

const ROOT = resolve(import.meta.dirname, '..', '..', '..');
const CHROMIUM = process.env.DBDIAG_CHROMIUM ?? '/usr/bin/chromium';
/** screenshots a person looks at after the run (git-ignored) */
const ARTIFACTS = join(ROOT, 'test-artifacts');
const MAX_CONNECTIONS = 12;
const RESERVED = 2;
const SATURATION = 'pool-saturation:plant:connections';

describe('web console on a real agent and PostgreSQL 15 (duplicate index, saturated pool)', () => {
  let server: PostgresServer;
  let dir: string;
  let base: string;
  let agent: ChildProcess | undefined;
  let agentLog = '';
  let browser: Browser;
  let duplicateId = '';
  const held: pg.Client[] = [];

  async function active(): Promise<{ id: string; kind: string }[]> {
    const res = await fetch(`${base}/api/findings?status=active`);
    return ((await res.json()) as { findings: { id: string; kind: string }[] }).findings;
  }

  /** a page that records every console error and uncaught exception */
  async function openPage(problems: string[]): Promise<Page> {
    const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(`console: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
    page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()}`));
    return page;
  }

  beforeAll(async () => {
    const built = spawnSync(process.execPath, ['scripts/build-web.mjs'], { cwd: ROOT, encoding: 'utf8' });
    if (built.status !== 0) throw new Error(`build-web failed: ${built.stderr}`);
    mkdirSync(ARTIFACTS, { recursive: true });
    server = await startPostgres({
      version: 15,
      settings: { max_connections: MAX_CONNECTIONS, superuser_reserved_connections: RESERVED },
    });
    await server.query('CREATE ROLE app LOGIN');
    await server.query('CREATE TABLE orders (id int PRIMARY KEY, customer int NOT NULL)');
    await server.query('INSERT INTO orders SELECT g, g % 500 FROM generate_series(1, 5000) g');
    await server.query(
      'CREATE INDEX orders_customer ON orders (customer); CREATE INDEX orders_customer_dup ON orders (customer); ANALYZE',
    );
    await server.query('CREATE EXTENSION IF NOT EXISTS pg_stat_statements');
    dir = mkdtempSync(join(tmpdir(), 'dbdiag-console-'));
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    writeFileSync(
      join(dir, 'dbdiag.yml'),
      stringify({
        listen: `127.0.0.1:${port}`,
        intervalSeconds: 1,
        tablesIntervalSeconds: 1,
        dataDir: join(dir, 'state'),
        thresholds: { saturationWindowSeconds: 3 },
        targets: [{ name: 'plant', dsn: server.url({ applicationName: 'dbdiag' }) }],
      }),
    );
    agent = spawn(
      process.execPath,
      ['--import', 'tsx', 'agent/cli/main.ts', 'agent', '--config', join(dir, 'dbdiag.yml')],
      {
        cwd: ROOT,
        stdio: ['ignore', 'ignore', 'pipe'],
      },
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
    duplicateId = await until(
      'duplicate-index',
      async () => (await active()).find((f) => f.kind === 'duplicate-index')?.id,
      30_000,
      log,
    );
    // statements for the statements page: run between two of the agent's samples
    const reader = await server.connect();
    for (let i = 0; i < 200; i++) await reader.query('SELECT count(*) FROM orders WHERE customer = $1', [i]);
    await reader.end();
    await until(
      'the statement in the store',
      async () => {
        const doc = (await (await fetch(`${base}/api/statements?hours=1`)).json()) as {
          statements: { fingerprint: string | null }[];
        };
        return doc.statements.some((st) => st.fingerprint?.includes('orders')) ? true : undefined;
      },
      30_000,
      log,
    );
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
      async () => ((await active()).some((f) => f.id === SATURATION) ? true : undefined),
      30_000,
      log,
    );
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
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

  it('the overview lists the target with its figures and both findings, and the kind filter narrows it', async () => {
    const problems: string[] = [];
    const page = await openPage(problems);
    await page.goto(`${base}/`, { waitUntil: 'load' });
    const targetRow = page.locator('#targets tbody tr', { hasText: 'plant' });
    await targetRow.waitFor();
    expect(await targetRow.textContent()).toMatch(/up/);
    expect(await targetRow.textContent()).toMatch(/\d+\.\d %/); // saturation shown as a percentage
    expect(await targetRow.textContent()).toMatch(/1 critical|1 warning/);
    await page.locator('#findings tbody tr', { hasText: duplicateId }).waitFor();
    await page.locator('#findings tbody tr', { hasText: SATURATION }).waitFor();
    await page.screenshot({ path: join(ARTIFACTS, 'console-overview.png'), fullPage: true });

    await page.getByLabel('Kind').selectOption('duplicate-index');
    await page.waitForURL(/kind=duplicate-index/);
    // keyboard: the first Tab reaches the skip link, Enter puts the focus on the findings and keeps the URL
    const before = page.url();
    await page.locator('body').focus();
    await page.keyboard.press('Tab');
    expect(await page.evaluate('document.activeElement.textContent')).toBe('Skip to findings');
    await page.keyboard.press('Enter');
    expect(await page.evaluate('document.activeElement.id')).toBe('findings-heading');
    expect(page.url()).toBe(before);
    await expect.poll(() => page.locator('#findings tbody tr', { hasText: SATURATION }).count()).toBe(0);
    expect(await page.locator('#findings tbody tr', { hasText: duplicateId }).count()).toBe(1);
    await page.screenshot({ path: join(ARTIFACTS, 'console-filtered.png'), fullPage: true });
    expect(problems).toEqual([]);
    await page.close();
  }, 60_000);

  it('a finding shows its evidence, copy-ready statements, chain and runbook, and a reload restores the view', async () => {
    const problems: string[] = [];
    const page = await openPage(problems);
    await page.goto(`${base}/#kind=duplicate-index`, { waitUntil: 'load' });
    await page.locator('#findings tbody a').first().click();
    await page.waitForURL(/finding=/);
    const detail = page.locator('#detail');
    await detail.locator('code.statement').first().waitFor();
    expect(await detail.locator('code.statement').first().textContent()).toMatch(
      /DROP INDEX .*orders_customer/,
    );
    expect(await detail.getByRole('button', { name: /Copy statement 1/ }).count()).toBe(1);
    await detail.locator('.runbook h4').first().waitFor();
    expect(await detail.locator('ol.chain li[aria-current]').count()).toBe(1);
    expect(await detail.locator('dl.evidence dt').count()).toBeGreaterThan(0);
    const url = page.url();
    await page.screenshot({ path: join(ARTIFACTS, 'console-finding.png'), fullPage: true });

    await page.reload({ waitUntil: 'load' });
    expect(page.url()).toBe(url);
    await detail.locator('code.statement').first().waitFor();
    expect(await page.getByLabel('Kind').inputValue()).toBe('duplicate-index');
    expect(await detail.locator('code.statement').first().textContent()).toMatch(/orders_customer/);

    // the saturation finding, on a phone-sized screen
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(`${base}/#finding=${encodeURIComponent(SATURATION)}`, { waitUntil: 'load' });
    await detail.locator('.runbook h4').first().waitFor();
    expect(await detail.locator('h2#detail-heading').textContent()).toBeTruthy();
    const width = await page.evaluate('document.documentElement.scrollWidth');
    expect(width).toBeLessThanOrEqual(390); // no sideways scrolling of the page itself
    await page.screenshot({ path: join(ARTIFACTS, 'console-phone.png'), fullPage: true });
    expect(problems).toEqual([]);
    await page.close();
  }, 60_000);

  it('the statements, reports, drills and audit pages load, filter, keep their state in the URL; a finding shows its history', async () => {
    const problems: string[] = [];
    const page = await openPage(problems);
    // statements: top by time from the store's hourly rollups
    await page.goto(`${base}/#page=statements&hours=1`, { waitUntil: 'load' });
    const statements = page.locator('#statements tbody tr', { hasText: 'orders' });
    await statements.first().waitFor();
    expect(await page.locator('nav.pages a[aria-current="page"]').textContent()).toBe('Statements');
    expect(await page.locator('#targets').isVisible()).toBe(false);
    await page.locator('#statement-filters').getByLabel('Target').selectOption('plant');
    await page.waitForURL(/page=statements.*target=plant/);
    await statements.first().waitFor();
    expect(await statements.first().locator('svg.spark').count()).toBe(1);
    await page.reload({ waitUntil: 'load' });
    await statements.first().waitFor();
    await expect.poll(() => page.locator('#statement-filters').getByLabel('Hours').inputValue()).toBe('1');
    await expect
      .poll(() => page.locator('#statement-filters').getByLabel('Target').inputValue())
      .toBe('plant');
    await page.screenshot({ path: join(ARTIFACTS, 'console-statements.png'), fullPage: true });

    // audit: the agent's first start recorded its configuration; the chain is intact
    await page.getByRole('link', { name: 'Audit log' }).click();
    await page.waitForURL(/page=audit.*target=plant/); // the target chosen stays with the links
    await expect.poll(() => page.locator('#audit-filters').getByLabel('Target').inputValue()).toBe('plant');
    // the agent's own records concern no one target
    await page.locator('#audit-filters').getByLabel('Target').selectOption('');
    await page.locator('#audit tbody tr', { hasText: 'config-change' }).first().waitFor();
    expect(await page.locator('#audit-chain').textContent()).toMatch(/Hash chain intact/);
    await page.locator('#audit-filters').getByLabel('Action').selectOption('apply');
    await page.waitForURL(/action=apply/);
    await page.locator('#audit tbody tr', { hasText: 'No audit record matches' }).waitFor();
    await page.locator('#audit-filters').getByLabel('Action').selectOption('config-change');
    await page.locator('#audit tbody tr', { hasText: 'config-change' }).first().waitFor();
    await page.screenshot({ path: join(ARTIFACTS, 'console-audit.png'), fullPage: true });

    // reports: one made with `dbdiag report` from the agent's store, linked to /reports/<id>.html
    const made = spawnSync(
      process.execPath,
      [
        '--import',
        'tsx',
        'agent/cli/main.ts',
        'report',
        '--period',
        '1h',
        '--format',
        'json',
        '--data-dir',
        join(dir, 'state'),
      ],
      { cwd: ROOT, encoding: 'utf8' },
    );
    expect(made.status, made.stderr).toBe(0);
    const reportId = (JSON.parse(made.stdout) as { id: string }).id;
    await page.getByRole('link', { name: 'Reports' }).click();
    const reportLink = page.locator('#reports tbody a', { hasText: reportId });
    await reportLink.waitFor();
    await page.screenshot({ path: join(ARTIFACTS, 'console-reports.png'), fullPage: true });
    const [reportPage] = await Promise.all([page.waitForEvent('load'), reportLink.click()]);
    expect(reportPage.url()).toContain(`/reports/${reportId}.html`);
    await page.goBack({ waitUntil: 'load' });

    // drills: none run on this agent: the page says so
    await page.goto(`${base}/#page=drills`, { waitUntil: 'load' });
    await page
      .locator('#drills tbody tr', { hasText: /No drill run stored|pass|fail/ })
      .first()
      .waitFor();

    // a finding's lifecycle from the store
    await page.goto(`${base}/#finding=${encodeURIComponent(duplicateId)}`, { waitUntil: 'load' });
    await page.locator('#detail ol.history li', { hasText: 'raised' }).first().waitFor();
    expect(problems).toEqual([]);
    await page.close();
  }, 90_000);

  it('sends a content security policy that keeps everything on the agent', async () => {
    const res = await fetch(`${base}/`);
    expect(res.headers.get('content-security-policy')).toContain("default-src 'none'");
    expect(await res.text()).not.toMatch(/https?:\/\//);
  });
});
