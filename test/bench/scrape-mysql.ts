import mysql from 'mysql2/promise';
import { loadConfig } from '../../agent/config/load.js';
import { connectMysql } from '../../agent/engines/mysql/driver.js';
import { mysqlGrants } from '../../agent/engines/mysql/grants.js';
import { rootLogger } from '../../agent/log.js';
import { startAgent } from '../../agent/runtime/agent.js';
import { runnerOptionsFor } from '../../agent/runtime/runner-options.js';
import type { ProbeName } from '../../agent/snapshot/snapshot.js';
import { freePort } from '../support/free-port.js';
import { startLocalMariadb } from '../support/mysql.js';
import {
  amortize,
  fmt,
  measureScrapes,
  printProbeCosts,
  printScrape,
  startProcess,
} from './scrape-common.js';

// npm run bench:scrape:mysql — MariaDB with 10,000 tables: dbdiag's /metrics latency and series
// count, the server time of one sampling cycle amortized over the probes' schedules, and
// prometheus-mysqld-exporter (when installed) with its table and digest collectors, then with
// the table/index I/O collectors too, in the same run. Server time is read from
// performance_schema.events_statements_summary_by_user_by_event_name for each account (the
// agent and the exporter connect as their own users), as the difference before/after the
// runs (TRUNCATE does not reset connected threads), so it is what the server spent, not what
// the client waited. Figures are printed, never asserted.
//
// The agent runs as `dbdiag agent` runs it: advisors on, as the account `dbdiag grants`
// creates. Between its cycles the incident's statements (large un-indexed history tables) run
// as the application; the advisors' verification work (EXPLAIN, catalog facts) is timed apart
// from the probes, from performance_schema.events_statements_history_long of the agent's own
// threads (SQL text classified by its dbdiag marker or leading EXPLAIN).

const TABLES = Number(process.env.BENCH_TABLES ?? 10_000);
const SCRAPES = 50;
const EXPORTER_SCRAPES = Number(process.env.BENCH_EXPORTER_SCRAPES ?? 5);
const PROBE_RUNS = 5;
const EXPORTER = '/usr/bin/prometheus-mysqld-exporter';

const log = rootLogger.child({ component: 'bench' });
const out = (line: string): void => void process.stdout.write(`${line}\n`);

const INCIDENT_ROWS = 200_000;
const INCIDENT_QUERIES = [
  'SELECT COUNT(*) FROM bench.work_order_history_details WHERE work_order_id = ?',
  'SELECT h.note FROM bench.work_orders w JOIN bench.work_order_history_details h ON h.work_order_id = w.id WHERE w.id = ?',
  'SELECT COUNT(*) FROM bench.machine_events WHERE machine_id = ? AND kind = 3',
];
const AGENT_CYCLES = 3;

/** Server time of the agent's statements since the history was last truncated, by kind of work. */
async function agentWork(admin: mysql.Connection, user: string): Promise<Record<string, number>> {
  const [rows] = await admin.query<mysql.RowDataPacket[]>(
    `SELECT h.SQL_TEXT AS sql_text, h.TIMER_WAIT AS ps
     FROM performance_schema.events_statements_history_long h
     JOIN performance_schema.threads t ON t.THREAD_ID = h.THREAD_ID
     WHERE t.PROCESSLIST_USER = ?`,
    [user],
  );
  const work: Record<string, number> = {};
  for (const row of rows) {
    const text = String(row.sql_text ?? '');
    const marker =
      /\/\* dbdiag:([a-z-]+) \*\//.exec(text)?.[1] ?? (/^\s*EXPLAIN\b/i.test(text) ? 'explain' : 'other');
    const kind = marker === 'explain' || marker === 'catalog-facts' ? marker : 'probes';
    work[kind] = (work[kind] ?? 0) + Number(BigInt(String(row.ps ?? '0')) / 1000n) / 1e6;
  }
  return work;
}

async function serverMsFor(admin: mysql.Connection, user: string): Promise<number> {
  const [rows] = await admin.query<mysql.RowDataPacket[]>(
    `SELECT COALESCE(SUM(SUM_TIMER_WAIT), 0) AS ps FROM performance_schema.events_statements_summary_by_user_by_event_name WHERE USER = ?`,
    [user],
  );
  return Number(BigInt(String(rows[0]?.ps ?? '0')) / 1000n) / 1e6;
}

const started = performance.now();
const server = await startLocalMariadb({
  maxConnections: 200,
  bufferPoolBytes: 256 * 1024 * 1024,
  extraArgs: ['--table-open-cache=4000'],
});
const admin = await mysql.createConnection({ uri: server.url, multipleStatements: true });
out(`MariaDB ${server.port}: creating ${TABLES} tables ...`);
await admin.query('CREATE DATABASE bench');
const BATCH = 500;
for (let from = 0; from < TABLES; from += BATCH) {
  const statements: string[] = [];
  for (let i = from; i < Math.min(TABLES, from + BATCH); i++) {
    const t = `bench.t${String(i).padStart(5, '0')}`;
    statements.push(
      `CREATE TABLE ${t} (id INT PRIMARY KEY, customer_id INT, note VARCHAR(40), KEY ix_customer (customer_id))`,
      `INSERT INTO ${t} VALUES (1, 1, 'a'), (2, 2, 'b')`,
      `SELECT * FROM ${t} WHERE note = 'b'`,
      `SELECT * FROM ${t} WHERE customer_id = 2`,
    );
  }
  await admin.query(statements.join(';\n'));
}
// Some statement variety for the digest table.
for (let i = 0; i < 200; i++)
  await admin.query(`SELECT COUNT(*) AS c${i} FROM bench.t${String(i).padStart(5, '0')} WHERE note LIKE ?`, [
    `%${i}`,
  ]);
await admin.query(`CREATE TABLE bench.work_orders (id INT PRIMARY KEY, name VARCHAR(20));
  INSERT INTO bench.work_orders SELECT seq, CONCAT('wo', seq) FROM bench.seq_1_to_20000;
  CREATE TABLE bench.work_order_history_details (id BIGINT PRIMARY KEY, work_order_id INT, note VARCHAR(40));
  INSERT INTO bench.work_order_history_details SELECT seq, seq % 20000, MD5(seq) FROM bench.seq_1_to_${INCIDENT_ROWS};
  CREATE TABLE bench.machine_events (id BIGINT PRIMARY KEY, machine_id INT, kind INT, at DATETIME);
  INSERT INTO bench.machine_events SELECT seq, seq % 5000, seq % 7, NOW() FROM bench.seq_1_to_${INCIDENT_ROWS};
  ANALYZE TABLE bench.work_orders, bench.work_order_history_details, bench.machine_events`);
out(`setup done in ${((performance.now() - started) / 1000).toFixed(1)} s`);

// the account as the README sets it up (`dbdiag grants --engine mysql --database bench`)
await admin.query(mysqlGrants({ role: 'dbdiag', databases: ['bench'] }));
await admin.query(`ALTER USER 'dbdiag'@'%' IDENTIFIED BY 'dbdiag-pw' ACCOUNT UNLOCK`);
const monitorUrl = server.urlFor('dbdiag', 'dbdiag-pw');

// --- dbdiag: server time per probe run, as the monitoring account
const session = await connectMysql(
  { name: 'bench', engine: 'mysql', dsn: monitorUrl, poolerDsn: null },
  { statementTimeoutMs: 30_000, topStatements: 50, topTables: 50, topIndexes: 100 },
  log,
);
const perRunMs: Partial<Record<ProbeName, number>> = {};
const clientMs: Partial<Record<ProbeName, number>> = {};
for (const probe of session.probes) {
  await session.sample(probe).catch(() => undefined); // warm: first run fills caches (sample texts) like the agent's first cycle
  const before = await serverMsFor(admin, 'dbdiag');
  const t0 = performance.now();
  for (let i = 0; i < PROBE_RUNS; i++) {
    // a probe that fails (a statement timeout under load) is said, and the run goes on
    const outcome = await session.sample(probe).catch((error: unknown) => ({
      status: 'error' as const,
      reason: error instanceof Error ? error.message : String(error),
    }));
    if (outcome.status !== 'ok') out(`  ${probe}: ${outcome.status} ${outcome.reason}`);
  }
  clientMs[probe] = (performance.now() - t0) / PROBE_RUNS;
  perRunMs[probe] = ((await serverMsFor(admin, 'dbdiag')) - before) / PROBE_RUNS;
}
await session.close();

// --- dbdiag: the agent's /metrics
// the catalog reads of 10,000 tables can outlast the default 5 s statement timeout on a busy machine
const config = {
  ...loadConfig(undefined, { urls: [monitorUrl], listen: '127.0.0.1:0', intervalSeconds: 3600 }),
  statementTimeoutMs: 30_000,
};
const agentLog = log.child({}, { level: 'warn' });
const agent = await startAgent(config, { log: agentLog, runnerOptions: runnerOptionsFor(config, agentLog) });
const target = agent.runners[0]!.spec.name;
await agent.waitForSnapshot(
  target,
  (s) => s.up && s.signals.tables !== undefined && s.signals.statements !== undefined,
  180_000,
);
// forced cycles, each after a burst of the incident's statements: probes vs verification
const cycleWork: Record<string, number>[] = [];
for (let c = 0; c < AGENT_CYCLES; c++) {
  for (let i = 0; i < 20; i++) for (const sql of INCIDENT_QUERIES) await admin.query(sql, [(i * 37) % 5000]);
  await admin.query('TRUNCATE TABLE performance_schema.events_statements_history_long');
  await agent.runners[0]!.runCycle({ allProbes: true });
  cycleWork.push(await agentWork(admin, 'dbdiag'));
}
const agentFindings = agent.runners[0]!.findings;
await fetch(`${agent.url}/metrics`).then((r) => r.text()); // warm: first request of a fresh server
const dbdiag = await measureScrapes(`${agent.url}/metrics`, SCRAPES);
await agent.stop();

out('');
out(`=== ${TABLES} tables, MariaDB ${server.port} ===`);
printScrape('dbdiag /metrics', dbdiag);
const costs = amortize(perRunMs);
printProbeCosts('dbdiag server time (performance_schema, per run; client wall time in brackets):', costs);
out(
  `  client wall time per run: ${Object.entries(clientMs)
    .map(([p, ms]) => `${p} ${fmt(ms)} ms`)
    .join(', ')}`,
);

out('');
out(
  `dbdiag agent with advisors on, server time per forced cycle (all probes due) after a burst of the incident's statements (events_statements_history_long):`,
);
cycleWork.forEach((work, i) => {
  const verification = (work.explain ?? 0) + (work['catalog-facts'] ?? 0);
  out(
    `  cycle ${i + 1}: probes ${fmt(work.probes ?? 0)} ms; verification ${fmt(verification)} ms (explain ${fmt(work.explain ?? 0)} ms, catalog facts ${fmt(work['catalog-facts'] ?? 0)} ms)`,
  );
});
const findingKinds = new Map<string, number>();
for (const f of agentFindings) findingKinds.set(f.kind, (findingKinds.get(f.kind) ?? 0) + 1);
out(`  findings after the cycles: ${[...findingKinds].map(([k, n]) => `${k} ${n}`).join(', ') || 'none'}`);
// --- prometheus-mysqld-exporter, same server, its own account
const collectorSets: { label: string; flags: string[] }[] = [
  {
    label: 'exporter tables+digests',
    flags: ['--collect.info_schema.tables', '--collect.perf_schema.eventsstatements'],
  },
  {
    label: 'exporter +table/index I/O',
    flags: [
      '--collect.info_schema.tables',
      '--collect.perf_schema.eventsstatements',
      '--collect.perf_schema.tableiowaits',
      '--collect.perf_schema.indexiowaits',
    ],
  },
];
let exporterPerScrapeMs: number | null = null;
try {
  await import('node:fs').then((fs) => fs.accessSync(EXPORTER));
  await admin.query(
    `CREATE USER 'exporter'@'%' IDENTIFIED BY 'exporter-pw';
     GRANT PROCESS, REPLICATION CLIENT, SELECT ON *.* TO 'exporter'@'%';`,
  );
  for (const set of collectorSets) {
    const port = await freePort();
    const metricsUrl = `http://127.0.0.1:${port}/metrics`;
    const exporter = await startProcess(
      EXPORTER,
      [`--web.listen-address=127.0.0.1:${port}`, ...set.flags],
      { DATA_SOURCE_NAME: `exporter:exporter-pw@(127.0.0.1:${server.port})/` },
      async () => (await fetch(metricsUrl)).ok,
    );
    try {
      await fetch(metricsUrl).then((r) => r.text()); // warm
      const before = await serverMsFor(admin, 'exporter');
      const figures = await measureScrapes(metricsUrl, EXPORTER_SCRAPES);
      const serverMs = ((await serverMsFor(admin, 'exporter')) - before) / EXPORTER_SCRAPES;
      exporterPerScrapeMs ??= serverMs;
      printScrape(set.label, figures);
      out(`  server time per scrape: ${fmt(serverMs)} ms`);
    } finally {
      await exporter.stop();
    }
  }
} catch (error) {
  out(`prometheus-mysqld-exporter not measured: ${String(error)}`);
}

if (exporterPerScrapeMs !== null)
  out(
    `\nserver time: dbdiag ${fmt(costs.perCycleMs)} ms per cycle (amortized) vs exporter ${fmt(exporterPerScrapeMs)} ms per scrape (tables+digests): ${(exporterPerScrapeMs / costs.perCycleMs).toFixed(1)}x`,
  );
await admin.end();
await server.destroy();
process.exit(0);
