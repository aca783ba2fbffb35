import { faultDrill, insertRows } from '../fault-drill.js';

// Cache thrash: the buffer cache (shared_buffers / innodb_buffer_pool_size) holds the hot part
// of a table; then the workload's reads spread over the whole table, a working set several
// times the cache, and most block requests go to disk. Detected: low-cache-hit. Mitigated:
// its set-setting action on the buffer cache (PostgreSQL: shared_buffers, applied by the
// restart the action says it needs; MariaDB: innodb_buffer_pool_size, resized online).
// Recovered: the finding resolved, the requests clean again.

/** 8 MB: MariaDB's smallest buffer pool for 16 kB pages is 6 MB */
const CACHE_BYTES = 8 * 1024 * 1024;
/** rows of ~250 bytes: ~12-14 MB (small) or ~50 MB, more than the 8 MB cache */
const ROWS = { small: 48_000, default: 200_000 };
/** the hot part the workload reads before the fault: well inside the cache */
const HOT_ROWS = 8000;
/** rows per request: a range read, so the whole table is touched (and re-cached) quickly */
const RANGE = 1000;
const SAMPLES = 2;
const PAD = 'x'.repeat(200);

export const cacheThrash = faultDrill({
  name: 'cache-thrash',
  summary:
    'the reads spread from a hot range over a table several times the buffer cache; expects low-cache-hit; mitigation: its buffer-cache size action (restart where the engine needs one)',
  engines: ['postgres', 'mysql'],
  findingKinds: ['low-cache-hit'],
  alertRules: ['DbdiagCacheHitRatioLow'],
  // cacheHitSamples judged intervals of 2 s
  thresholdSeconds: SAMPLES * 2,
  thresholds: {
    cacheHitSamples: SAMPLES,
    cacheMinBlockRequests: 200,
    resolveAfterSeconds: 2,
  },
  server: { cacheBytes: CACHE_BYTES },
  // its cache is small on purpose, and the mitigation may restart the server
  needsOwnServer: true,
  async setup(ctx) {
    await ctx.dba.query(
      'CREATE TABLE parts (id INT PRIMARY KEY, grp INT NOT NULL, pad VARCHAR(250) NOT NULL)',
    );
    await insertRows(
      ctx.dba,
      'parts',
      'id, grp, pad',
      ROWS[ctx.scale],
      (i) => `${i}, ${i % 50}, '${PAD}'`,
      500,
    );
    ctx.vars.span = HOT_ROWS;
  },
  workload: {
    workers: 2,
    pauseMs: 5,
    connectPerRequest: false,
    request(session, ctx) {
      const from = 1 + Math.floor(Math.random() * Math.max(1, (ctx.vars.span ?? HOT_ROWS) - RANGE));
      return session.query(
        `SELECT count(*), max(grp) FROM parts WHERE id BETWEEN ${from} AND ${from + RANGE}`,
      );
    },
  },
  async inject(ctx) {
    ctx.vars.span = ROWS[ctx.scale];
    return {
      description: `the reads spread over all ${ROWS[ctx.scale]} rows of parts (the cache holds ${CACHE_BYTES / 1048576} MB)`,
      release: async () => undefined,
    };
  },
  async mitigate(_ctx, findings) {
    const low = findings.find((f) => f.kind === 'low-cache-hit');
    return (
      low?.fix?.actions.filter((a) => a.type === 'set-setting' && a.setting === 'buffer-cache-bytes') ?? []
    );
  },
});
