import { type ChildProcess, spawn } from 'node:child_process';
import http from 'node:http';
import { configSchema } from '../../agent/config/schema.js';
import { probeIntervalSeconds } from '../../agent/runtime/schedule.js';
import type { ProbeName } from '../../agent/snapshot/snapshot.js';

// Shared measurement for the scrape benchmarks (scrape.ts for PostgreSQL, scrape-mysql.ts):
// /metrics latency over N scrapes, series count, and a probe's database time amortized over
// the agent's default schedules. Figures are printed, never asserted.

export interface ScrapeFigures {
  scrapes: number;
  medianMs: number;
  p99Ms: number;
  maxMs: number;
  /** samples in the exposition (non-comment lines) of the last scrape */
  series: number;
  bytes: number;
}

/** Nearest-rank percentile of already sorted values. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1]!;
}

/** Lines of the Prometheus text format that are samples (not # HELP / # TYPE, not blank). */
export function countSeries(exposition: string): number {
  let n = 0;
  for (const line of exposition.split('\n')) if (line !== '' && !line.startsWith('#')) n++;
  return n;
}

/** One GET on a kept-alive connection; the body as text. */
function get(url: string, agent: http.Agent): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { agent }, (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (c: Buffer) => chunks.push(c));
        response.on('end', () =>
          resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString() }),
        );
        response.on('error', reject);
      })
      .on('error', reject);
  });
}

/**
 * GETs `url` `count` times, one after another on one kept-alive connection (as Prometheus
 * scrapes), timing each to the last byte of the body. node:http rather than fetch: undici's
 * own overhead adds client-side outliers of several ms to the tail.
 */
export async function measureScrapes(url: string, count: number): Promise<ScrapeFigures> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const latencies: number[] = [];
  let last = '';
  try {
    for (let i = 0; i < count; i++) {
      const started = performance.now();
      const response = await get(url, agent);
      latencies.push(performance.now() - started);
      last = response.body;
      if (response.status !== 200) throw new Error(`${url}: HTTP ${response.status}: ${last.slice(0, 200)}`);
    }
  } finally {
    agent.destroy();
  }
  const sorted = [...latencies].sort((a, b) => a - b);
  return {
    scrapes: count,
    medianMs: percentile(sorted, 50),
    p99Ms: percentile(sorted, 99),
    maxMs: sorted.at(-1) ?? Number.NaN,
    series: countSeries(last),
    bytes: Buffer.byteLength(last),
  };
}

export interface ProbeCost {
  probe: ProbeName;
  /** database time of one run of the probe (ms) */
  perRunMs: number;
  /** how often it runs at the default schedule (s) */
  intervalSeconds: number;
  /** its share of one sampling cycle: perRunMs * cycle interval / its interval */
  amortizedMs: number;
}

/** Spreads each probe's per-run cost over the default schedules (tables every 60 s, settings every 300 s, ...). */
export function amortize(perRunMs: Partial<Record<ProbeName, number>>): {
  probes: ProbeCost[];
  perCycleMs: number;
} {
  const defaults = configSchema.parse({});
  const probes: ProbeCost[] = [];
  for (const [probe, ms] of Object.entries(perRunMs) as [ProbeName, number][]) {
    const intervalSeconds = probeIntervalSeconds(probe, defaults);
    probes.push({
      probe,
      perRunMs: ms,
      intervalSeconds,
      amortizedMs: (ms * defaults.intervalSeconds) / intervalSeconds,
    });
  }
  return { probes, perCycleMs: probes.reduce((sum, p) => sum + p.amortizedMs, 0) };
}

export function fmt(ms: number): string {
  return Number.isFinite(ms) ? ms.toFixed(ms < 10 ? 2 : 1) : '-';
}

export function printScrape(label: string, f: ScrapeFigures): void {
  process.stdout.write(
    `${label.padEnd(28)} scrapes ${String(f.scrapes).padStart(3)}  median ${fmt(f.medianMs).padStart(8)} ms  ` +
      `p99 ${fmt(f.p99Ms).padStart(8)} ms  max ${fmt(f.maxMs).padStart(8)} ms  series ${String(f.series).padStart(7)}  ` +
      `${(f.bytes / 1024).toFixed(0)} KiB\n`,
  );
}

export function printProbeCosts(label: string, costs: { probes: ProbeCost[]; perCycleMs: number }): void {
  process.stdout.write(`${label}\n`);
  for (const p of costs.probes) {
    process.stdout.write(
      `  ${p.probe.padEnd(12)} ${fmt(p.perRunMs).padStart(8)} ms per run, every ${String(p.intervalSeconds).padStart(3)} s` +
        ` -> ${fmt(p.amortizedMs).padStart(7)} ms per cycle\n`,
    );
  }
  process.stdout.write(
    `  ${'total'.padEnd(12)} ${fmt(costs.perCycleMs).padStart(8)} ms per cycle (amortized)\n`,
  );
}

/** Starts a long-running helper process (an exporter) and waits until `ready()` says it answers. */
export async function startProcess(
  command: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv,
  ready: () => Promise<boolean>,
): Promise<{ child: ChildProcess; stop: () => Promise<void>; output: () => string }> {
  let output = '';
  const child = spawn(command, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout?.on('data', (c: Buffer) => {
    output = (output + c.toString()).slice(-8000);
  });
  child.stderr?.on('data', (c: Buffer) => {
    output = (output + c.toString()).slice(-8000);
  });
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${command} exited with ${child.exitCode}:\n${output}`);
    if (await ready().catch(() => false)) break;
    if (Date.now() > deadline) throw new Error(`${command} did not become ready:\n${output}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    child,
    output: () => output,
    stop: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise<void>((r) => child.once('exit', () => r()));
      child.kill('SIGTERM');
      await exited;
    },
  };
}
