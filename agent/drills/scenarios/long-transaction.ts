import { holdSnapshot } from '../../sandbox/faults.js';
import { faultDrill, insertRows, sessionsListedBy, terminateActions } from '../fault-drill.js';

// A long-running transaction holding back vacuum (PostgreSQL) / purge (InnoDB): a transaction
// keeps its snapshot while the application updates the same rows; the row versions it may
// still see cannot be removed (dead rows a VACUUM must keep; the InnoDB history list grows).
// Detected: long-running-transaction. Mitigated: its terminate-session action on the oldest
// transaction its Diagnosis lists. Recovered: the finding resolved, and the backlog purged.

const ROWS = { small: 500, default: 5000 };
const THRESHOLD_SECONDS = 6;
/** recovered: the backlog at most this share of what it was at detection */
const BACKLOG_LEFT = 0.25;

export const longTransaction = faultDrill({
  name: 'long-transaction',
  summary:
    'a transaction keeps its snapshot while rows are updated: dead rows / the undo history pile up; expects long-running-transaction; mitigation: terminate the oldest transaction',
  engines: ['postgres', 'mysql'],
  findingKinds: ['long-running-transaction'],
  alertRules: ['DbdiagLongRunningTransaction'],
  thresholdSeconds: THRESHOLD_SECONDS,
  thresholds: { longTransactionSeconds: THRESHOLD_SECONDS, resolveAfterSeconds: 2 },
  server: {},
  needsOwnServer: false,
  async setup(ctx) {
    await ctx.dba.query('CREATE TABLE counters (id INT PRIMARY KEY, hits INT NOT NULL)');
    await insertRows(ctx.dba, 'counters', 'id, hits', ROWS[ctx.scale], (i) => `${i}, 0`);
  },
  workload: {
    workers: 2,
    pauseMs: 10,
    connectPerRequest: false,
    request: (session) =>
      session.query(`UPDATE counters SET hits = hits + 1 WHERE id = ${1 + Math.floor(Math.random() * 200)}`),
  },
  async inject(ctx) {
    const holder = await holdSnapshot(ctx.server, 'counters', ctx.app);
    let atDetection = 0;
    return {
      description: 'a transaction keeps its snapshot of counters open while the application updates it',
      async onDetected() {
        atDetection = await ctx.engine.faults.purgeBacklog(ctx.dba, 'counters');
        return `Row versions kept from purge at detection: ${atDetection}`;
      },
      async verify() {
        const now = await ctx.engine.faults.purgeBacklog(ctx.dba, 'counters');
        if (atDetection < 100) return `the fault kept only ${atDetection} row versions: nothing piled up`;
        return now <= atDetection * BACKLOG_LEFT
          ? null
          : `row versions kept from purge: ${now} (at detection ${atDetection})`;
      },
      release: () => holder.release(),
    };
  },
  async mitigate(ctx, findings) {
    const long = findings.find((f) => f.kind === 'long-running-transaction');
    const [oldest] = await sessionsListedBy(ctx.dba, long);
    return terminateActions(long, oldest === undefined ? [] : [oldest]);
  },
});
