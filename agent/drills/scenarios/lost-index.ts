import type { CreateIndexAction } from '../../findings/actions.js';
import { faultDrill, insertRows } from '../fault-drill.js';

// A "lost" index: the index the application's lookups need is made unusable under the load
// (MariaDB: ALTER INDEX ... IGNORED; MySQL: INVISIBLE; PostgreSQL, which has no invisible
// index: dropped, in the sandbox). Detected: missing-index on the table. Mitigated: its
// create-index action, online, through the engine's executor. Recovered: the finding resolved,
// the lookups fast again.

const ROWS = { small: 30_000, default: 200_000 };
const WORK_ORDERS = 3000;
/** not the name the proposal will take, so the new index never collides with the lost one */
const INDEX = 'history_lookup';
/** statement statistics and table statistics every 2 s, the index evidence, then two intervals */
const THRESHOLD_SECONDS = 10;

export const lostIndex = faultDrill({
  name: 'lost-index',
  summary:
    'the index the lookups need is made unusable (MariaDB IGNORED, PostgreSQL dropped in the sandbox) under load; expects missing-index; mitigation: its create-index action, online',
  engines: ['postgres', 'mysql'],
  findingKinds: ['missing-index'],
  alertRules: [],
  thresholdSeconds: THRESHOLD_SECONDS,
  thresholds: { resolveAfterSeconds: 2 },
  server: {},
  needsOwnServer: false,
  async setup(ctx) {
    await ctx.dba.query(
      'CREATE TABLE history (id INT PRIMARY KEY, work_order INT NOT NULL, note VARCHAR(60) NOT NULL)',
    );
    await insertRows(
      ctx.dba,
      'history',
      'id, work_order, note',
      ROWS[ctx.scale],
      (i) => `${i}, ${i % WORK_ORDERS}, 'event ${i} of a work order on the shop floor'`,
    );
    await ctx.dba.query(`CREATE INDEX ${INDEX} ON history (work_order)`);
  },
  workload: {
    workers: 2,
    pauseMs: 20,
    connectPerRequest: false,
    request: (session) =>
      session.query(
        `SELECT count(*), max(note) FROM history WHERE work_order = ${Math.floor(Math.random() * WORK_ORDERS)}`,
      ),
  },
  async inject(ctx) {
    await ctx.engine.faults.loseIndex(ctx.dba, 'history', INDEX);
    return {
      description: `index ${INDEX} on history (work_order) made unusable while the lookups go on`,
      release: async () => undefined,
    };
  },
  async mitigate(_ctx, findings) {
    const missing = findings.find((f) => f.kind === 'missing-index');
    return (missing?.fix?.actions ?? []).filter((a): a is CreateIndexAction => a.type === 'create-index');
  },
});
