import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Finding } from '../../../agent/findings/finding.js';
import { startLocalMariadb, type TestMysqlServer } from '../../support/mysql.js';
import { advisedTarget } from '../advisors/support.js';

// Least privilege on a real MariaDB: the account is created by piping `dbdiag grants` to the
// mariadb client (twice: it must tolerate what exists), and the agent running as it finds what
// root finds, with not one failed statement by that account (performance_schema counts every
// error per account) and no "denied" in the server's error log.

const ROOT = resolve(import.meta.dirname, '..', '..', '..');
const PASSWORD = 'mon-Pw-42';

let server: TestMysqlServer;
let errorLog: string;

function mariadb(input: string): string {
  return execFileSync('mariadb', ['-uroot', '-h', server.host, '-P', String(server.port)], {
    input,
    encoding: 'utf8',
    stdio: ['pipe', 'pipe', 'pipe'],
  });
}

function grants(role: string, database?: string): string {
  return execFileSync(
    'node',
    [
      join(ROOT, 'dist/agent/cli/main.js'),
      'grants',
      '--engine',
      'mysql',
      '--role',
      role,
      ...(database ? ['--database', database] : []),
    ],
    { encoding: 'utf8' },
  );
}

/** Statements of `user` that ended in an error, as the server counts them. */
async function statementErrors(user: string): Promise<number> {
  const [row] = await server.exec(
    'SELECT COALESCE(SUM(SUM_ERRORS), 0) AS errors FROM performance_schema.events_statements_summary_by_account_by_event_name WHERE USER = ?',
    [user],
  );
  return Number(row?.errors ?? 0);
}

function indexProposals(findings: readonly Finding[]): string[] {
  return findings
    .filter((f) => f.kind === 'missing-index')
    .map((f) => `${f.fix?.index?.schema}.${f.fix?.index?.table}(${f.fix?.index?.columns.join(',')})`)
    .sort();
}

const JOIN =
  'SELECT w.id, w.status, h.note FROM work_orders w JOIN wo_history h ON h.work_order_id = w.id WHERE w.id = ';

beforeAll(async () => {
  server = await startLocalMariadb({ statementHistory: true });
  const [log] = await server.exec('SELECT @@log_error AS path');
  errorLog = String(log?.path);
});

afterAll(async () => {
  await server?.destroy();
});

describe('least privilege on MariaDB: the account `dbdiag grants` creates', () => {
  let app: mysql.Connection;

  beforeAll(async () => {
    await server.exec('CREATE DATABASE plant');
    mariadb(grants('mon', 'plant'));
    mariadb(grants('mon', 'plant'));
    await server.exec(`ALTER USER 'mon'@'%' IDENTIFIED BY '${PASSWORD}' ACCOUNT UNLOCK`);
    app = await mysql.createConnection({ uri: server.urlFor('root', '', 'plant'), multipleStatements: true });
    // created after the grants: the schema-level grant covers them
    await app.query(`CREATE TABLE work_orders (id INT PRIMARY KEY, status VARCHAR(10));
      CREATE TABLE wo_history (id INT PRIMARY KEY, work_order_id INT NOT NULL, note VARCHAR(40));
      INSERT INTO work_orders SELECT seq, 'open' FROM seq_1_to_20000;
      INSERT INTO wo_history SELECT seq, 1 + seq % 20000, CONCAT('note ', seq) FROM seq_1_to_150000;
      ANALYZE TABLE work_orders, wo_history`);
    for (let i = 0; i < 20; i++) await app.query(`${JOIN}${1 + i * 13}`);
    for (let i = 0; i < 20; i++)
      await app.query(`UPDATE wo_history SET note = 'seen' WHERE work_order_id = ${1 + i * 17}`);
  });

  afterAll(async () => {
    await app?.end();
  });

  it('the account may read the application schema but not write it; the incident is found as root finds it, over ten cycles, with no failed statement and no "denied" in the error log', async () => {
    const mon = await mysql.createConnection({ uri: server.urlFor('mon', PASSWORD, 'plant') });
    try {
      await expect(mon.query('DELETE FROM wo_history WHERE id = 1')).rejects.toThrow(/command denied/);
    } finally {
      await mon.end();
    }
    const errorsBefore = await statementErrors('mon');
    expect(errorsBefore).toBe(1); // the denied DELETE above: the counter sees the account's errors
    const logBefore = readFileSync(errorLog, 'utf8').length;

    const root = advisedTarget('mysql', server.urlFor('root', '', 'plant'));
    const monitor = advisedTarget('mysql', server.urlFor('mon', PASSWORD, 'plant'));
    try {
      await root.cycle();
      const asRoot = indexProposals(await root.cycle());
      expect(asRoot).toEqual(['plant.wo_history(work_order_id)']);
      for (let cycle = 0; cycle < 10; cycle++) {
        await app.query(`${JOIN}${1 + cycle * 100}`);
        await app.query(`UPDATE wo_history SET note = 'again' WHERE work_order_id = ${3 + cycle}`);
        expect(indexProposals(await monitor.cycle())).toEqual(asRoot);
      }
      expect(monitor.of('missing-privilege')).toEqual([]);
    } finally {
      await root.stop();
      await monitor.stop();
    }
    expect(await statementErrors('mon')).toBe(errorsBefore);
    expect(readFileSync(errorLog, 'utf8').slice(logBefore)).not.toMatch(/denied/i);
  });

  it("the README's old account (no SELECT on the application schema): a missing-privilege finding with the GRANT, and no failed statement", async () => {
    await server.exec(`CREATE USER 'old_mon'@'%' IDENTIFIED BY '${PASSWORD}';
      GRANT PROCESS, REPLICATION CLIENT ON *.* TO 'old_mon'@'%';
      GRANT SELECT ON performance_schema.* TO 'old_mon'@'%'`);
    const old = advisedTarget('mysql', server.urlFor('old_mon', PASSWORD));
    try {
      for (let cycle = 0; cycle < 3; cycle++) await old.cycle();
      expect(indexProposals(old.runner.findings)).toEqual([]);
      const gaps = old.of('missing-privilege');
      expect(gaps.map((f) => f.object)).toEqual(['SELECT ON plant.*']);
      expect(gaps[0]?.fix?.statements).toEqual(["GRANT SELECT ON plant.* TO 'old_mon'@'%';"]);
    } finally {
      await old.stop();
    }
    expect(await statementErrors('old_mon')).toBe(0);
  });

  it('an account with PROCESS only: statements and tables probes fail with the GRANT they need, without the query ever reaching the server, missing-privilege names it, no failed statement', async () => {
    await server.exec(`CREATE USER 'proc_only'@'%' IDENTIFIED BY '${PASSWORD}';
      GRANT PROCESS ON *.* TO 'proc_only'@'%'`);
    const target = advisedTarget('mysql', server.urlFor('proc_only', PASSWORD));
    try {
      for (let cycle = 0; cycle < 3; cycle++) await target.cycle();
      const probes = target.runner.latest?.probes ?? {};
      for (const probe of ['statements', 'tables'] as const) {
        expect(probes[probe]?.status).toBe('error');
        expect(probes[probe]?.code).toBe('permission-denied');
        expect(probes[probe]?.message).toMatch(/GRANT SELECT ON performance_schema\.\* TO 'proc_only'@'%';/);
      }
      expect(probes.connections?.status).toBe('ok');
      expect(target.of('missing-privilege').map((f) => f.object)).toEqual(['SELECT ON performance_schema.*']);
    } finally {
      await target.stop();
    }
    expect(await statementErrors('proc_only')).toBe(0);
  });

  it('an account without PROCESS: the connections probe reports partial data with the GRANT, never ok', async () => {
    await server.exec(`CREATE USER 'no_proc'@'%' IDENTIFIED BY '${PASSWORD}';
      GRANT SELECT ON performance_schema.* TO 'no_proc'@'%'`);
    const target = advisedTarget('mysql', server.urlFor('no_proc', PASSWORD));
    try {
      await target.cycle();
      const probes = target.runner.latest?.probes ?? {};
      expect(probes.connections?.status).toBe('partial');
      expect(probes.connections?.message).toMatch(/GRANT PROCESS ON \*\.\* TO 'no_proc'@'%';/);
      expect(probes.cache?.status).toBe('partial');
      // and SELECT on the schema the earlier workload ran in
      expect(target.of('missing-privilege').map((f) => f.object)).toEqual(['PROCESS', 'SELECT ON plant.*']);
    } finally {
      await target.stop();
    }
    expect(await statementErrors('no_proc')).toBe(0);
  });
});
