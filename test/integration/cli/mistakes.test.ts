import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../../support/free-port.js';

// Every ordinary mistake of issue 10, made with the real CLI: one line on stderr naming the
// problem, a non-zero exit, no stack trace, no full help. No server is needed: each mistake is
// caught before a database is reached.

const dir = mkdtempSync(join(tmpdir(), 'dbdiag-mistakes-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, content: string | Buffer): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the CLI from source; asynchronously, so the test worker stays responsive meanwhile. */
function dbdiag(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', 'agent/cli/main.ts', ...args],
      { encoding: 'utf8', timeout: 60_000, env: { ...process.env, DBDIAG_DEBUG: '', ...env } },
      (error, stdout, stderr) => {
        const status = error === null ? 0 : typeof error.code === 'number' ? error.code : null;
        resolve({ status, stdout, stderr });
      },
    );
  });
}

/** The shape every mistake must have; returns the line for the specific check. */
function oneLineMistake(run: Run): string {
  expect(run.status).not.toBe(0);
  expect(run.status).not.toBeNull();
  const lines = run.stderr.trimEnd().split('\n');
  expect(lines, run.stderr).toHaveLength(1);
  expect(run.stderr).not.toMatch(/^\s+at /m);
  expect(run.stderr).not.toMatch(/Options:|Commands:/);
  expect(run.stdout).toBe('');
  return lines[0]!;
}

const DSN = 'postgres://mon@127.0.0.1:1/plant';
const TARGET = `targets:\n  - name: plant\n    dsn: ${DSN}\n`;

describe('digest mistakes', () => {
  it('a missing file', async () => {
    expect(oneLineMistake(await dbdiag(['digest', join(dir, 'nope.log')]))).toMatch(
      /^dbdiag digest: log file ".*nope\.log" does not exist: check the path$/,
    );
  });

  it('a directory', async () => {
    expect(oneLineMistake(await dbdiag(['digest', dir]))).toMatch(/is a directory: give the log files in it/);
  });

  it('--since yesterday', async () => {
    const log = file('a.log', '');
    expect(oneLineMistake(await dbdiag(['digest', log, '--since', 'yesterday']))).toMatch(
      /--since "yesterday" is not a date: use ISO 8601/,
    );
  });

  it('--max-classes abc, and a cap far above what memory allows', async () => {
    const log = file('b.log', '');
    expect(oneLineMistake(await dbdiag(['digest', log, '--max-classes', 'abc']))).toMatch(
      /--max-classes must be a whole number from 1 to 50000/,
    );
    expect(oneLineMistake(await dbdiag(['digest', log, '--max-classes', '300000']))).toMatch(/--max-classes/);
  });

  it('a truncated .gz is an error, not an empty report', async () => {
    const whole = gzipSync(
      Buffer.from('# Time: 2024-05-01T10:00:00Z\n# Query_time: 1.0\nSELECT 1;\n'.repeat(2000)),
    );
    const truncated = file('cut.log.gz', whole.subarray(0, Math.floor(whole.length / 2)));
    expect(oneLineMistake(await dbdiag(['digest', truncated]))).toMatch(
      /cut\.log\.gz": the gzip data is truncated or corrupt/,
    );
  });

  it('an unknown flag', async () => {
    expect(oneLineMistake(await dbdiag(['digest', '--bogus']))).toMatch(/Unknown argument: bogus/);
  });
});

describe('config mistakes (agent)', () => {
  it('`target:` instead of `targets:`', async () => {
    const config = file('target.yaml', TARGET.replace('targets:', 'target:'));
    expect(oneLineMistake(await dbdiag(['agent', '--config', config]))).toMatch(
      /target: unknown key — did you mean "targets"\?/,
    );
  });

  it('intervalSecond', async () => {
    const config = file('interval.yaml', `intervalSecond: 5\n${TARGET}`);
    expect(oneLineMistake(await dbdiag(['agent', '--config', config]))).toMatch(
      /did you mean "intervalSeconds"/,
    );
  });

  it('saturationWarningRatoi', async () => {
    const config = file('ratoi.yaml', `thresholds:\n  saturationWarningRatoi: 0.8\n${TARGET}`);
    expect(oneLineMistake(await dbdiag(['agent', '--config', config]))).toMatch(
      /did you mean "saturationWarningRatio"/,
    );
  });

  it('warning 1.5 above critical 0.5', async () => {
    const config = file(
      'levels.yaml',
      `thresholds:\n  saturationWarningRatio: 1.5\n  saturationCriticalRatio: 0.5\n${TARGET}`,
    );
    expect(oneLineMistake(await dbdiag(['agent', '--config', config]))).toMatch(/saturationWarningRatio/);
  });

  it('no targets at all: refused, not an agent that looks healthy', async () => {
    const config = file('empty.yaml', 'intervalSeconds: 15\n');
    expect(oneLineMistake(await dbdiag(['agent', '--config', config]))).toMatch(/no targets to monitor/);
  });

  it('--interval 0.001', async () => {
    expect(oneLineMistake(await dbdiag(['agent', '--url', DSN, '--interval', '0.001']))).toMatch(
      /--interval must be a number from 1 to 3600 seconds/,
    );
  });

  it('an unset dsnEnv', async () => {
    const config = file('env.yaml', 'targets:\n  - name: plant\n    dsnEnv: DBDIAG_TEST_UNSET_DSN\n');
    expect(
      oneLineMistake(await dbdiag(['agent', '--config', config], { DBDIAG_TEST_UNSET_DSN: '' })),
    ).toMatch(/environment variable DBDIAG_TEST_UNSET_DSN is not set/);
  });

  it('a port in use', async () => {
    const port = await freePort();
    const holder: Server = createServer();
    await new Promise<void>((resolve) => holder.listen(port, '127.0.0.1', resolve));
    try {
      expect(oneLineMistake(await dbdiag(['agent', '--url', DSN, '--listen', String(port)]))).toMatch(
        new RegExp(`cannot listen on ${port}: the address is in use`),
      );
    } finally {
      holder.close();
    }
  });

  it('a web config with a clear-text password', async () => {
    const web = file('web.yml', 'basic_auth_users:\n  prometheus: s3cret\n');
    expect(oneLineMistake(await dbdiag(['agent', '--url', DSN, '--web.config.file', web]))).toMatch(
      /web\.yml: basic_auth_users\.prometheus: not a bcrypt hash/,
    );
  });

  it('a mistyped command', async () => {
    expect(oneLineMistake(await dbdiag(['digst', 'slow.log']))).toBe(
      'dbdiag digst: unknown command "digst" — did you mean "digest"? (dbdiag --help lists the commands)',
    );
  });

  it('no command', async () => {
    expect(oneLineMistake(await dbdiag([]))).toMatch(/name a command/);
  });
});

describe('listen', () => {
  it('--listen PORT binds 127.0.0.1 only', async () => {
    const port = await freePort();
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', 'agent/cli/main.ts', 'agent', '--url', DSN, '--listen', String(port)],
      {
        env: { ...process.env, DBDIAG_LOG_LEVEL: 'error' },
      },
    );
    try {
      const line = await new Promise<string>((resolve, reject) => {
        let text = '';
        child.stderr.on('data', (chunk: Buffer) => {
          text += chunk.toString();
          const match = /serving (\S+)\/metrics/.exec(text);
          if (match) resolve(match[1]!);
        });
        child.once('exit', () => reject(new Error(`agent exited: ${text}`)));
      });
      expect(line).toBe(`http://127.0.0.1:${port}`);
    } finally {
      child.kill('SIGTERM');
    }
  });
});
