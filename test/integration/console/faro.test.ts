import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type AgentProcess,
  buildConsole,
  ROOT,
  startAgentProcess,
  until,
} from '../../support/agent-process.js';

// Grafana Faro in the console (issue #15 item 2), in headless Debian Chromium against real agents
// watching the PostgreSQL 15 server: a local HTTP collector stands in for Faro's. With
// console.faro.url set, the console sends its payload there — meta.app.name dbdiag-console with
// the agent's version, a session_start event, web vitals, an api_call event per request to the
// agent, and an error the test throws in the page. Without it, the page loads no Faro and the
// collector gets no request at all.

const CHROMIUM = process.env.DBDIAG_CHROMIUM ?? '/usr/bin/chromium';
const PG_URL = process.env.DBDIAG_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
/** the payloads received, for a person to read after the run (git-ignored) */
const ARTIFACTS = join(ROOT, 'test-artifacts');
const VERSION = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;

interface FaroPayload {
  meta?: { app?: { name?: string; version?: string }; session?: { id?: string } };
  events?: { name: string; attributes?: Record<string, string> }[];
  exceptions?: { type?: string; value?: string }[];
  measurements?: { type?: string; values?: Record<string, number> }[];
}

describe('Faro in the console', () => {
  let collector: Server;
  let collectorUrl = '';
  const received: FaroPayload[] = [];
  let requests = 0;
  let withFaro: AgentProcess;
  let withoutFaro: AgentProcess;
  let browser: Browser;

  beforeAll(async () => {
    buildConsole();
    collector = createServer((req, res) => {
      requests += 1;
      const cors = {
        'access-control-allow-origin': '*',
        'access-control-allow-headers': '*',
        'access-control-allow-methods': 'POST, OPTIONS',
      };
      if (req.method === 'OPTIONS') {
        res.writeHead(204, cors);
        res.end();
        return;
      }
      let body = '';
      req.on('data', (chunk: Buffer) => {
        body += chunk.toString('utf8');
      });
      req.on('end', () => {
        try {
          received.push(JSON.parse(body) as FaroPayload);
        } catch {
          received.push({});
        }
        res.writeHead(202, cors);
        res.end();
      });
    });
    await new Promise<void>((done) => collector.listen(0, '127.0.0.1', done));
    collectorUrl = `http://127.0.0.1:${(collector.address() as AddressInfo).port}/collect`;
    const target = { intervalSeconds: 2, targets: [{ name: 'h15-faro', dsn: PG_URL }] };
    [withFaro, withoutFaro] = await Promise.all([
      startAgentProcess({ ...target, console: { faro: { url: collectorUrl } } }),
      startAgentProcess(target),
    ]);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await Promise.all([withFaro?.stop(), withoutFaro?.stop()]);
    await new Promise((done) => collector?.close(done));
  });

  it('off by default: the page loads no Faro and nothing reaches the collector', async () => {
    const page = await browser.newPage();
    const loaded: string[] = [];
    page.on('request', (r) => loaded.push(new URL(r.url()).pathname));
    const response = await page.goto(`${withoutFaro.base}/`, { waitUntil: 'load' });
    expect(response?.headers()['content-security-policy']).toContain("connect-src 'self';");
    await page.locator('#targets tbody tr', { hasText: 'h15-faro' }).waitFor();
    await page.evaluate('setTimeout(() => { throw new Error("dbdiag-faro-off") }, 0)');
    await page.close({ runBeforeUnload: true });
    await new Promise((r) => setTimeout(r, 1500)); // what a batch would have waited before sending
    expect(loaded).not.toContain('/faro.js');
    expect((await fetch(`${withoutFaro.base}/faro.js`)).status).toBe(404);
    expect(requests).toBe(0);
  }, 60_000);

  it('on: the collector receives the app, a session start, the API calls and a thrown error', async () => {
    const page = await browser.newPage();
    const problems: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error' && !m.text().includes('dbdiag-faro-test')) problems.push(m.text());
    });
    const response = await page.goto(`${withFaro.base}/`, { waitUntil: 'load' });
    expect(response?.headers()['content-security-policy']).toContain(
      `connect-src 'self' ${new URL(collectorUrl).origin};`,
    );
    await page.locator('#targets tbody tr', { hasText: 'h15-faro' }).waitFor();
    const events = () => received.flatMap((p) => p.events ?? []);
    await until(
      'session_start at the collector',
      async () => (events().some((e) => e.name === 'session_start') ? true : undefined),
      20_000,
    );
    await until(
      'a web-vitals measurement',
      async () =>
        received.flatMap((p) => p.measurements ?? []).some((m) => m.type === 'web-vitals') ? true : undefined,
      20_000,
    );
    const apps = received.map((p) => p.meta?.app);
    expect(apps.every((a) => a?.name === 'dbdiag-console' && a?.version === VERSION)).toBe(true);
    await until(
      'an api_call event',
      async () => (events().some((e) => e.name === 'api_call') ? true : undefined),
      20_000,
    );
    const call = events().find((e) => e.name === 'api_call' && e.attributes?.path === '/api/targets');
    expect(call?.attributes?.status).toBe('200');

    await page.evaluate('setTimeout(() => { throw new Error("dbdiag-faro-test") }, 0)');
    const exception = await until(
      'the thrown error at the collector',
      async () =>
        received.flatMap((p) => p.exceptions ?? []).find((e) => e.value?.includes('dbdiag-faro-test')),
      20_000,
    );
    expect(exception.type).toBe('Error');
    // one session throughout
    const sessions = new Set(received.map((p) => p.meta?.session?.id).filter(Boolean));
    expect(sessions.size).toBe(1);
    await page.close({ runBeforeUnload: true });
    mkdirSync(ARTIFACTS, { recursive: true });
    writeFileSync(join(ARTIFACTS, 'faro-payloads.json'), JSON.stringify(received, null, 2));
    expect(problems).toEqual([]);
  }, 60_000);
});
