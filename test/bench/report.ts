import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Finding } from '../../agent/findings/finding.js';
import type { TrackedFinding } from '../../agent/findings/tracker.js';
import { makeReport } from '../../agent/reports/make.js';
import { renderReport } from '../../agent/reports/render.js';
import { openStore } from '../../agent/state/open.js';
import { HOUR_MS, hourOf } from '../../agent/state/rollup.js';
import type { HourlyRollup } from '../../agent/state/store.js';

// npm run bench:report [-- --days 30 --targets 10 --statements 50 --tables 50]
//
// Report generation over a full store: 30 days x 10 targets of hourly rollups (top 50
// statements + other, top 50 tables each: the agent's defaults) and 20 finding episodes per
// target, in a SQLite store. Times a monthly report (30 days, all targets) and a daily one,
// each made, stored and rendered in md, html and json; prints the time (goal: under 2 s) and
// the process memory. Wall clock on a shared machine: noisy when others work, so the CPU time
// of this process is printed too, and the machine's load average.

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const value = i >= 0 ? Number(process.argv[i + 1]) : fallback;
  if (!Number.isFinite(value) || value <= 0) throw new Error(`--${name} must be a positive number`);
  return value;
}

const DAYS = arg('days', 30);
const TARGETS = arg('targets', 10);
const STATEMENTS = arg('statements', 50);
const TABLES = arg('tables', 50);
const MB = 1024 * 1024;

function rollup(target: string, hour: number, seed: number): HourlyRollup {
  const wave = 1 + 0.3 * Math.sin(hour / (6 * HOUR_MS) + seed);
  return {
    target,
    hour,
    samples: 240,
    upSamples: 240,
    connections: {
      used: { peak: Math.round(60 * wave), mean: 40 * wave },
      active: { peak: Math.round(20 * wave), mean: 8 },
      idle: { peak: 40, mean: 30 },
      idleInTransaction: { peak: 2, mean: 0.1 },
      waitingLock: { peak: 1, mean: 0 },
      other: { peak: 0, mean: 0 },
    },
    maxConnections: 100,
    saturationMax: 0.6 * wave,
    saturationWarningMinutes: wave > 1.25 ? 5 : 0,
    cacheHits: 1_000_000,
    cacheReads: Math.round(1000 * wave),
    cacheHitRatio: 1_000_000 / (1_000_000 + 1000 * wave),
    serverVersion: '15.10',
    statements: [
      ...Array.from({ length: STATEMENTS }, (_, i) => {
        const calls = 1000 + i * 10;
        const mean = 0.001 * (1 + i / 10) * wave;
        return {
          queryId: `q${i}`,
          fingerprint: `SELECT * FROM table_${i} WHERE id = ? AND state = ?`,
          calls,
          totalSeconds: calls * mean,
          meanSeconds: mean,
          rows: calls,
        };
      }),
      { queryId: 'other', fingerprint: null, calls: 5000, totalSeconds: 2, meanSeconds: 0.0004, rows: 5000 },
    ],
    tables: Array.from({ length: TABLES }, (_, i) => ({
      table: `public.table_${i}`,
      dataBytes: 10 * MB + i * MB + Math.round((hour / HOUR_MS) % 1000) * 1000,
      indexBytes: 2 * MB,
      seqScans: 10,
      seqRowsRead: 10_000 * (TABLES - i),
      indexScans: 1000,
      liveRows: 100_000,
      deadRows: 1000,
    })),
  };
}

function episode(target: string, i: number, now: number): TrackedFinding {
  const kinds = [
    'missing-index',
    'stale-statistics',
    'table-bloat',
    'unused-index',
    'pool-saturation',
  ] as const;
  const kind = kinds[i % kinds.length]!;
  const finding: Finding = {
    id: `${kind}:${target}:public.table_${i}`,
    kind,
    severity: i % 3 === 0 ? 'critical' : 'warning',
    target,
    object: `public.table_${i}`,
    summary: `${kind} on public.table_${i}`,
    evidence: { rows: 100_000, ratio: 0.25 },
    fix: null,
    runbook: `http://127.0.0.1:9187/runbooks/${kind}.md`,
    related: [],
  };
  const firstSeen = now - (i + 1) * 36 * HOUR_MS;
  const resolvedAt = i % 2 === 0 ? firstSeen + 2 * HOUR_MS : null;
  return {
    finding,
    status: resolvedAt === null ? 'active' : 'resolved',
    firstSeen,
    lastSeen: resolvedAt ?? now,
    resolvedAt,
    occurrences: 100,
    severityChanges: [{ at: firstSeen, from: null, to: finding.severity }],
    worst: {
      severity: finding.severity,
      at: firstSeen,
      summary: finding.summary,
      evidence: finding.evidence,
    },
  };
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'dbdiag-bench-report-'));
  const store = await openStore({ dataDir: dir });
  try {
    const now = hourOf(Date.now());
    const from = now - DAYS * 24 * HOUR_MS;
    process.stderr.write(`filling the store: ${TARGETS} targets x ${DAYS} days of hourly rollups ...\n`);
    for (let t = 0; t < TARGETS; t += 1) {
      const target = `db${String(t).padStart(2, '0')}`;
      const rollups: HourlyRollup[] = [];
      for (let h = from; h < now; h += HOUR_MS) rollups.push(rollup(target, h, t));
      await store.saveRollups(rollups);
      await store.saveFindings(Array.from({ length: 20 }, (_, i) => episode(target, i, now)));
    }
    const info = await store.info();
    for (const [label, length] of [
      ['30 days', DAYS * 24 * HOUR_MS],
      ['1 day', 24 * HOUR_MS],
    ] as const) {
      const t0 = performance.now();
      const read = await store.rollupSummaries({ from: now - length, to: now });
      process.stdout.write(
        `store.rollupSummaries over ${label}, every target: ${read.reduce((n, r) => n + r.hours.length, 0)} hours, ${read.reduce((n, r) => n + r.statements.length, 0)} statement sums in ${((performance.now() - t0) / 1000).toFixed(2)} s\n`,
      );
    }
    const rss0 = process.memoryUsage().rss;
    global.gc?.();
    const measure = async (kind: 'monthly' | 'daily', lengthMs: number) => {
      const started = performance.now();
      const cpu0 = process.cpuUsage();
      const report = await makeReport(store, { kind, from: now - lengthMs, to: now, now });
      const built = performance.now();
      const sizes = (['md', 'html', 'json'] as const).map(
        (f) => `${f} ${(renderReport(report, f).length / 1024).toFixed(0)} kB`,
      );
      const rendered = performance.now();
      const cpu = process.cpuUsage(cpu0);
      const mem = process.memoryUsage();
      process.stdout.write(
        `${kind.padEnd(8)} report over ${report.targets.length} targets, ${(lengthMs / 86_400_000).toFixed(0)} days: built+stored ${((built - started) / 1000).toFixed(2)} s, rendered ${((rendered - built) / 1000).toFixed(2)} s, total ${((rendered - started) / 1000).toFixed(2)} s (goal < 2 s), CPU ${((cpu.user + cpu.system) / 1e6).toFixed(2)} s; ${sizes.join(', ')}; RSS ${(mem.rss / MB).toFixed(0)} MB (before ${(rss0 / MB).toFixed(0)} MB), heap used ${(mem.heapUsed / MB).toFixed(0)} MB\n`,
      );
    };
    process.stdout.write(
      `store: ${info.sizeBytes === null ? '?' : (info.sizeBytes / MB).toFixed(0)} MB SQLite, ${TARGETS * DAYS * 24} rollup hours (${STATEMENTS} statements + other, ${TABLES} tables each)\n`,
    );
    process.stdout.write(
      `load average ${loadavg()
        .map((l) => l.toFixed(1))
        .join(' ')} on ${cpus().length} cores\n`,
    );
    await measure('monthly', DAYS * 24 * HOUR_MS);
    await measure('daily', 24 * HOUR_MS);
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
