import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { freePort } from '../../support/free-port.js';

// `dbdiag check` as a user runs it: the real CLI, real servers, exit codes and output.

function check(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, ['--import', 'tsx', 'agent/cli/main.ts', 'check', ...args], {
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('dbdiag check', () => {
  it('exits 1 with a one-line reason when the server is down', async () => {
    const port = await freePort();
    const { status, stderr, stdout } = check(
      '--url',
      `postgres://postgres@127.0.0.1:${port}/plant`,
      '--window',
      '0',
    );
    expect(status).toBe(1);
    expect(stdout).toBe('');
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(stderr).toMatch(/ECONNREFUSED/);
  });

  it('exits 1 naming the problem when authentication fails (MariaDB)', () => {
    const { status, stderr } = check(
      '--url',
      'mysql://root:wrong-password@127.0.0.1:3306/test',
      '--window',
      '0',
    );
    expect(status).toBe(1);
    expect(stderr).toMatch(/Access denied/);
    expect(stderr).not.toContain('wrong-password');
  });

  it('exits 1 on a DSN it cannot use', () => {
    const { status, stderr } = check('--url', 'db1:5432', '--window', '0');
    expect(status).toBe(1);
    expect(stderr).toMatch(/cannot tell the engine/);
  });

  it('prints JSON with the target and its findings, and exits 2 at --fail-on', () => {
    // The machine's PostgreSQL has no pg_stat_statements: an extension-missing warning.
    const { status, stdout } = check(
      '--url',
      'postgres://postgres@127.0.0.1:5432/postgres',
      '--window',
      '1',
      '--format',
      'json',
      '--fail-on',
      'warning',
    );
    const report = JSON.parse(stdout) as { target: string; findings: { kind: string; severity: string }[] };
    expect(report.target).toBe('127.0.0.1:5432/postgres');
    expect(report.findings).toContainEqual(
      expect.objectContaining({ kind: 'extension-missing', severity: 'warning' }),
    );
    expect(status).toBe(2);
  });

  it('prints the measured connections and cache in the table format, exit 0 without --fail-on', () => {
    const { status, stdout } = check('--url', 'mysql://root@127.0.0.1:3306/test', '--window', '1');
    expect(status).toBe(0);
    expect(stdout).toMatch(/Connections: \d+\/\d+ \(1 reserved\), saturation/);
    expect(stdout).toMatch(/Cache hit ratio:/);
  });
});
