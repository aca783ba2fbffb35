import { dialectOf } from '../../engines/dialects.js';
import type { CreateIndexAction } from '../../findings/actions.js';
import type { SandboxSession } from '../../sandbox/server.js';
import { SlowLogTracker } from '../../slowlog/follow.js';
import { type FaultContext, faultDrill } from '../fault-drill.js';
import { sleep } from '../sleep.js';

// A slow-query storm in the followed slow log: the server logs the statements that run at
// least SLOW_MS (PostgreSQL log_min_duration_statement, MariaDB slow_query_log +
// long_query_time) to the file the agent follows as the target's slow log; the normal workload
// (primary-key reads) stays under it. At t0 a new access path of the application starts
// hammering readings by sensor, a column without an index: every statement is a full scan,
// logged. Detected: slow-query on the slow log's class (and on the statement statistics), and
// the missing-index its statements explain; DbdiagSlowQueryRateSpike fires on
// dbdiag_slow_queries_total. Mitigated: the create-index action of the missing-index finding
// the slow-query finding names as related. Recovered: missing-index resolved, the requests
// clean, and the slow log's rate no longer a spike (SPIKE_* below) while the storm's statements
// go on (now fast, under the log's threshold); the slow-query finding of the log's class
// resolves once RECENT_SECONDS have passed without its statements in the log.

/** statements at least this long are logged (and the drill agent's slowQueryMeanSeconds) */
const SLOW_MS = 10;
/**
 * the drill agent's slowLogRecentSeconds: a slow-log class is judged on this much of the log
 * (the storm logs 12-50 statements/s, far over STORM_MIN_CALLS in it)
 */
const RECENT_SECONDS = 20;
/** rows in hundreds of thousands: 300,000 (small: a full scan ~20 ms on PostgreSQL, ~40 ms on MariaDB) or 1,000,000 */
const HUNDRED_THOUSANDS = { small: 3, default: 10 };
const SENSORS = 5000;
/** 64 MB: the 300,000 rows (~25 MB) and the index on sensor stay in memory */
const CACHE_BYTES = 64 * 1024 * 1024;
const STORM_SESSIONS = 4;
/** each storm session sends one statement this often (back to back while they are slow) */
const STORM_PERIOD_MS = 100;
/** the slow log's own rate measured this long before the storm */
const BASELINE_RATE_MS = 3000;
/** the slow-log rate measured over at least this window after the mitigation */
const RATE_WINDOW_MS = 5000;
/**
 * DbdiagSlowQueryRateSpike: rate(dbdiag_slow_queries_total[5m]) > 0.2 and > 3 x the hour
 * before. Recovered: no spike by the rule's own terms (at most 0.2/s, or 3 x the rate before),
 * or at most a tenth of the storm's rate: on a loaded machine the agent's own sampling (and the
 * runbook's Diagnosis it then studies) adds a few statements over SLOW_MS after t0.
 */
const SPIKE_FLOOR_PER_SECOND = 0.2;
const SPIKE_FACTOR = 3;
const STORM_SHARE = 0.1;
/**
 * slow-query is raised once the storm's class has this many statements in the log: the 60 the
 * rule's 5-minute rate needs to pass 0.2/s, with room for the counter's first scrape (Prometheus
 * does not count a new series' first value). So the drill's mitigation cannot win the race
 * against the alert by being faster than the rule can see a spike.
 */
const STORM_MIN_CALLS = 100;
/**
 * The storm offers 40 statements/s (4 sessions, one each 100 ms); a machine where the full scans
 * run at a quarter of that (10/s) logs STORM_MIN_CALLS in 10 s; then the missing-index EXPLAIN
 * evidence on the next two 2 s table samples. Measured on 2 shared cores at load 26-60: 8.4-17.5 s.
 */
const THRESHOLD_SECONDS = STORM_MIN_CALLS / 10 + 2 * 2;

/** The storm: sessions of the application's login running the un-indexed lookup back to back. */
async function startStorm(ctx: FaultContext): Promise<{ stop(): Promise<void>; statements(): number }> {
  let stopped = false;
  let statements = 0;
  const sessions: SandboxSession[] = [];
  for (let i = 0; i < STORM_SESSIONS; i++)
    sessions.push(await ctx.server.connect({ ...ctx.app, applicationName: 'dbdiag-drill-storm' }));
  const loops = sessions.map(async (session) => {
    while (!stopped) {
      const started = performance.now();
      try {
        await session.query(
          `SELECT count(*), max(reading) FROM readings WHERE sensor = ${Math.floor(Math.random() * SENSORS)}`,
        );
        statements++;
      } catch (error) {
        ctx.log.debug({ err: error }, 'drill storm statement failed');
      }
      await sleep(Math.max(0, STORM_PERIOD_MS - (performance.now() - started)));
    }
  });
  return {
    async stop() {
      stopped = true;
      await Promise.all(loops);
      await Promise.all(sessions.map((s) => s.close()));
    },
    statements: () => statements,
  };
}

export const slowQueryStorm = faultDrill({
  name: 'slow-query-storm',
  summary: `a storm of full scans (a lookup by an un-indexed column) in the followed slow log (statements >= ${SLOW_MS} ms logged); expects slow-query on the slow-log class + missing-index, DbdiagSlowQueryRateSpike; mitigation: the related missing-index's create-index action; recovered when the slow-log rate is no spike any more (<= 0.2/s, 3x the rate before, or a tenth of the storm's) with the storm still running`,
  engines: ['postgres', 'mysql'],
  findingKinds: ['slow-query', 'missing-index'],
  alertRules: ['DbdiagSlowQueryRateSpike'],
  thresholdSeconds: THRESHOLD_SECONDS,
  thresholds: {
    slowQueryMeanSeconds: SLOW_MS / 1000,
    slowQueryMinCalls: STORM_MIN_CALLS,
    slowLogRecentSeconds: RECENT_SECONDS,
    resolveAfterSeconds: 2,
  },
  // a cache that holds the table and its new index (InnoDB reads past its buffer pool with
  // O_DIRECT: the fixed lookups would miss it and stay over SLOW_MS on disk reads)
  server: { slowLog: true, slowLogMinMs: SLOW_MS, cacheBytes: CACHE_BYTES },
  // the slow log's file and threshold are server settings (PostgreSQL's log collector needs a start)
  needsOwnServer: true,
  followSlowLog: true,
  async setup(ctx) {
    await ctx.dba.query('CREATE TABLE digits (d INT PRIMARY KEY)');
    await ctx.dba.query('INSERT INTO digits (d) VALUES (0), (1), (2), (3), (4), (5), (6), (7), (8), (9)');
    await ctx.dba.query(
      'CREATE TABLE readings (id INT PRIMARY KEY, sensor INT NOT NULL, reading INT NOT NULL, note VARCHAR(40) NOT NULL)',
    );
    const id = 'a.d + 10 * b.d + 100 * c.d + 1000 * e.d + 10000 * f.d + 100000 * g.d';
    await ctx.dba.query(
      `INSERT INTO readings (id, sensor, reading, note) SELECT ${id}, (${id}) % ${SENSORS}, 7 * a.d + b.d, 'a reading of a sensor on the line' FROM digits a, digits b, digits c, digits e, digits f, digits g WHERE g.d < ${HUNDRED_THOUSANDS[ctx.scale]}`,
    );
    // statistics of the loaded table, as after any data load (the planner and the agent's table facts need them)
    await dialectOf(ctx.server.engine).applyActions(
      ctx.dba,
      [{ type: 'analyze', table: 'readings', lock: 'none', expectedSeconds: null, risk: '', rollback: null }],
      { lockTimeoutSeconds: 10 },
    );
    ctx.vars.rows = HUNDRED_THOUSANDS[ctx.scale] * 100_000;
  },
  workload: {
    workers: 2,
    pauseMs: 20,
    connectPerRequest: false,
    request: (session, ctx) =>
      session.query(
        `SELECT reading, note FROM readings WHERE id = ${Math.floor(Math.random() * (ctx.vars.rows ?? 1))}`,
      ),
  },
  async inject(ctx) {
    const path = ctx.server.slowLogPath;
    if (path === null) throw new Error('slow-query-storm: the sandbox server writes no slow log');
    // the drill's own reader of the log (the agent's follower and digest, from the end of the file)
    const tracker = new SlowLogTracker({ path, format: 'auto', pollMs: 500 });
    await tracker.start();
    const rate = (from: { at: number; events: number }, to: { at: number; events: number }) =>
      (to.events - from.events) / Math.max(0.001, (to.at - from.at) / 1000);
    const mark = () => ({ at: performance.now(), events: tracker.digest.events });
    let storm: Awaited<ReturnType<typeof startStorm>> | null = null;
    try {
      const before = mark();
      await sleep(BASELINE_RATE_MS);
      await tracker.poll();
      const baselineRate = rate(before, mark());
      storm = await startStorm(ctx);
      const started = mark();
      const marks: { at: number; events: number }[] = [];
      const running = storm;
      /** the storm's rate in the slow log at detection */
      let stormRate: number | null = null;
      return {
        description: `${STORM_SESSIONS} sessions look readings up by sensor (no index: a full scan of ${ctx.vars.rows} rows each); the slow log wrote ${baselineRate.toFixed(2)} statements/s before`,
        async onDetected() {
          await tracker.poll();
          stormRate = rate(started, mark());
          return `Slow log during the storm: ${stormRate.toFixed(1)} statements/s (before: ${baselineRate.toFixed(2)}/s); ${running.statements()} storm statements so far`;
        },
        async verify() {
          await tracker.poll();
          const now = mark();
          marks.push(now);
          // the rate over the last RATE_WINDOW_MS (at least), the storm still running
          const from = marks.findLast((m) => now.at - m.at >= RATE_WINDOW_MS);
          if (from === undefined) return 'slow-log rate: measuring';
          const current = rate(from, now);
          const limit = Math.max(
            SPIKE_FLOOR_PER_SECOND,
            SPIKE_FACTOR * baselineRate,
            STORM_SHARE * (stormRate ?? rate(started, now)),
          );
          if (current > limit)
            return `the slow log still grows ${current.toFixed(1)} statements/s (limit ${limit.toFixed(2)}/s; before the storm: ${baselineRate.toFixed(2)}/s); most: ${tracker
              .classes()
              .sort((a, b) => b.count - a.count)
              .slice(0, 3)
              .map(
                (c) =>
                  `${c.count} x ${c.fingerprint.slice(0, 80)} (mean ${((c.totalSeconds / c.count) * 1000).toFixed(1)} ms)`,
              )
              .join('; ')}`;
          ctx.print(
            `Slow log back to ${current.toFixed(2)} statements/s over the last ${((now.at - from.at) / 1000).toFixed(1)} s (limit ${limit.toFixed(2)}/s; before the storm ${baselineRate.toFixed(2)}/s, during it ${stormRate?.toFixed(1) ?? '?'}/s), the storm's ${running.statements()} statements going on`,
          );
          return null;
        },
        async release() {
          await running.stop().catch(() => undefined);
          await tracker.stop().catch(() => undefined);
        },
      };
    } catch (error) {
      await storm?.stop().catch(() => undefined);
      await tracker.stop().catch(() => undefined);
      throw error;
    }
  },
  async mitigate(_ctx, findings) {
    // the slow log's class names the missing-index that explains it (related); else those on readings
    const related = new Set(
      findings
        .filter((f) => f.kind === 'slow-query' && f.object.startsWith('slowlog:'))
        .flatMap((f) => f.related),
    );
    const missing = findings.filter((f) => f.kind === 'missing-index' && /\breadings\b/.test(f.object));
    const chosen = missing.filter((f) => related.has(f.id));
    return (chosen.length > 0 ? chosen : missing).flatMap((f) =>
      (f.fix?.actions ?? []).filter((a): a is CreateIndexAction => a.type === 'create-index'),
    );
  },
});
