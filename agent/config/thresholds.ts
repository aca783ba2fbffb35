import { z } from 'zod';

// Every advisor threshold lives here, with where its number comes from. Advisors read these
// from the frozen config; a config file may override any of them under `thresholds:`.
// Durations are in seconds, sizes in bytes, ratios in 0..1.
export const thresholdsSchema = z
  .object({
    // --- findings lifecycle ---
    /** a finding resolves after its condition has been clear this long, in seconds */
    resolveAfterSeconds: z.number().min(0).default(60),

    // --- pool-saturation ---
    /** used / (max - reserved) at or above this for the window: warning (pgwatch and pghero warn near 90%) */
    saturationWarningRatio: z.number().min(0).max(2).default(0.9),
    /** at or above this: critical (no slot left for a new application connection) */
    saturationCriticalRatio: z.number().min(0).max(2).default(1.0),
    /** how long saturation must hold before a finding is raised, in seconds (two default 15 s cycles) */
    saturationWindowSeconds: z.number().min(0).default(30),
    /**
     * share of the window's samples that must be at or above a level (warning / critical ratio)
     * for that severity, the latest sample at or above the warning ratio. 0.8: a real
     * incident flickers (a connection closes and is re-opened between two samples), so one
     * dip in five does not downgrade it, while one spike in a calm window stays far below
     */
    saturationWindowShare: z.number().min(0).max(1).default(0.8),
    /** stop-gap max_connections = observed peak x this (the plant's 100 -> 150) */
    connectionHeadroomFactor: z.number().min(1).default(1.5),
    /** connections held / concurrency needed (Little's law) above this: the pool is oversized or leaking, not short */
    heldToNeededRatio: z.number().min(1).default(3),

    // --- low-cache-hit ---
    /** interval buffer-cache hit ratio under this is low (OLTP rule of thumb: 99%) */
    cacheHitRatioMin: z.number().min(0).max(1).default(0.99),
    /** consecutive low samples before low-cache-hit is raised */
    cacheHitSamples: z.number().int().min(1).default(3),
    /** intervals with fewer block requests than this are not judged (an idle server's ratio is noise) */
    cacheMinBlockRequests: z.number().min(0).default(1000),
    /** share of host memory the cache may be given (PostgreSQL docs: 25% for shared_buffers; InnoDB: 50-75%) */
    cacheMaxHostMemoryShare: z.number().min(0).max(1).default(0.25),

    // --- missing-index ---
    /**
     * tables with fewer (estimated) rows are never given an index: a few dozen 8 kB pages stay
     * in cache and scan in microseconds, so the index would only add write cost
     */
    indexMinTableRows: z.number().min(0).default(5000),
    /** a column whose one value matches more than this share of the rows is too unselective to lead an index */
    indexMaxRowShare: z.number().min(0).max(1).default(0.05),
    /** composite candidates grow only while the prefix still matches more rows than this per key */
    indexExtendMinRows: z.number().min(0).default(20),
    /** HypoPG proof: keep a candidate only if the targeted plan cost falls by at least this share (issue 5: half) */
    indexMinCostReduction: z.number().min(0).max(1).default(0.5),
    /** a shorter prefix of the candidate is preferred when its cost is within this share of the full candidate's */
    indexPrefixTolerance: z.number().min(0).max(1).default(0.1),
    /** statements considered per cycle, most expensive first (cumulative time); a database shared by many applications has many, and one past the cut is never advised on */
    indexMaxStatements: z.number().int().min(1).default(100),
    /** statements with fewer calls than this are not considered (1: a heavy report run once counts too; the proof guards against noise) */
    indexMinCalls: z.number().min(0).default(1),
    /** verification results (EXPLAIN / HypoPG) are reused this long, in seconds, unless the table's indexes change */
    verifyCacheSeconds: z.number().min(0).default(900),

    // --- fk-without-index ---
    /** a referencing table with at least this many rows needs an index on its foreign key (deletes/updates of the parent scan it) */
    fkMinTableRows: z.number().min(0).default(10_000),

    // --- unused-index / duplicate-index ---
    /** index statistics must cover at least this long before an index is called unused (two weeks: weekly jobs count) */
    unusedIndexMinStatsAgeSeconds: z
      .number()
      .min(0)
      .default(14 * 24 * 3600),
    /** indexes smaller than this are not worth a finding (bytes) */
    unusedIndexMinBytes: z
      .number()
      .min(0)
      .default(1024 * 1024),

    // --- stale-statistics ---
    /** rows modified since the last ANALYZE / live rows above this (2x autovacuum_analyze_scale_factor's default 0.1) */
    staleStatsModifiedRatio: z.number().min(0).default(0.2),
    /** tables with fewer rows are not judged */
    staleStatsMinRows: z.number().min(0).default(1000),

    // --- table-bloat ---
    /** dead rows / (live + dead) at or above this (2x autovacuum_vacuum_scale_factor's default 0.2) */
    bloatDeadRatio: z.number().min(0).max(1).default(0.4),
    /** minimum dead rows before bloat is worth a finding */
    bloatMinDeadRows: z.number().min(0).default(10_000),
    /** MySQL: free space / (data + free) at or above this */
    bloatFreeRatio: z.number().min(0).max(1).default(0.3),
    /** MySQL: minimum free bytes (InnoDB reports DATA_FREE in whole extents; small tables always show some) */
    bloatMinFreeBytes: z
      .number()
      .min(0)
      .default(32 * 1024 * 1024),

    // --- transactions ---
    /** a session idle in transaction for this long holds locks and blocks vacuum (pgwatch warns at minutes) */
    idleInTransactionSeconds: z.number().min(0).default(60),
    /** critical when idle in transaction this long */
    idleInTransactionCriticalSeconds: z.number().min(0).default(900),
    /** a transaction open this long blocks vacuum / purge and holds its locks */
    longTransactionSeconds: z.number().min(0).default(300),
    longTransactionCriticalSeconds: z.number().min(0).default(3600),

    // --- slow-query ---
    /** mean execution time at or above this (long_query_time's common production value) */
    slowQueryMeanSeconds: z.number().min(0).default(1),
    /** a statement that takes this share of all statement time is worth a look even when each call is fast */
    slowQueryTimeShare: z.number().min(0).max(1).default(0.5),
    /** ... but only with at least this much total time, in seconds */
    slowQueryMinTotalSeconds: z.number().min(0).default(10),
    /** statements called fewer times are one-offs (a bulk load, a report run once), not slow queries */
    slowQueryMinCalls: z.number().int().min(1).default(2),
    /** statements reported at most */
    slowQueryMax: z.number().int().min(1).default(10),
  })
  .passthrough();

export type Thresholds = z.infer<typeof thresholdsSchema>;

/** The defaults, for tests and tools that run without a config file. */
export const DEFAULT_THRESHOLDS: Thresholds = thresholdsSchema.parse({});
