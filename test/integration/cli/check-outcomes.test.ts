import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandboxServer } from '../../../agent/sandbox/engines.js';
import type { SandboxServer } from '../../../agent/sandbox/server.js';

// Issue #10 item 5: `check` is honest about what it could not look at, exits with a distinct
// status, and its errors name the real cause. Real servers (sandboxes), the real CLI.

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

function check(...args: string[]): Run {
  const result = spawnSync(process.execPath, ['--import', 'tsx', 'agent/cli/main.ts', 'check', ...args], {
    encoding: 'utf8',
    timeout: 120_000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('check on PostgreSQL: SCRAM without a password, a role without pg_read_all_stats', () => {
  let server: SandboxServer;

  beforeAll(async () => {
    server = await startSandboxServer('postgres', { purpose: 'check-outcomes', adminPassword: 'Adm1n-pw' });
    await server.query('CREATE EXTENSION IF NOT EXISTS pg_stat_statements');
    await server.query("CREATE ROLE rd_nostats LOGIN PASSWORD 'nostats-pw'");
    await server.query("CREATE ROLE rd_raw LOGIN PASSWORD 'p ss@w0rd:x' IN ROLE pg_monitor");
    await server.query('CREATE DATABASE rd_closed');
    await server.query('REVOKE CONNECT ON DATABASE rd_closed FROM PUBLIC');
    // statements of another role, which rd_nostats cannot see
    await server.query('SELECT count(*) FROM pg_class');
  }, 180_000);

  afterAll(async () => {
    await server?.destroy();
  });

  it('no password against SCRAM: names the missing password, not "is the server running?" (exit 1)', () => {
    const { status, stdout, stderr } = check(
      '--url',
      server.dsn({ password: '' }).replace(/:[^:@/]*@/, '@'),
      '--window',
      '0',
    );
    expect(status).toBe(1);
    expect(stdout).toBe('');
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(stderr).toMatch(
      /password authentication required \(the server asks for SCRAM-SHA-256\) and no password was supplied/,
    );
    expect(stderr).not.toMatch(/server running/);
  });

  it('a wrong password says the authentication failed', () => {
    const { status, stderr } = check('--url', server.dsn({ password: 'wrong-pw' }), '--window', '0');
    expect(status).toBe(1);
    expect(stderr).toMatch(/password authentication failed/);
    expect(stderr).not.toContain('wrong-pw');
  });

  it('a database the role may not connect to: GRANT CONNECT, not a monitoring grant', () => {
    const { status, stderr } = check(
      '--url',
      server.dsn({ user: 'rd_nostats', password: 'nostats-pw', database: 'rd_closed' }),
      '--window',
      '0',
    );
    expect(status).toBe(1);
    expect(stderr).toMatch(/GRANT CONNECT ON DATABASE "rd_closed" TO "rd_nostats"/);
  });

  it('without pg_read_all_stats the statements probe is partial, never ok, and check exits 3', () => {
    const { status, stdout } = check(
      '--url',
      server.dsn({ user: 'rd_nostats', password: 'nostats-pw' }),
      '--window',
      '1',
    );
    expect(stdout).toMatch(
      /Partial data: .*\n {2}statements: role "rd_nostats" is not a member of pg_read_all_stats/,
    );
    expect(stdout).toMatch(/GRANT pg_read_all_stats TO "rd_nostats"/);
    expect(stdout).not.toMatch(/^Findings: none$/m);
    expect(status).toBe(3);
  });

  it('a password with a space, "@" and ":" typed raw in the DSN connects, and is shown nowhere', () => {
    const dsn = `postgres://rd_raw:p ss@w0rd:x@${server.host}:${server.port}/postgres`;
    const { status, stdout, stderr } = check('--url', dsn, '--window', '0', '--format', 'json');
    expect(status === 0 || status === 3, stderr).toBe(true);
    expect(JSON.parse(stdout).target).toBe(`${server.host}:${server.port}/postgres`);
    expect(`${stdout}${stderr}`).not.toMatch(/w0rd|p ss|p%20ss/);
  });

  it('a superuser check is complete: JSON says so and the exit status is 0', () => {
    const { status, stdout } = check('--url', server.dsn(), '--window', '1', '--format', 'json');
    const report = JSON.parse(stdout) as { complete: boolean; exitStatus: number };
    expect(report.complete).toBe(true);
    expect(report.exitStatus).toBe(0);
    expect(status).toBe(0);
  });
});

describe('check on MariaDB: a database the account may not use, an account with PROCESS only', () => {
  let server: SandboxServer;

  beforeAll(async () => {
    server = await startSandboxServer('mysql', { purpose: 'check-outcomes' });
    await server.query('CREATE DATABASE rd_app');
    await server.query("CREATE USER 'rd_proc'@'%' IDENTIFIED BY 'proc-pw'");
    await server.query("CREATE USER 'rd_proc'@'localhost' IDENTIFIED BY 'proc-pw'");
    await server.query("GRANT PROCESS ON *.* TO 'rd_proc'@'%'");
    await server.query("GRANT PROCESS ON *.* TO 'rd_proc'@'localhost'");
    for (const host of ['%', 'localhost']) {
      await server.query(`CREATE USER 'rd_raw'@'${host}' IDENTIFIED BY 'p ss@w0rd:x'`);
      await server.query(`GRANT PROCESS, SELECT ON *.* TO 'rd_raw'@'${host}'`);
    }
  }, 180_000);

  afterAll(async () => {
    await server?.destroy();
  });

  it('error 1044 on the DSN database names the database and its GRANT (exit 1)', () => {
    const { status, stderr } = check(
      '--url',
      server.dsn({ user: 'rd_proc', password: 'proc-pw', database: 'rd_app' }),
      '--window',
      '0',
    );
    expect(status).toBe(1);
    expect(stderr).toMatch(/database "rd_app".*GRANT SELECT ON `rd_app`\.\*/);
    expect(stderr).not.toMatch(/PROCESS, REPLICATION CLIENT/);
    expect(stderr).not.toContain('proc-pw');
  });

  it('a password with a space, "@" and ":" typed raw in the DSN connects, and is shown nowhere', () => {
    const dsn = `mysql://rd_raw:p ss@w0rd:x@${server.host}:${server.port}/`;
    const { status, stdout, stderr } = check('--url', dsn, '--window', '0');
    expect(status === 0 || status === 3, stderr).toBe(true);
    expect(stdout).toMatch(/^dbdiag check: /);
    expect(`${stdout}${stderr}`).not.toMatch(/w0rd|p ss|p%20ss/);
  });

  it('PROCESS only: lists the probes that failed and why, never "Findings: none"; exit 3, or 2 at --fail-on', () => {
    const dsn = server.dsn({ user: 'rd_proc', password: 'proc-pw' });
    const plain = check('--url', dsn, '--window', '1');
    expect(plain.stdout).toMatch(/Could not look: \d+ of \d+ probes failed:/);
    expect(plain.stdout).toMatch(/^ {2}\w+: \[permission-denied\] /m);
    expect(plain.stdout).not.toMatch(/^Findings: none$/m);
    expect(plain.status).toBe(3);
    // --fail-on info (the case): a finding at info or above wins with 2; without one, still 3
    const failOn = check('--url', dsn, '--window', '1', '--fail-on', 'info');
    expect(failOn.stdout).toMatch(/Could not look: /);
    expect(failOn.stdout).not.toMatch(/^Findings: none$/m);
    expect(failOn.status).toBe(/^Findings \(\d+\):/m.test(failOn.stdout) ? 2 : 3);
  });
});
