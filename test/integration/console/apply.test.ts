import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type AgentProcess,
  buildConsole,
  ROOT,
  startAgentProcess,
  until,
} from '../../support/agent-process.js';
import { type PostgresServer, startPostgres } from '../../support/postgres.js';

// The console's Apply button (issue #15 items 3-4) in headless Debian Chromium, against a real
// agent watching a real PostgreSQL 15 marked as a sandbox, while a workload of reads filtered on
// an un-indexed column runs. The agent itself raises the missing-index finding; the button
// without the apply token is refused (401, nothing built, the refusal audited), with the token
// the index is built online (CREATE INDEX CONCURRENTLY) under the running reads, the reads are
// measured faster (verified), the finding resolves and the audit chain holds the record. Before
// that, idle sessions take every ordinary slot while the slow read runs: the agent's
// pool-saturation names the missing index as its cause and the page draws that chain.

const CHROMIUM = process.env.DBDIAG_CHROMIUM ?? '/usr/bin/chromium';
const ARTIFACTS = join(ROOT, 'test-artifacts');
const READ_SQL = 'SELECT count(*) FROM public.orders WHERE customer_id = $1';
const TOKEN = 'h15-apply-token-0123456789';
const MAX_CONNECTIONS = 12;

interface ActiveFinding {
  id: string;
  kind: string;
  object: string;
  fix: { actions?: unknown[] } | null;
}

interface AuditRow {
  seq: number;
  action: string;
  who: string;
  result: string;
  finding: string | null;
  statements: string[];
}

describe('the Apply button on a sandbox PostgreSQL 15, finding raised by a real agent', () => {
  let server: PostgresServer;
  let agent: AgentProcess;
  let browser: Browser;
  let tokenDir: string;
  let workload: pg.Client;
  let running = true;
  let loop: Promise<void>;
  let findingId = '';

  const active = async (): Promise<ActiveFinding[]> =>
    (
      (await (await fetch(`${agent.base}/api/findings?status=active`)).json()) as {
        findings: ActiveFinding[];
      }
    ).findings;

  /** the audit log as the console's audit page reads it */
  async function auditList(): Promise<AuditRow[]> {
    const doc = (await (await fetch(`${agent.base}/api/audit`)).json()) as {
      chain: { ok: boolean };
      records: AuditRow[];
    };
    expect(doc.chain.ok).toBe(true);
    return doc.records;
  }

  async function applyPage(problems: string[]): Promise<Page> {
    const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    page.on('console', (m) => {
      // the refused request is logged by Chromium itself as a failed resource load
      if (m.type() === 'error' && !/status of 401/.test(m.text())) problems.push(m.text());
    });
    page.on('pageerror', (e) => problems.push(e.message));
    await page.goto(`${agent.base}/#finding=${encodeURIComponent(findingId)}`, { waitUntil: 'load' });
    await page.locator('form.apply').waitFor();
    return page;
  }

  beforeAll(async () => {
    buildConsole();
    mkdirSync(ARTIFACTS, { recursive: true });
    server = await startPostgres({
      version: 15,
      settings: { max_connections: MAX_CONNECTIONS, superuser_reserved_connections: 3 },
    });
    await server.query('CREATE ROLE app LOGIN');
    await server.query('DROP TABLE IF EXISTS public.orders');
    await server.query(
      'CREATE TABLE public.orders AS SELECT g AS id, g % 5000 AS customer_id, g % 7 AS status, repeat($$x$$, 40) AS note FROM generate_series(1, 200000) g',
    );
    await server.query('ANALYZE public.orders');
    await server.query('CREATE EXTENSION IF NOT EXISTS pg_stat_statements');
    workload = await server.connect();
    loop = (async () => {
      let i = 0;
      while (running) await workload.query(READ_SQL, [i++ % 5000]);
    })();
    tokenDir = mkdtempSync(join(tmpdir(), 'dbdiag-h15-token-'));
    writeFileSync(join(tokenDir, 'token'), `${TOKEN}\n`, { mode: 0o600 });
    agent = await startAgentProcess({
      intervalSeconds: 1,
      tablesIntervalSeconds: 1,
      thresholds: { saturationWindowSeconds: 3, resolveAfterSeconds: 5 },
      apply: {
        enabled: true,
        validationSeconds: 2,
        tokenFile: join(tokenDir, 'token'),
        tokenName: 'oncall-console',
      },
      targets: [{ name: 'h15-plant', dsn: server.url({ applicationName: 'dbdiag' }), sandbox: true }],
    });
    findingId = await until(
      'the missing-index finding on public.orders',
      async () =>
        (await active()).find(
          (f) =>
            f.kind === 'missing-index' && f.object.includes('orders') && (f.fix?.actions?.length ?? 0) > 0,
        )?.id,
      90_000,
      agent.log,
    );
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  }, 240_000);

  afterAll(async () => {
    running = false;
    await loop?.catch(() => undefined);
    await workload?.end();
    await browser?.close();
    await agent?.stop();
    await server?.stop();
    if (tokenDir) rmSync(tokenDir, { recursive: true, force: true });
  });

  it('the incident chain: the slow read holding every slot, pool-saturation drawn after its missing-index cause', async () => {
    const held: pg.Client[] = [];
    try {
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
      const saturationId = await until(
        'pool-saturation related to the missing index',
        async () =>
          (
            (await (await fetch(`${agent.base}/api/findings?status=active`)).json()) as {
              findings: { id: string; kind: string; related: string[] }[];
            }
          ).findings.find((f) => f.kind === 'pool-saturation' && f.related.includes(findingId))?.id,
        60_000,
        agent.log,
      );
      const problems: string[] = [];
      const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
      page.on('console', (m) => {
        if (m.type() === 'error') problems.push(m.text());
      });
      await page.goto(`${agent.base}/#finding=${encodeURIComponent(saturationId)}`, { waitUntil: 'load' });
      const chain = page.locator('#detail ol.chain li');
      await chain.first().waitFor();
      // cause first, then the saturation itself
      expect(await chain.first().textContent()).toMatch(/missing-index/);
      expect(await chain.first().locator('a').count()).toBe(1);
      expect(await page.locator('#detail ol.chain li[aria-current]').textContent()).toMatch(
        /pool-saturation/,
      );
      expect(await page.locator('#detail code.statement').allTextContents()).toEqual(
        expect.arrayContaining([expect.stringMatching(/max_connections|pool/i)]),
      );
      await page.screenshot({ path: join(ARTIFACTS, 'console-incident-chain.png'), fullPage: true });
      expect(problems).toEqual([]);
      await page.close();
    } finally {
      for (const c of held) await c.end().catch(() => undefined);
    }
  }, 120_000);

  it('without the token: refused with 401, nothing built, the refusal audited', async () => {
    const problems: string[] = [];
    const page = await applyPage(problems);
    await page.getByRole('button', { name: 'Apply this fix' }).click();
    const result = page.locator('form.apply .apply-result');
    await expect.poll(() => result.textContent(), { timeout: 20_000 }).toMatch(/Refused \(HTTP 401\)/);
    // a wrong token is refused the same way
    await page.getByLabel('Apply token').fill('not-the-token');
    await page.getByRole('button', { name: 'Apply this fix' }).click();
    await expect.poll(() => result.textContent(), { timeout: 20_000 }).toMatch(/wrong apply token/);
    await page.screenshot({ path: join(ARTIFACTS, 'console-apply-refused.png'), fullPage: true });
    const indexes = await server.query(
      `SELECT indexname FROM pg_indexes WHERE tablename = 'orders' AND indexdef LIKE '%customer_id%'`,
    );
    expect(indexes).toEqual([]);
    const refusals = (await auditList()).filter(
      (r) => r.action === 'apply-refused' && r.finding === findingId,
    );
    expect(refusals.length).toBe(2);
    expect(problems).toEqual([]);
    await page.close();
  }, 60_000);

  it('with the token: built online under the workload, verified faster, the finding resolves, audited', async () => {
    const problems: string[] = [];
    const page = await applyPage(problems);
    await page.getByLabel('Apply token').fill(TOKEN);
    await page.getByRole('button', { name: 'Apply this fix' }).click();
    const result = page.locator('form.apply .apply-result');
    await expect
      .poll(async () => (await result.getAttribute('data-status')) ?? '', { timeout: 90_000 })
      .not.toBe('');
    const text = (await result.textContent()) ?? '';
    expect(text).toMatch(/Result: applied: verified/);
    await page.screenshot({ path: join(ARTIFACTS, 'console-apply-verified.png'), fullPage: true });
    const built = await server.query<{ indexdef: string; indisvalid: boolean }>(
      `SELECT i.indexdef, x.indisvalid FROM pg_indexes i JOIN pg_class c ON c.relname = i.indexname
         JOIN pg_index x ON x.indexrelid = c.oid WHERE i.tablename = 'orders' AND i.indexdef LIKE '%customer_id%'`,
    );
    expect(built).toHaveLength(1);
    expect(built[0]!.indisvalid).toBe(true);
    await until(
      'the finding to resolve',
      async () => ((await active()).some((f) => f.id === findingId) ? undefined : true),
      90_000,
      agent.log,
    );
    const applied = (await auditList()).filter((r) => r.action === 'apply' && r.finding === findingId);
    expect(applied).toHaveLength(1);
    expect(applied[0]).toMatchObject({ who: 'oncall-console', result: 'verified' });
    expect(applied[0]!.statements.join('\n')).toMatch(/CREATE INDEX CONCURRENTLY/);
    expect(problems).toEqual([]);
    await page.close();
  }, 180_000);
});
