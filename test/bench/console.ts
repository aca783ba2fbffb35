import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { chromium } from 'playwright-core';
import { type AgentProcess, buildConsole, ROOT, startAgentProcess, until } from '../support/agent-process.js';

// npm run bench:console [-- --runs 10]
//
// The web console's weight and speed: the size of what the browser downloads (raw and gzip) as
// `npm run build:web` makes it, and the time to first render of the overview — from navigation
// start to the first target row in the table, which needs the page, its script and one answer
// of /api/targets — in headless Debian Chromium against a real agent watching the PostgreSQL
// server (DBDIAG_BENCH_PG_URL, default the local one), a fresh browser context (empty cache)
// per run; median of N. Then the same with Faro on (console.faro.url pointing at a local
// collector that accepts everything), to show its cost. No peer tool is installed here (pghero,
// PMM, Grafana: none on this machine), so there is nothing to compare against in the same run.
// Wall clock on a shared machine: noisy when other sessions work; the load average is printed.

const CHROMIUM = process.env.DBDIAG_CHROMIUM ?? '/usr/bin/chromium';
const PG_URL = process.env.DBDIAG_BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const runsArg = process.argv.indexOf('--runs');
const RUNS = runsArg >= 0 ? Number(process.argv[runsArg + 1]) : 10;
if (!Number.isInteger(RUNS) || RUNS < 1) throw new Error('--runs must be a positive integer');

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

function sizes(): void {
  const dir = join(ROOT, 'dist', 'web');
  const row = (file: string) => {
    const body = readFileSync(join(dir, file));
    return { file, raw: body.length, gzip: gzipSync(body, { level: 9 }).length };
  };
  const base = ['index.html', 'console.js', 'console.css'].map(row);
  const total = base.reduce((t, r) => ({ raw: t.raw + r.raw, gzip: t.gzip + r.gzip }), { raw: 0, gzip: 0 });
  const faro = row('faro.js');
  console.log('bundle (dist/web, as npm run build:web makes it)');
  for (const r of [
    ...base,
    { file: 'console total', ...total },
    { ...faro, file: 'faro.js (only when console.faro.url is set)' },
  ])
    console.log(
      `  ${r.file.padEnd(44)} ${String(r.raw).padStart(7)} B raw ${String(r.gzip).padStart(7)} B gzip`,
    );
}

/** ms from navigation start to the first target row, and to the first contentful paint */
async function firstRender(base: string): Promise<{ render: number[]; fcp: number[] }> {
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  const render: number[] = [];
  const fcp: number[] = [];
  try {
    for (let i = 0; i < RUNS + 1; i++) {
      const context = await browser.newContext();
      const page = await context.newPage();
      // (a string: it runs in the page, before the console's script)
      await page.addInitScript(`new MutationObserver((_, observer) => {
        if (document.querySelector('#targets tbody tr')) {
          window.firstRender = performance.now();
          observer.disconnect();
        }
      }).observe(document, { childList: true, subtree: true });`);
      await page.goto(`${base}/`, { waitUntil: 'load' });
      await page.waitForFunction('window.firstRender !== undefined', undefined, { timeout: 30_000 });
      const [r, paint] = (await page.evaluate(
        "[window.firstRender, performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? null]",
      )) as [number, number | null];
      if (i > 0) {
        // the first run warms the agent's and the OS's caches: not counted
        render.push(r);
        if (paint !== null) fcp.push(paint);
      }
      await context.close();
    }
  } finally {
    await browser.close();
  }
  return { render, fcp };
}

async function main(): Promise<void> {
  console.log(
    `bench:console — ${RUNS} runs each, ${cpus().length} CPUs, load average ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
  buildConsole();
  sizes();
  const collector = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(req.method === 'OPTIONS' ? 204 : 202, {
        'access-control-allow-origin': '*',
        'access-control-allow-headers': '*',
      });
      res.end();
    });
  });
  await new Promise<void>((done) => collector.listen(0, '127.0.0.1', done));
  const collectorUrl = `http://127.0.0.1:${(collector.address() as AddressInfo).port}/collect`;
  const target = { intervalSeconds: 5, targets: [{ name: 'bench-console', dsn: PG_URL }] };
  const agents: AgentProcess[] = [];
  try {
    for (const [label, extra] of [
      ['Faro off', {}],
      ['Faro on', { console: { faro: { url: collectorUrl } } }],
    ] as const) {
      const agent = await startAgentProcess({ ...target, ...extra });
      agents.push(agent);
      await until(
        'the first sample',
        async () => {
          const doc = (await (await fetch(`${agent.base}/api/targets`)).json()) as {
            targets: { up: boolean }[];
          };
          return doc.targets[0]?.up ? true : undefined;
        },
        60_000,
        agent.log,
      );
      const { render, fcp } = await firstRender(agent.base);
      console.log(
        `time to first render of the overview, ${label}: median ${median(render).toFixed(0)} ms (min ${Math.min(...render).toFixed(0)}, max ${Math.max(...render).toFixed(0)}); first contentful paint median ${fcp.length ? median(fcp).toFixed(0) : '–'} ms`,
      );
    }
  } finally {
    for (const agent of agents) await agent.stop();
    collector.close();
  }
  console.log(
    `load average after: ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : String(error));
  process.exit(1);
});
