import { z } from 'zod';

// Every advisor threshold lives here, with where its number comes from. Advisors read these
// from the frozen config; a config file may override any of them under `thresholds:`.
// Durations are in seconds, sizes in bytes, ratios in 0..1.
/** Pairs whose warning level must not be above their critical level. */
const WARNING_BELOW_CRITICAL = [
  ['saturationWarningRatio', 'saturationCriticalRatio'],
  ['idleInTransactionSeconds', 'idleInTransactionCriticalSeconds'],
  ['longTransactionSeconds', 'longTransactionCriticalSeconds'],
  ['replicaLagWarningSeconds', 'replicaLagCriticalSeconds'],
  ['inactiveSlotWarningBytes', 'inactiveSlotCriticalBytes'],
] as const;

export const thresholdsSchema = z
  .object({
    // --- findings lifecycle ---
    resolveAfterSeconds: z
      .number()
      .min(0)
      .default(60)
      .describe('a finding resolves after its condition has been clear this long, in seconds'),

    // --- pool-saturation ---
    saturationWarningRatio: z
      .number()
      .min(0)
      .max(1)
      .default(0.9)
      .describe(
        'used / (max - reserved) at or above this for the window: warning (pgwatch and pghero warn near 90%)',
      ),
    saturationCriticalRatio: z
      .number()
      .min(0)
      .max(1)
      .default(1.0)
      .describe('at or above this: critical (no slot left for a new application connection)'),
    saturationWindowSeconds: z
      .number()
      .min(0)
      .default(30)
      .describe(
        'how long saturation must hold before a finding is raised, in seconds (two default 15 s cycles)',
      ),
    saturationWindowShare: z
      .number()
      .min(0)
      .max(1)
      .default(0.8)
      .describe(
        "share of the window's samples that must be at or above a level (warning / critical ratio) for that severity, the latest sample at or above the warning ratio. 0.8: a real incident flickers (a connection closes and is re-opened between two samples), so one dip in five does not downgrade it, while one spike in a calm window stays far below",
      ),
    connectionHeadroomFactor: z
      .number()
      .min(1)
      .default(1.5)
      .describe("stop-gap max_connections = observed peak x this (the plant's 100 -> 150)"),
    heldToNeededRatio: z
      .number()
      .min(1)
      .default(3)
      .describe(
        "connections held / concurrency needed (Little's law) above this: the pool is oversized or leaking, not short",
      ),

    // --- low-cache-hit ---
    cacheHitRatioMin: z
      .number()
      .min(0)
      .max(1)
      .default(0.99)
      .describe('interval buffer-cache hit ratio under this is low (OLTP rule of thumb: 99%)'),
    cacheHitSamples: z
      .number()
      .int()
      .min(1)
      .default(3)
      .describe('consecutive low samples before low-cache-hit is raised'),
    cacheMinBlockRequests: z
      .number()
      .min(0)
      .default(1000)
      .describe(
        "intervals with fewer block requests than this are not judged (an idle server's ratio is noise)",
      ),
    cacheMaxHostMemoryShare: z
      .number()
      .min(0)
      .max(1)
      .default(0.25)
      .describe(
        'share of host memory the cache may be given (PostgreSQL docs: 25% for shared_buffers; InnoDB: 50-75%)',
      ),

    // --- missing-index ---
    indexMinTableRows: z
      .number()
      .min(0)
      .default(5000)
      .describe(
        'tables with fewer (estimated) rows are never given an index: a few dozen 8 kB pages stay in cache and scan in microseconds, so the index would only add write cost',
      ),
    indexMaxRowShare: z
      .number()
      .min(0)
      .max(1)
      .default(0.05)
      .describe(
        'a column whose one value matches more than this share of the rows is too unselective to lead an index',
      ),
    indexExtendMinRows: z
      .number()
      .min(0)
      .default(20)
      .describe('composite candidates grow only while the prefix still matches more rows than this per key'),
    indexMinCostReduction: z
      .number()
      .min(0)
      .max(1)
      .default(0.5)
      .describe(
        'HypoPG proof: keep a candidate only if the targeted plan cost falls by at least this share (issue 5: half)',
      ),
    indexPrefixTolerance: z
      .number()
      .min(0)
      .max(1)
      .default(0.1)
      .describe(
        "a shorter prefix of the candidate is preferred when its cost is within this share of the full candidate's",
      ),
    indexCoverMinRows: z
      .number()
      .min(0)
      .default(500)
      .describe(
        'a covering index (INCLUDE on PostgreSQL, trailing key columns on InnoDB) is proposed when one equality lookup matches at least this many rows (planner statistics): each is a table visit the index-only scan avoids (Use The Index, Luke: "Index-Only Scan"). 500 was chosen on the tuning half of the advisor cases',
      ),
    indexCoverMaxColumns: z
      .number()
      .int()
      .min(0)
      .default(3)
      .describe(
        'at most this many payload columns are carried for a covering index (0: never propose covering)',
      ),
    indexCoverMaxWidthBytes: z
      .number()
      .min(0)
      .default(16)
      .describe(
        'payload columns wider than this on average (bytes) are not carried: a wide payload makes every leaf page hold fewer keys',
      ),
    indexMaxFetchShare: z
      .number()
      .min(0)
      .max(1)
      .default(0.1)
      .describe(
        'a statement that returns more than this share of its table is read faster in full than through an index, one page visit per row (the common 5-10% rule; MySQL manual 8.3.1: large fractions are scanned). The share is the planner estimate: for an open range on a parameter that is its default third',
      ),
    indexMaxWritesPerRead: z
      .number()
      .min(0)
      .default(100)
      .describe(
        'an index whose columns are rewritten more than this many times per execution of the statements it serves costs more in maintenance than it saves (Use The Index, Luke: "Insert/Delete/Update")',
      ),
    indexMaxStatements: z
      .number()
      .int()
      .min(1)
      .default(100)
      .describe(
        'statements considered per cycle, most expensive first (cumulative time); a database shared by many applications has many, and one past the cut is never advised on',
      ),
    indexMinCalls: z
      .number()
      .min(0)
      .default(1)
      .describe(
        'statements with fewer calls than this are not considered (1: a heavy report run once counts too; the proof guards against noise)',
      ),
    verifyCacheSeconds: z
      .number()
      .min(0)
      .default(900)
      .describe(
        "verification results (EXPLAIN / HypoPG) are reused this long, in seconds, unless the table's indexes change",
      ),

    // --- fk-without-index ---
    fkMinTableRows: z
      .number()
      .min(0)
      .default(10_000)
      .describe(
        'a referencing table with at least this many rows needs an index on its foreign key (deletes/updates of the parent scan it)',
      ),

    // --- unused-index / duplicate-index ---
    unusedIndexMinStatsAgeSeconds: z
      .number()
      .min(0)
      .default(14 * 24 * 3600)
      .describe(
        'index statistics must cover at least this long before an index is called unused (two weeks: weekly jobs count)',
      ),
    unusedIndexMinBytes: z
      .number()
      .min(0)
      .default(1024 * 1024)
      .describe('indexes smaller than this are not worth a finding (bytes)'),

    // --- stale-statistics ---
    staleStatsModifiedRatio: z
      .number()
      .min(0)
      .default(0.2)
      .describe(
        "rows modified since the last ANALYZE / live rows above this (2x autovacuum_analyze_scale_factor's default 0.1)",
      ),
    staleStatsMinRows: z.number().min(0).default(1000).describe('tables with fewer rows are not judged'),

    // --- table-bloat ---
    bloatDeadRatio: z
      .number()
      .min(0)
      .max(1)
      .default(0.4)
      .describe(
        "dead rows / (live + dead) at or above this (2x autovacuum_vacuum_scale_factor's default 0.2)",
      ),
    bloatMinDeadRows: z
      .number()
      .min(0)
      .default(10_000)
      .describe('minimum dead rows before bloat is worth a finding'),
    bloatFreeRatio: z
      .number()
      .min(0)
      .max(1)
      .default(0.3)
      .describe('MySQL: free space / (data + free) at or above this'),
    bloatMinFreeBytes: z
      .number()
      .min(0)
      .default(32 * 1024 * 1024)
      .describe(
        'MySQL: minimum free bytes (InnoDB reports DATA_FREE in whole extents; small tables always show some)',
      ),

    // --- transactions ---
    idleInTransactionSeconds: z
      .number()
      .min(0)
      .default(60)
      .describe(
        'a session idle in transaction for this long holds locks and blocks vacuum (pgwatch warns at minutes)',
      ),
    idleInTransactionCriticalSeconds: z
      .number()
      .min(0)
      .default(900)
      .describe('critical when idle in transaction this long'),
    longTransactionSeconds: z
      .number()
      .min(0)
      .default(300)
      .describe('a transaction open this long blocks vacuum / purge and holds its locks'),
    longTransactionCriticalSeconds: z
      .number()
      .min(0)
      .default(3600)
      .describe('critical when a transaction is open this long'),

    // --- slow-query ---
    slowQueryMeanSeconds: z
      .number()
      .min(0)
      .default(1)
      .describe("mean execution time at or above this (long_query_time's common production value)"),
    slowQueryTimeShare: z
      .number()
      .min(0)
      .max(1)
      .default(0.5)
      .describe(
        'a statement that takes this share of all statement time is worth a look even when each call is fast',
      ),
    slowQueryMinTotalSeconds: z
      .number()
      .min(0)
      .default(10)
      .describe('slowQueryTimeShare counts only statements with at least this much total time, in seconds'),
    slowQueryMinCalls: z
      .number()
      .int()
      .min(1)
      .default(2)
      .describe(
        'statements called fewer times are one-offs (a bulk load, a report run once), not slow queries',
      ),
    slowQueryMax: z.number().int().min(1).default(10).describe('statements reported at most'),
    slowLogRecentSeconds: z
      .number()
      .min(1)
      .default(3600)
      .describe(
        "a slow-log class is judged on the statements logged in this many seconds before the latest sample, so its slow-query finding resolves once they stop (the agent's history must reach that far back: historySize x intervalSeconds)",
      ),

    // --- replication: replica-lag, replication-broken, inactive-slot, read-split-candidate ---
    replicaLagWarningSeconds: z
      .number()
      .min(0)
      .default(30)
      .describe(
        'replay trailing the primary by this long for the whole window: warning (postgres_exporter and pgwatch dashboards flag tens of seconds; reads routed to the replica see data this old)',
      ),
    replicaLagCriticalSeconds: z
      .number()
      .min(0)
      .default(300)
      .describe(
        'critical at this lag, or at the warning lag while it still grows (the replica is not catching up)',
      ),
    replicaLagWindowSeconds: z
      .number()
      .min(0)
      .default(60)
      .describe(
        'how long lag (or a replica receiving nothing) must hold before a finding, in seconds (four default 15 s cycles: a burst of writes the replica absorbs is not a finding)',
      ),
    replicaLagGrowthRatio: z
      .number()
      .min(0)
      .max(1)
      .default(0.5)
      .describe(
        'lag that grew by at least this share of the window (seconds of lag per second of wall time) is growing: replay is stalled or slower than the writes (1.0: stopped)',
      ),
    inactiveSlotWarningBytes: z
      .number()
      .min(0)
      .default(1024 ** 3)
      .describe(
        'an inactive replication slot retaining this much WAL: warning (1 GiB: 64 WAL segments, far above a reconnecting replica)',
      ),
    inactiveSlotCriticalBytes: z
      .number()
      .min(0)
      .default(10 * 1024 ** 3)
      .describe('critical at this much WAL retained, or when the slot is invalidated within a day'),
    readSplitMinReadShare: z
      .number()
      .min(0)
      .max(1)
      .default(0.8)
      .describe(
        "a table is read-heavy when reads are at least this share of the statement calls on it (reads + writes), and a read statement is named only when every table it reads is (the issue's 90%-reads workload clears it; an 80/20 OLTP table does too)",
      ),
    readSplitMinTimeShare: z
      .number()
      .min(0)
      .max(1)
      .default(0.05)
      .describe(
        "a read statement must cost at least this share of the primary's statement time to be worth moving",
      ),
    readSplitMax: z.number().int().min(1).default(10).describe('read-split statements named at most'),

    // --- audit-posture ---
    auditRetentionDays: z
      .number()
      .min(0)
      .default(180)
      .describe(
        "days the audit trail must be kept: below it, or when the server's settings cannot show it, an info finding (the plant's preventive plan: key operations audited, logs kept 180 days)",
      ),
  })
  .superRefine((t, ctx) => {
    for (const [warning, critical] of WARNING_BELOW_CRITICAL) {
      if (t[warning] > t[critical]) {
        ctx.addIssue({
          code: 'custom',
          path: [warning],
          message: `${warning} (${t[warning]}) must not be above ${critical} (${t[critical]})`,
        });
      }
    }
  });

export type Thresholds = z.infer<typeof thresholdsSchema>;

/** The defaults, for tests and tools that run without a config file. */
export const DEFAULT_THRESHOLDS: Thresholds = thresholdsSchema.parse({});
