import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type pg from 'pg';
import { loadConfig } from '../../agent/config/load.js';
import { configSchema } from '../../agent/config/schema.js';
import { postgresGrants } from '../../agent/engines/postgres/grants.js';
import { DATABASE_SIZE_SQL, SIZE_REFRESH_MS } from '../../agent/engines/postgres/probes/cache.js';
import { sqlForVersion } from '../../agent/engines/postgres/sql-version.js';
import { rootLogger } from '../../agent/log.js';
import { startAgent } from '../../agent/runtime/agent.js';
import { runnerOptionsFor } from '../../agent/runtime/runner-options.js';
import type { ProbeName } from '../../agent/snapshot/snapshot.js';
import { freePort } from '../support/free-port.js';
import { type PostgresMajor, startPostgres } from '../support/postgres.js';
import {
  amortize,
  fmt,
  measureScrapes,
  printProbeCosts,
  printScrape,
  startProcess,
} from './scrape-common.js';

// npm run bench:scrape [-- --tables 10000 --pg 15 --scrapes 50 --exporter-scrapes 10 --cycles 5]
//
// A database with many tables (a little data, some sequential scans, foreign keys without
// indexes, a few thousand distinct statements in pg_stat_statements) and the incident's
// un-indexed history tables queried between cycles, then:
//   dbdiag: the agent in-process as `dbdiag agent` runs it (advisors on, HypoPG installed), as
//     the role `dbdiag grants` creates (pg_monitor + the helper); database time of each probe
//     from pg_stat_statements (execution + planning) of its own marked queries over forced
//     cycles, amortized over the default schedules; the verification work of the advisors
//     (EXPLAIN, what-if, catalog facts) reported apart, per cycle; /metrics latency and series.
//   postgres_exporter (when installed): the same, with its per-table and pg_stat_statements
//     queries (the Debian example queries.yaml, adapted to PostgreSQL 13+ column names);
//     its database time per scrape from pg_stat_statements of its role.

const EXPORTER_BIN = '/usr/bin/prometheus-postgres-exporter';
const EXPORTER_QUERIES = '/usr/share/doc/prometheus-postgres-exporter/examples/queries.yaml';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const value = i >= 0 ? Number(process.argv[i + 1]) : fallback;
  if (!Number.isFinite(value) || value <= 0) throw new Error(`--${name} must be a positive number`);
  return value;
}

const TABLES = arg('tables', 10_000);
const MAJOR = arg('pg', 15) as PostgresMajor;
const SCRAPES = arg('scrapes', 50);
const EXPORTER_SCRAPES = arg('exporter-scrapes', 10);
const CYCLES = arg('cycles', 5);
const BATCH = 500;
const DEFAULT_INTERVAL_SECONDS = configSchema.parse({}).intervalSeconds;

function say(line: string): void {
  process.stderr.write(`[bench:scrape] ${line}\n`);
}

async function createSchema(admin: pg.Client): Promise<void> {
  for (let from = 1; from <= TABLES; from += BATCH) {
    const to = Math.min(TABLES, from + BATCH - 1);
    // Every 10th table references the one before it on a column without an index; every 5th
    // has a secondary index.
    await admin.query(`DO $$ BEGIN
      FOR i IN ${from}..${to} LOOP
        EXECUTE format('CREATE TABLE t_%s (id int PRIMARY KEY, parent_id int, v int, note text)', i);
        EXECUTE format('INSERT INTO t_%s SELECT g, g, g %% 7, ''note'' FROM generate_series(1, 20) g', i);
        IF i % 5 = 0 THEN EXECUTE format('CREATE INDEX ON t_%s (v)', i); END IF;
        IF i % 10 = 0 AND i > 1 THEN
          EXECUTE format('ALTER TABLE t_%s ADD FOREIGN KEY (parent_id) REFERENCES t_%s (id)', i, i - 1);
        END IF;
      END LOOP; END $$`);
  }
}

/** Distinct top-level statements (one per table) with sequential scans, so stats and pg_stat_statements have data. */
async function workload(admin: pg.Client): Promise<void> {
  const n = Math.min(TABLES, 3000);
  for (let i = 1; i <= n; i++) await admin.query(`SELECT count(*) FROM t_${i} WHERE note = $1`, ['x']);
  for (let r = 0; r < 5; r++) {
    for (let i = 1; i <= 100; i++) await admin.query(`SELECT count(*) FROM t_${i} WHERE note = $1`, ['y']);
  }
  await admin.query('SELECT pg_stat_force_next_flush()');
  await admin.query('SELECT 1');
}

interface StatRow {
  queryid: string;
  query: string;
  calls: number;
  ms: number;
}

/** pg_stat_statements entries of one role: calls and execution + planning time. */
async function statementsOf(admin: pg.Client, role: string): Promise<Map<string, StatRow>> {
  const result = await admin.query<StatRow>(
    `SELECT queryid::text AS queryid, query, calls::float8 AS calls,
       (total_exec_time + total_plan_time)::float8 AS ms
     FROM pg_stat_statements s JOIN pg_roles r ON r.oid = s.userid
     WHERE r.rolname = $1`,
    [role],
  );
  return new Map(result.rows.map((r) => [r.queryid, r]));
}

function diff(before: Map<string, StatRow>, after: Map<string, StatRow>): StatRow[] {
  const rows: StatRow[] = [];
  for (const [id, row] of after) {
    const prev = before.get(id);
    rows.push({ ...row, calls: row.calls - (prev?.calls ?? 0), ms: row.ms - (prev?.ms ?? 0) });
  }
  return rows.filter((r) => r.calls > 0);
}

const PROBE_MARKER = /\/\* dbdiag:([a-z-]+) \*\//;
/** markers of the advisors' verification work (not a probe's sampling) */
const VERIFICATION_MARKERS = new Set(['explain', 'what-if', 'catalog-facts']);
/** the incident: large history tables JOINed / filtered on un-indexed columns */
const INCIDENT_ROWS = 200_000;
const INCIDENT_QUERIES = [
  'SELECT count(*) FROM work_order_history_details WHERE work_order_id = $1',
  'SELECT h.note FROM work_orders w JOIN work_order_history_details h ON h.work_order_id = w.id WHERE w.id = $1',
  'SELECT count(*) FROM machine_events WHERE machine_id = $1 AND kind = 3',
];

async function createIncident(admin: pg.Client): Promise<void> {
  await admin.query(`CREATE TABLE work_orders (id int PRIMARY KEY, name text);
    INSERT INTO work_orders SELECT g, 'wo' || g FROM generate_series(1, 20000) g;
    CREATE TABLE work_order_history_details (id bigint PRIMARY KEY, work_order_id int, note text);
    INSERT INTO work_order_history_details SELECT g, g % 20000, md5(g::text) FROM generate_series(1, ${INCIDENT_ROWS}) g;
    CREATE TABLE machine_events (id bigint PRIMARY KEY, machine_id int, kind int, at timestamptz);
    INSERT INTO machine_events SELECT g, g % 5000, g % 7, now() FROM generate_series(1, ${INCIDENT_ROWS}) g;
    ANALYZE work_orders, work_order_history_details, machine_events`);
}

/** A burst of the incident's statements (as the application, not the agent's role). */
async function incidentBurst(admin: pg.Client): Promise<void> {
  for (let i = 0; i < 20; i++) {
    for (const sql of INCIDENT_QUERIES) await admin.query(sql, [(i * 37) % 5000]);
  }
}

function exporterQueries(dir: string): string {
  // The example file predates PostgreSQL 13's pg_stat_statements column names.
  let yaml = readFileSync(EXPORTER_QUERIES, 'utf8').replace(
    /\b(total|min|max|mean|stddev)_time \/ 1000/g,
    '$1_exec_time / 1000',
  );
  if (MAJOR >= 17) yaml = yaml.replace(/\bblk_(read|write)_time \/ 1000/g, 'shared_blk_$1_time / 1000');
  const path = join(dir, 'queries.yaml');
  writeFileSync(path, yaml);
  return path;
}

async function main(): Promise<void> {
  say(`PostgreSQL ${MAJOR}, ${TABLES} tables`);
  const server = await startPostgres({
    version: MAJOR,
    settings: {
      max_locks_per_transaction: 512,
      'pg_stat_statements.track_planning': 'on',
      'pg_stat_statements.track_utility': 'off',
      max_connections: 50,
    },
  });
  const admin = await server.connect();
  const work = mkdtempSync(join(tmpdir(), 'dbdiag-bench-'));
  try {
    await admin.query(`CREATE EXTENSION pg_stat_statements;
      CREATE EXTENSION hypopg;
      CREATE ROLE exporter LOGIN IN ROLE pg_monitor`);
    // the agent's role as the README sets it up; its EXPLAINs are utility statements
    await admin.query(postgresGrants({ role: 'dbdiag_agent', databases: [] }));
    await admin.query('ALTER ROLE dbdiag_agent SET pg_stat_statements.track_utility = on');
    await createIncident(admin);
    let t = performance.now();
    await createSchema(admin);
    say(`created ${TABLES} tables in ${((performance.now() - t) / 1000).toFixed(1)} s`);
    t = performance.now();
    await workload(admin);
    say(`workload in ${((performance.now() - t) / 1000).toFixed(1)} s`);

    // ---- dbdiag
    const config = loadConfig(undefined, {
      urls: [server.url({ user: 'dbdiag_agent' })],
      listen: '127.0.0.1:0',
      // only the cycles forced below run while measuring
      intervalSeconds: 3600,
    });
    const agentLog = rootLogger.child({ component: 'bench-agent' }, { level: 'warn' });
    const agent = await startAgent(config, {
      log: agentLog,
      runnerOptions: runnerOptionsFor(config, agentLog),
    });
    const name = agent.runners[0]!.spec.name;
    await agent.waitForSnapshot(name, (s) => s.up && s.signals.tables !== undefined, 60_000);
    const perRun: Partial<Record<ProbeName, number>> = {};
    /** verification database time per forced cycle, by marker */
    const verification: Record<string, number>[] = [];
    for (let i = 0; i < CYCLES; i++) {
      await incidentBurst(admin);
      await admin.query('SELECT pg_stat_force_next_flush()');
      const before = await statementsOf(admin, 'dbdiag_agent');
      await agent.runners[0]!.runCycle({ allProbes: true });
      const spent = diff(before, await statementsOf(admin, 'dbdiag_agent'));
      const cycle: Record<string, number> = {};
      for (const row of spent) {
        const marker = PROBE_MARKER.exec(row.query)?.[1];
        if (marker === undefined || marker === 'connect') continue;
        if (VERIFICATION_MARKERS.has(marker)) cycle[marker] = (cycle[marker] ?? 0) + row.ms;
        else perRun[marker as ProbeName] = (perRun[marker as ProbeName] ?? 0) + row.ms / CYCLES;
      }
      verification.push(cycle);
    }
    const findings = agent.runners[0]!.findings;
    const latest = agent.latest(name)!;
    for (const [probe, report] of Object.entries(latest.probes)) {
      if (report.status !== 'ok' && report.status !== 'not-due')
        say(`probe ${probe}: ${report.status} ${report.message}`);
    }
    await measureScrapes(`${agent.url}/metrics`, 1); // warm-up, as for the exporter
    const dbdiagScrape = await measureScrapes(`${agent.url}/metrics`, SCRAPES);
    // The cache probe refreshes database sizes (a directory walk) only every SIZE_REFRESH_MS:
    // the forced cycles above did not include it, so it is timed here on its own.
    const sizeSql = sqlForVersion(
      DATABASE_SIZE_SQL,
      Number(
        (await admin.query<{ server_version_num: string }>('SHOW server_version_num')).rows[0]
          ?.server_version_num,
      ),
    )!;
    let sizeMs = 0;
    for (let i = 0; i < 3; i++) {
      const started = performance.now();
      await admin.query(sizeSql);
      sizeMs += (performance.now() - started) / 3;
    }
    await agent.stop();
    const costs = amortize(perRun);

    // ---- postgres_exporter
    let exporterScrape: Awaited<ReturnType<typeof measureScrapes>> | null = null;
    let exporterMsPerScrape: number | null = null;
    if (existsSync(EXPORTER_BIN)) {
      const port = await freePort();
      const exporter = await startProcess(
        EXPORTER_BIN,
        [
          `--web.listen-address=127.0.0.1:${port}`,
          `--extend.query-path=${exporterQueries(work)}`,
          '--log.level=error',
        ],
        { DATA_SOURCE_NAME: `${server.url({ user: 'exporter' })}?sslmode=disable` },
        async () => (await fetch(`http://127.0.0.1:${port}/`)).ok,
      );
      try {
        // one scrape to warm up its connection and the catalog caches, as for the agent
        await measureScrapes(`http://127.0.0.1:${port}/metrics`, 1);
        const beforeExporter = await statementsOf(admin, 'exporter');
        exporterScrape = await measureScrapes(`http://127.0.0.1:${port}/metrics`, EXPORTER_SCRAPES);
        const spentExporter = diff(beforeExporter, await statementsOf(admin, 'exporter'));
        exporterMsPerScrape = spentExporter.reduce((sum, r) => sum + r.ms, 0) / EXPORTER_SCRAPES;
      } finally {
        await exporter.stop();
      }
    } else {
      say(`${EXPORTER_BIN} not installed: no comparison`);
    }

    // ---- figures
    const out = (line: string) => process.stdout.write(`${line}\n`);
    out(
      `\nPostgreSQL ${server.major} (${latest.serverVersion}), ${TABLES} tables, defaults: topN tables ${config.topN.tables}, statements ${config.topN.statements}`,
    );
    out('/metrics (sequential scrapes, time to last byte)');
    printScrape('dbdiag', dbdiagScrape);
    if (exporterScrape) printScrape('postgres_exporter 0.11', exporterScrape);
    out('');
    printProbeCosts(
      `dbdiag database time (pg_stat_statements exec+plan, mean of ${CYCLES} forced cycles)`,
      costs,
    );
    const sizeAmortized = (sizeMs * DEFAULT_INTERVAL_SECONDS) / (SIZE_REFRESH_MS / 1000);
    out(
      `  + database sizes (cache probe, every ${SIZE_REFRESH_MS / 1000} s): ${fmt(sizeMs)} ms per run (round trip) -> ` +
        `${fmt(sizeAmortized)} ms per cycle; total ${fmt(costs.perCycleMs + sizeAmortized)} ms per cycle`,
    );
    out('');
    out(
      `dbdiag verification work of the advisors (EXPLAIN, what-if, catalog facts; pg_stat_statements exec+plan), per forced cycle after a burst of the incident's statements:`,
    );
    verification.forEach((cycle, i) => {
      const total = Object.values(cycle).reduce((a, b) => a + b, 0);
      const parts = Object.entries(cycle)
        .map(([marker, ms]) => `${marker} ${fmt(ms)} ms`)
        .join(', ');
      out(
        `  cycle ${i + 1}: ${fmt(total)} ms${parts === '' ? ' (nothing to verify: cached or no candidate)' : ` (${parts})`}`,
      );
    });
    const kinds = new Map<string, number>();
    for (const f of findings) kinds.set(f.kind, (kinds.get(f.kind) ?? 0) + 1);
    out(`  findings after the cycles: ${[...kinds].map(([k, n]) => `${k} ${n}`).join(', ') || 'none'}`);
    if (exporterMsPerScrape !== null) {
      out(`postgres_exporter database time per scrape: ${fmt(exporterMsPerScrape)} ms`);
      out(
        `ratio exporter per scrape / dbdiag per cycle (amortized): ${(exporterMsPerScrape / (costs.perCycleMs + sizeAmortized)).toFixed(1)}x`,
      );
    }
  } finally {
    await admin.end();
    await server.stop();
    rmSync(work, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(
    `bench:scrape failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(1);
});
