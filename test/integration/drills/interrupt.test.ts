import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

// Ctrl-C in the middle of the injection (the application's load is running against the
// sandbox): the drill stops the load, removes the sandbox and exits 130, leaving no directory
// and no server process; an interrupted run is not stored as a scorecard to compare with.

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const dataDir = mkdtempSync(join(tmpdir(), 'drill-sigint-'));

function drillRemains(): string[] {
  const dirs = readdirSync(tmpdir()).filter((n) => n.startsWith('dbdiag-drill-'));
  const processes: string[] = [];
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      if (readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('dbdiag-drill-'))
        processes.push(`pid ${pid}`);
    } catch {
      // gone meanwhile
    }
  }
  return [...dirs, ...processes];
}

afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

describe('dbdiag drill run, interrupted mid-injection', () => {
  it('exits 130 and leaves nothing behind', async () => {
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        'agent/cli/main.ts',
        'drill',
        'run',
        'plant-incident',
        '--scale',
        'small',
        '--data-dir',
        dataDir,
      ],
      { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, DBDIAG_LOG_LEVEL: 'warn' } },
    );
    let output = '';
    let sandboxDir: string | null = null;
    let interruptedAt: string | null = null;
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      sandboxDir ??= /data in (\S+dbdiag-drill-\S+), removed on exit/.exec(output)?.[1] ?? null;
      // the load is running: the first application line is out
      if (interruptedAt === null && /\napp \d+:\d+ \|/.test(output)) {
        interruptedAt = output.slice(-200);
        child.kill('SIGINT');
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
    expect(interruptedAt, output).not.toBeNull();
    expect(code, output).toBe(130);
    expect(output).toContain('interrupted');
    expect(sandboxDir).not.toBeNull();
    expect(drillRemains()).toEqual([]);
    const history = spawn(
      process.execPath,
      ['--import', 'tsx', 'agent/cli/main.ts', 'drill', 'history', '--data-dir', dataDir],
      { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let listed = '';
    history.stdout.on('data', (c: Buffer) => {
      listed += c.toString();
    });
    await new Promise((resolve) => history.once('close', resolve));
    expect(listed.trim()).toBe('no drills recorded');
  });
});
