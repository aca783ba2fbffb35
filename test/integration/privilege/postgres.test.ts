import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Finding } from '../../../agent/findings/finding.js';
import { type PostgresServer, startPostgres } from '../../support/postgres.js';
import { chownTree, serverUser } from '../../support/run-as.js';
import { advisedTarget } from '../advisors/support.js';

// Least privilege on a real PostgreSQL 15: the monitoring role is created by piping
// `dbdiag grants` to psql (twice: it must tolerate what exists), and the agent running as it
// finds what a superuser finds, with not one error from that role in the server's log.

const ROOT = resolve(import.meta.dirname, '..', '..', '..');
const ROLE = 'mon';

let server: PostgresServer;
let logDir: string;

/** `dbdiag grants` piped to psql as the superuser, the way the README says. */
function installGrants(database: string): string {
  const script = execFileSync(
    'node',
    [
      join(ROOT, 'dist/agent/cli/main.js'),
      'grants',
      '--engine',
      'postgres',
      '--role',
      ROLE,
      '--database',
      database,
    ],
    { encoding: 'utf8' },
  );
  return execFileSync('psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', server.url()], {
    input: script,
    encoding: 'utf8',
    stdio: ['pipe', 'pipe', 'pipe'],
  });
}

/** Every line the server logged (logging_collector writes into logDir). */
function serverLog(): string {
  return readdirSync(logDir)
    .map((f) => readFileSync(join(logDir, f), 'utf8'))
    .join('');
}

/** Log lines of errors raised in sessions of the monitoring role (log_line_prefix names the user). */
function monitoringRoleErrors(): string[] {
  return serverLog()
    .split('\n')
    .filter((l) => l.includes(` user=${ROLE} `) && /(ERROR|FATAL|WARNING):/.test(l));
}

function indexProposals(findings: readonly Finding[]): string[] {
  return findings
    .filter((f) => f.kind === 'missing-index')
    .map((f) => `${f.fix?.index?.schema}.${f.fix?.index?.table}(${f.fix?.index?.columns.join(',')})`)
    .sort();
}

const JOIN =
  'SELECT w.id, w.status, h.note FROM work_orders w JOIN wo_history h ON h.work_order_id = w.id WHERE w.id = $1';

beforeAll(async () => {
  logDir = mkdtempSync(join(tmpdir(), 'dbdiag-privilege-log-'));
  mkdirSync(logDir, { recursive: true });
  chownTree(logDir, serverUser(['postgres']));
  server = await startPostgres({
    version: 15,
    settings: {
      logging_collector: 'on',
      log_directory: logDir,
      log_filename: 'postgresql.log',
      log_line_prefix: '%m [%p] user=%u ',
      log_min_error_statement: 'error',
      autovacuum: 'off',
    },
  });
});

afterAll(async () => {
  await server?.stop();
  rmSync(logDir, { recursive: true, force: true });
});

describe('least privilege on PostgreSQL: the role and helper `dbdiag grants` creates', () => {
  let app: pg.Client;

  beforeAll(async () => {
    await server.query('CREATE DATABASE plant');
    app = await server.connect({ database: 'plant' });
    await app.query('CREATE EXTENSION hypopg');
    installGrants('plant');
    // again: everything exists now, and it still runs clean
    installGrants('plant');
    // the application's tables are created after the grants: nothing is granted on them
    await app.query(`CREATE TABLE work_orders (id int PRIMARY KEY, status text);
      CREATE TABLE wo_history (id int PRIMARY KEY, work_order_id int NOT NULL, note text);
      INSERT INTO work_orders SELECT i, 'open' FROM generate_series(1, 20000) i;
      INSERT INTO wo_history SELECT i, 1 + i % 20000, 'note ' || i FROM generate_series(1, 150000) i;
      ANALYZE`);
    await app.query('SELECT pg_stat_statements_reset()');
    for (let i = 0; i < 30; i++) await app.query(JOIN, [1 + i * 13]);
  });

  afterAll(async () => {
    await app?.end();
  });

  it('the role reads no application table itself; the helper gives column statistics without values and plans without running', async () => {
    const mon = await server.connect({ database: 'plant', user: ROLE });
    try {
      await expect(mon.query('SELECT 1 FROM wo_history LIMIT 1')).rejects.toThrow(/permission denied/);
      const hidden = await mon.query("SELECT attname FROM pg_stats WHERE tablename = 'wo_history'");
      expect(hidden.rows).toEqual([]);
      const stats = await mon.query<{ column_name: string; n_distinct: number }>(
        "SELECT * FROM dbdiag.column_stats('public', 'wo_history') ORDER BY column_name",
      );
      expect(stats.rows.map((r) => r.column_name)).toEqual(['id', 'note', 'work_order_id']);
      expect(Object.keys(stats.rows[0] ?? {}).sort()).toEqual([
        'avg_width',
        'column_name',
        'n_distinct',
        'null_frac',
      ]);
      const plan = await mon.query<{ plan: [{ Plan: { 'Node Type': string } }] }>(
        "SELECT dbdiag.explain('DELETE FROM wo_history WHERE work_order_id = $1', 1, current_setting('search_path')) AS plan",
      );
      expect(plan.rows[0]?.plan[0].Plan['Node Type']).toBe('ModifyTable');
      const { rows } = await app.query<{ n: string }>('SELECT count(*) AS n FROM wo_history');
      expect(Number(rows[0]?.n)).toBe(150_000);
      await expect(
        mon.query("SELECT dbdiag.explain('SELECT 1; DROP TABLE wo_history', 0, NULL)"),
      ).rejects.toThrow(/one statement/);
      // code the caller wrote would run as the helper's owner while planning: refused
      await mon.query(
        'CREATE FUNCTION pg_temp.f() RETURNS int IMMUTABLE LANGUAGE plpgsql AS $$ BEGIN RETURN 1; END $$',
      );
      await expect(
        mon.query("SELECT dbdiag.explain('SELECT * FROM wo_history WHERE id = pg_temp.f()', 0, NULL)"),
      ).rejects.toThrow(/owns functions/);
      // the log scan sees the role's errors: the denied read above is there
      await new Promise((r) => setTimeout(r, 500));
      expect(monitoringRoleErrors().join('\n')).toMatch(/permission denied for table wo_history/);
    } finally {
      await mon.end();
    }
  });

  it('the incident: the role finds the same missing index as a superuser (HypoPG-proven), with no error from the role in the server log over ten cycles', async () => {
    const errorsBefore = monitoringRoleErrors().length;
    const superuser = advisedTarget('postgres', server.url({ database: 'plant' }));
    const monitor = advisedTarget('postgres', server.url({ database: 'plant', user: ROLE }));
    try {
      await superuser.cycle();
      const asSuperuser = indexProposals(await superuser.cycle());
      expect(asSuperuser).toEqual(['public.wo_history(work_order_id)']);
      for (let cycle = 0; cycle < 10; cycle++) {
        for (let i = 0; i < 5; i++) await app.query(JOIN, [1 + cycle * 100 + i]);
        const asMonitor = indexProposals(await monitor.cycle());
        expect(asMonitor).toEqual(asSuperuser);
      }
      const [finding] = monitor.of('missing-index');
      expect(finding?.evidence.method).toBe('hypopg');
      expect(monitor.of('missing-privilege')).toEqual([]);
    } finally {
      await superuser.stop();
      await monitor.stop();
    }
    // logging_collector writes asynchronously
    await new Promise((r) => setTimeout(r, 500));
    expect(monitoringRoleErrors().slice(errorsBefore)).toEqual([]);
  });

  it("the README's old role (pg_monitor only, no helper): one missing-privilege finding naming the helper and its set-up, no error in the server log", async () => {
    await server.query('CREATE ROLE old_mon LOGIN IN ROLE pg_monitor');
    const errorsBefore = serverLog()
      .split('\n')
      .filter((l) => l.includes(' user=old_mon ') && /ERROR:/.test(l));
    const old = advisedTarget('postgres', server.url({ database: 'plant', user: 'old_mon' }));
    try {
      for (let cycle = 0; cycle < 3; cycle++) await old.cycle();
      expect(indexProposals(old.runner.findings)).toEqual([]);
      const gaps = old.of('missing-privilege');
      expect(gaps.map((f) => f.object)).toEqual(['dbdiag helper']);
      expect(gaps[0]?.fix?.statements).toEqual([
        'dbdiag grants --engine postgres --role old_mon --database plant | psql -U postgres',
      ]);
      expect(gaps[0]?.runbook).toMatch(/missing-privilege\.md$/);
    } finally {
      await old.stop();
    }
    await new Promise((r) => setTimeout(r, 500));
    const errors = serverLog()
      .split('\n')
      .filter((l) => l.includes(' user=old_mon ') && /ERROR:/.test(l));
    expect(errors).toEqual(errorsBefore);
  });
});
