import { idleInTransaction } from '../../sandbox/faults.js';
import { faultDrill, insertRows, sessionsListedBy, terminateActions } from '../fault-drill.js';

// A lock pile-up: a transaction that read the table stays open; a schema change (ALTER TABLE)
// waits for it, and every statement on the table queues behind the waiting ALTER. Detected:
// long-running-transaction and idle-in-transaction (the holder). Mitigated: the
// long-running-transaction finding's terminate-session action on the oldest transaction its
// Diagnosis lists. Recovered: the ALTER completes, the queue drains, the findings resolve.

const ROWS = { small: 2000, default: 20_000 };
const THRESHOLD_SECONDS = 6;

export const lockPileup = faultDrill({
  name: 'lock-pileup',
  summary:
    'a long transaction holds a lock an ALTER TABLE waits for, every statement on the table queues behind it; expects long-running-transaction + idle-in-transaction; mitigation: terminate the oldest transaction',
  engines: ['postgres', 'mysql'],
  findingKinds: ['long-running-transaction', 'idle-in-transaction'],
  alertRules: ['DbdiagLongRunningTransaction', 'DbdiagIdleInTransaction'],
  thresholdSeconds: THRESHOLD_SECONDS,
  thresholds: {
    longTransactionSeconds: THRESHOLD_SECONDS,
    idleInTransactionSeconds: THRESHOLD_SECONDS,
    resolveAfterSeconds: 2,
  },
  server: {},
  needsOwnServer: false,
  async setup(ctx) {
    await ctx.dba.query('CREATE TABLE stock (id INT PRIMARY KEY, item INT NOT NULL, qty INT NOT NULL)');
    await insertRows(
      ctx.dba,
      'stock',
      'id, item, qty',
      ROWS[ctx.scale],
      (i) => `${i}, ${i % 500}, ${i % 70}`,
    );
  },
  workload: {
    workers: 3,
    pauseMs: 50,
    connectPerRequest: false,
    request: (session) =>
      session.query(`SELECT qty FROM stock WHERE id = ${1 + Math.floor(Math.random() * 1000)}`),
  },
  async inject(ctx) {
    const holder = await idleInTransaction(ctx.server, 1, { ...ctx.app, table: 'stock' });
    const ddl = await ctx.server.connect({ database: ctx.database, applicationName: 'dbdiag-drill-ddl' });
    let altered = false;
    let failed: string | null = null;
    const alter = ddl
      .query('ALTER TABLE stock ADD COLUMN note VARCHAR(20)')
      .then(() => {
        altered = true;
      })
      .catch((error: unknown) => {
        failed = error instanceof Error ? error.message : String(error);
      });
    return {
      description:
        'a transaction that read stock stays open; ALTER TABLE stock waits for it, reads of stock queue behind the ALTER',
      async verify() {
        if (failed !== null) return `the ALTER TABLE failed: ${failed}`;
        return altered ? null : 'the ALTER TABLE still waits';
      },
      async release() {
        await holder.release();
        // the ALTER goes through once the holder is gone (or fails when the server is gone)
        await Promise.race([alter, new Promise((r) => setTimeout(r, 10_000))]);
        await ddl.close();
      },
    };
  },
  async mitigate(ctx, findings) {
    const long = findings.find((f) => f.kind === 'long-running-transaction');
    const [oldest] = await sessionsListedBy(ctx.dba, long);
    return terminateActions(long, oldest === undefined ? [] : [oldest]);
  },
});
