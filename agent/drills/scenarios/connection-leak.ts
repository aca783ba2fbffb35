import { leakConnections } from '../../sandbox/faults.js';
import { faultDrill, insertRows, sessionsListedBy, terminateActions } from '../fault-drill.js';

// A connection leak: the application leaves sessions idle in a transaction (a forgotten COMMIT
// on an error path) until the server refuses new connections. Detected: idle-in-transaction
// and pool-saturation. Mitigated: the idle-in-transaction finding's terminate-session action,
// for each session its Diagnosis lists. Recovered: both findings resolved, the application's
// requests (a connection each, as a pool that lost its slots) succeed again.

const ROWS = { small: 2000, default: 20_000 };
const THRESHOLD_SECONDS = 6;

export const connectionLeak = faultDrill({
  name: 'connection-leak',
  summary:
    'application sessions left idle in a transaction until the server is full; expects idle-in-transaction + pool-saturation; mitigation: terminate the listed sessions',
  engines: ['postgres', 'mysql'],
  findingKinds: ['idle-in-transaction', 'pool-saturation'],
  alertRules: [
    'DbdiagIdleInTransaction',
    'DbdiagConnectionSaturationWarning',
    'DbdiagConnectionSaturationCritical',
  ],
  thresholdSeconds: THRESHOLD_SECONDS,
  thresholds: {
    idleInTransactionSeconds: THRESHOLD_SECONDS,
    saturationWindowSeconds: THRESHOLD_SECONDS,
    resolveAfterSeconds: 2,
  },
  // a small server fills quickly: 20 connections (PostgreSQL keeps 3 of them for superusers)
  server: { maxConnections: 20 },
  needsOwnServer: false,
  async setup(ctx) {
    await ctx.dba.query(
      'CREATE TABLE orders (id INT PRIMARY KEY, customer INT NOT NULL, amount INT NOT NULL)',
    );
    await insertRows(
      ctx.dba,
      'orders',
      'id, customer, amount',
      ROWS[ctx.scale],
      (i) => `${i}, ${i % 97}, ${i % 1000}`,
    );
  },
  workload: {
    workers: 2,
    pauseMs: 100,
    connectPerRequest: true,
    request: (session) =>
      session.query(`SELECT amount FROM orders WHERE id = ${1 + Math.floor(Math.random() * 1000)}`),
  },
  async inject(ctx) {
    const leak = await leakConnections(ctx.server, { ...ctx.app, table: 'orders' });
    return {
      description: `${leak.sessions.length} application sessions left idle in a transaction${leak.refused ? ': the server refuses new connections' : ''}`,
      release: () => leak.release(),
    };
  },
  async mitigate(ctx, findings) {
    const idle = findings.find((f) => f.kind === 'idle-in-transaction');
    return terminateActions(idle, await sessionsListedBy(ctx.dba, idle));
  },
});
