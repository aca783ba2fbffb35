import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { configSchema } from '../../agent/config/schema.js';
import type { Finding } from '../../agent/findings/finding.js';
import { FindingTracker } from '../../agent/findings/tracker.js';
import { rootLogger } from '../../agent/log.js';
import type { Rates, StatementRate, TableRate } from '../../agent/snapshot/rates.js';
import type { Snapshot } from '../../agent/snapshot/snapshot.js';
import { openStore } from '../../agent/state/open.js';
import { AgentRecorder } from '../../agent/state/recorder.js';
import { HOUR_MS, HourlyRollupBuilder, hourOf, SettingsWatcher } from '../../agent/state/rollup.js';
import type { HourlyRollup, Store } from '../../agent/state/store.js';

// npm run bench:store [-- --statements 300 --tables 120 --days 30 --targets 10]
//
// 1. Growth and write time: one target sampled every 15 s for a simulated day, with the default
//    top N (50 statements, 50 tables) out of a busier server (300 statements, 120 tables, 3
//    active findings, a settings change), written the way the agent writes: after every cycle
//    the hour being filled, the findings that changed, settings changes. Prints bytes per
//    target per day (goal <= 2 MB) and the write time per cycle.
// 2. 30 days x 10 targets of hourly rollups in the store (the rows the agent ends each hour
//    with), then the agent's recorder started on that store for the 10 targets and one hour
//    of cycles: RSS of this process (the agent's memory does not grow with the store).
// Times are wall clock on a shared machine: noisy when others work.

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const value = i >= 0 ? Number(process.argv[i + 1]) : fallback;
  if (!Number.isFinite(value) || value <= 0) throw new Error(`--${name} must be a positive number`);
  return value;
}

const STATEMENTS = arg('statements', 300);
const TABLES = arg('tables', 120);
const DAYS = arg('days', 30);
const TARGETS = arg('targets', 10);
const INTERVAL_S = 15;
const CYCLES_PER_DAY = (24 * 3600) / INTERVAL_S;
const config = configSchema.parse({});
const T0 = Date.UTC(2026, 0, 1);

const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(2)} MB`;

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

/** A realistic normalized statement: 100-400 characters. */
function fingerprint(i: number): string {
  const cols = Array.from({ length: 3 + (i % 12) }, (_, c) => `t${i % TABLES}.column_${c}`).join(', ');
  return `SELECT ${cols} FROM app.table_${i % TABLES} t${i % TABLES} JOIN app.work_order_history h ON h.order_id = t${i % TABLES}.id WHERE t${i % TABLES}.state = $1 AND h.created_at > $2 ORDER BY h.created_at DESC LIMIT $3`;
}

function statementRates(at: number, cycle: number): Rates['statements'] {
  const items: StatementRate[] = [];
  for (let i = 0; i < STATEMENTS; i++) {
    // a long tail: statement i runs ~1/(i+1) as often; some pause for a while
    if ((cycle + i) % (1 + (i % 7)) !== 0) continue;
    const calls = Math.max(1, Math.round(1000 / (i + 1)));
    const totalSeconds = calls * 0.002 * (1 + (i % 5));
    items.push({
      id: String(1_000_000_000_000 + i * 7919),
      fingerprint: fingerprint(i),
      database: 'app',
      calls,
      totalSeconds,
      meanSeconds: totalSeconds / calls,
      rows: calls * 3,
      rowsExamined: null,
      noIndexUsedCalls: null,
      blocksHit: null,
      blocksRead: null,
    });
  }
  return { at, seconds: INTERVAL_S, resetSeen: false, items };
}

function tableRates(at: number): Rates['tables'] {
  const items: TableRate[] = Array.from({ length: TABLES }, (_, i) => ({
    table: `app.table_${i}`,
    seqScans: i % 3,
    seqRowsRead: (i % 3) * 10_000,
    indexScans: 100 + i,
    heapBlocksHit: null,
    heapBlocksRead: null,
    indexBlocksHit: null,
    indexBlocksRead: null,
  }));
  return { at, seconds: INTERVAL_S, resetSeen: false, items };
}

function snapshotAt(target: string, at: number, cycle: number): { snapshot: Snapshot; rates: Rates } {
  const used = 40 + ((cycle * 7) % 60);
  const tablesAt = at - (at % 60_000); // the tables probe runs every 60 s
  const snapshot: Snapshot = {
    target,
    engine: 'postgres',
    at,
    up: true,
    downReason: null,
    serverVersion: '15.8',
    signals: {
      connections: {
        at,
        used,
        max: 100,
        maxSetting: 100,
        reserved: 3,
        byState: {
          active: Math.floor(used / 2),
          idle: Math.ceil(used / 2) - 1,
          idleInTransaction: 1,
          waitingLock: 0,
          other: 0,
        },
        oldestTransactionSeconds: null,
        oldestIdleInTransactionSeconds: null,
        peakUsed: null,
        refusedTotal: null,
        abortedConnectsTotal: null,
        perConnectionMemoryBytes: null,
      },
      tables: {
        at: tablesAt,
        resetAt: null,
        tables: Array.from({ length: TABLES }, (_, i) => ({
          table: `app.table_${i}`,
          seqScans: 0,
          seqRowsRead: 0,
          indexScans: 0,
          indexRowsFetched: null,
          liveRows: 1000 * (i + 1),
          deadRows: 10 * i,
          rowsModifiedSinceAnalyze: null,
          lastVacuumAt: null,
          lastAnalyzeAt: null,
          dataBytes: 8192 * 100 * (i + 1),
          indexBytes: 8192 * 20 * (i + 1),
          freeBytes: null,
          heapBlocksHit: null,
          heapBlocksRead: null,
          indexBlocksHit: null,
          indexBlocksRead: null,
        })),
        indexes: [],
        foreignKeys: [],
      },
      settings: {
        at: at - (at % 300_000),
        serverStartedAt: null,
        values: {
          max_connections: cycle < CYCLES_PER_DAY / 2 ? '100' : '150',
          work_mem: '4194304',
          shared_buffers: '134217728',
        },
        hostMemoryBytes: null,
      },
    },
    probes: {},
  };
  const rates: Rates = {
    cache: {
      at,
      seconds: INTERVAL_S,
      resetSeen: false,
      items: { seconds: INTERVAL_S, hits: 99_000, reads: 1000, ratio: 0.99 },
    },
    statements: statementRates(at, cycle),
    tables: at === tablesAt ? tableRates(at) : null,
  };
  return { snapshot, rates };
}

function finding(
  target: string,
  kind: Finding['kind'],
  object: string,
  severity: Finding['severity'],
): Finding {
  return {
    id: `${kind}:${target}:${object}`,
    kind,
    severity,
    target,
    object,
    summary: `${kind} on ${object}`,
    evidence: { used: 97, max: 100, windowSeconds: 30, statements: ['q1', 'q2', 'q3'] },
    fix: {
      summary: 'do this',
      statements: ['CREATE INDEX CONCURRENTLY ...'],
      risk: 'low',
      rollback: 'DROP INDEX ...',
      actions: [],
    },
    runbook: `http://agent/runbooks/${kind}.md`,
    related: [],
  };
}

async function oneDay(store: Store, target: string): Promise<number[]> {
  const builder = new HourlyRollupBuilder(target, {
    topStatements: config.topN.statements,
    topTables: config.topN.tables,
    saturationWarningRatio: config.thresholds.saturationWarningRatio,
    intervalSeconds: INTERVAL_S,
  });
  const settings = new SettingsWatcher(target, {});
  const tracker = new FindingTracker(config.thresholds.resolveAfterSeconds);
  const writeMs: number[] = [];
  for (let cycle = 0; cycle < CYCLES_PER_DAY; cycle++) {
    const at = T0 + cycle * INTERVAL_S * 1000;
    const { snapshot, rates } = snapshotAt(target, at, cycle);
    const finished = builder.observe(snapshot, rates);
    // three findings: two standing all day, one that comes and goes every 2 hours
    const current = [
      finding(target, 'missing-index', 'app.work_order_history', 'warning'),
      finding(target, 'unused-index', 'app.table_7_idx', 'info'),
      ...(Math.floor(cycle / 480) % 2 === 0
        ? [finding(target, 'pool-saturation', 'connections', cycle % 480 > 240 ? 'critical' : 'warning')]
        : []),
    ];
    const update = tracker.update(current, at);
    const started = performance.now();
    await store.saveFindings(update.changed);
    await store.appendFindingEvents(update.events);
    await store.saveRollups([finished, builder.current()].filter((r): r is HourlyRollup => r !== null));
    await store.saveSettingChanges(settings.observe(snapshot));
    if (cycle % 240 === 0)
      await store.saveServerVersion({ target, version: '15.8', firstSeen: at, lastSeen: at });
    writeMs.push(performance.now() - started);
  }
  return writeMs;
}

async function main(): Promise<void> {
  global.gc?.();
  const rssAtStart = process.memoryUsage().rss;
  const dir = mkdtempSync(join(tmpdir(), 'dbdiag-bench-store-'));
  try {
    // 1. one target, one day
    const growthDir = join(dir, 'growth');
    const store = await openStore({ dataDir: growthDir });
    const empty = (await store.info()).sizeBytes ?? 0;
    const writeMs = await oneDay(store, 'plant-db');
    await store.vacuum();
    const info = await store.info();
    const perDay = (info.sizeBytes ?? 0) - empty;
    const rows = Object.fromEntries(info.tables.map((t) => [t.table, t.rows]));
    await store.close();
    console.log(
      `state store benchmark (SQLite ${info.location}); wall-clock figures on a shared machine are noisy`,
    );
    console.log(
      `simulated server: ${STATEMENTS} statements, ${TABLES} tables; default top N: ${config.topN.statements} statements, ${config.topN.tables} tables; interval ${INTERVAL_S} s (${CYCLES_PER_DAY} cycles/day)`,
    );
    console.log(`growth per target per day: ${mb(perDay)} (goal <= 2 MB) — after VACUUM, store file only`);
    console.log(
      `  rows for the day: ${rows.dbdiag_rollups} hours, ${rows.dbdiag_rollup_statements} statement-hours, ${rows.dbdiag_rollup_tables} table-hours, ${rows.dbdiag_statement_texts} statement texts, ${rows.dbdiag_findings} finding episodes, ${rows.dbdiag_finding_events} events, ${rows.dbdiag_setting_changes} setting changes`,
    );
    const mean = writeMs.reduce((a, b) => a + b, 0) / writeMs.length;
    console.log(
      `agent write time per cycle (one target; the current hour rewritten whole + findings + settings): mean ${mean.toFixed(2)} ms, p50 ${percentile(writeMs, 50).toFixed(2)} ms, p95 ${percentile(writeMs, 95).toFixed(2)} ms, max ${Math.max(...writeMs).toFixed(2)} ms`,
    );

    // 2. 30 days x 10 targets of hourly rollups, then the recorder on that store
    const longDir = join(dir, 'long');
    const long = await openStore({ dataDir: longDir });
    const template = await (async () => {
      const b = new HourlyRollupBuilder('t', {
        topStatements: config.topN.statements,
        topTables: config.topN.tables,
        saturationWarningRatio: 0.9,
        intervalSeconds: INTERVAL_S,
      });
      for (let cycle = 0; cycle < HOUR_MS / (INTERVAL_S * 1000); cycle++) {
        const at = T0 + cycle * INTERVAL_S * 1000;
        const { snapshot, rates } = snapshotAt('t', at, cycle);
        b.observe(snapshot, rates);
      }
      return b.current()!;
    })();
    const loadStarted = performance.now();
    const now = T0 + DAYS * 24 * HOUR_MS;
    for (let h = 0; h < DAYS * 24; h++) {
      const hour = hourOf(T0 + h * HOUR_MS);
      await long.saveRollups(
        Array.from({ length: TARGETS }, (_, t) => ({ ...template, target: `target-${t}`, hour })),
      );
    }
    const loadSeconds = (performance.now() - loadStarted) / 1000;
    const longInfo = await long.info();
    const recorderConfig = configSchema.parse({
      intervalSeconds: INTERVAL_S,
      retention: { rollups: DAYS + 30 },
    });
    const targets = Array.from({ length: TARGETS }, (_, t) => `target-${t}`);
    const recorder = await AgentRecorder.start(
      long,
      recorderConfig,
      targets,
      rootLogger.child({ component: 'bench' }),
    );
    // one hour of cycles for every target through the recorder (the agent's write path)
    const listeners = targets.map((name) => {
      const snapshotListeners: ((s: Snapshot) => void)[] = [];
      const runner = {
        spec: { name },
        rates: { cache: null, statements: null, tables: null } as Rates,
        on(event: string, listener: (x: never) => void) {
          if (event === 'snapshot') snapshotListeners.push(listener as (s: Snapshot) => void);
          return runner;
        },
      };
      recorder.attach(runner as never);
      return { runner, snapshotListeners };
    });
    for (let cycle = 0; cycle < HOUR_MS / (INTERVAL_S * 1000); cycle++) {
      const at = now + cycle * INTERVAL_S * 1000;
      for (const { runner, snapshotListeners } of listeners) {
        const { snapshot, rates } = snapshotAt(runner.spec.name, at, cycle);
        runner.rates = rates;
        for (const l of snapshotListeners) l(snapshot);
      }
      if (cycle % 20 === 0) await recorder.flush();
    }
    await recorder.flush();
    global.gc?.();
    const rss = process.memoryUsage().rss;
    const heap = process.memoryUsage().heapUsed;
    console.log(
      `30-day store: ${DAYS} days x ${TARGETS} targets of hourly rollups (${longInfo.tables.find((t) => t.table === 'dbdiag_rollups')?.rows} rollup rows) = ${mb(longInfo.sizeBytes ?? 0)} on disk, ${mb((longInfo.sizeBytes ?? 0) / (DAYS * TARGETS))} per target-day (loaded in ${loadSeconds.toFixed(1)} s)`,
    );
    console.log(
      `agent RSS after the recorder opened that store for ${TARGETS} targets and recorded one more hour of 15 s cycles: ${mb(rss)} (heap used ${mb(heap)}; RSS of this process before any store work: ${mb(rssAtStart)}); status ${JSON.stringify({ ok: recorder.status().ok, pending: recorder.status().pending })}`,
    );
    await recorder.close();
    await long.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
