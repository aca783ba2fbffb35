import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Scorecard, scorecardErrors } from '../../../agent/drills/scorecard.js';

// A scenario run twice into one store, as a team runs it quarter after quarter: the second
// scorecard compares with the first (faster or slower), and `drill history` lists both. The
// CLI in its own process; lock-pileup because it is the shortest drill with a sandbox of its
// own (about 30 s a run), so the plant-incident test runs its long drill once.

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function dbdiag(args: string[]): Promise<Run> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'agent/cli/main.ts', ...args], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, DBDIAG_LOG_LEVEL: 'warn' },
  });
  const run: Run = { code: null, stdout: '', stderr: '' };
  child.stdout.on('data', (c: Buffer) => {
    run.stdout += c.toString();
  });
  child.stderr.on('data', (c: Buffer) => {
    run.stderr += c.toString();
  });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => {
      run.code = code;
      resolve(run);
    });
  });
}

const dataDir = mkdtempSync(join(tmpdir(), 'drill-compare-'));
const drill = [
  'drill',
  'run',
  'lock-pileup',
  '--engine',
  'postgres',
  '--format',
  'json',
  '--scale',
  'small',
  '--no-alerts',
  '--data-dir',
  dataDir,
];
let first: Run;
let second: Run;
let firstCard: Scorecard;
let secondCard: Scorecard;

describe('a drill run twice into one store', () => {
  beforeAll(async () => {
    first = await dbdiag(drill);
    firstCard = JSON.parse(first.stdout) as Scorecard;
    second = await dbdiag(drill);
    secondCard = JSON.parse(second.stdout) as Scorecard;
  }, 240_000);

  afterAll(() => {
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('the scorecards validate; the second compares with the first', async () => {
    expect(first.code, `${first.stderr}\n${JSON.stringify(firstCard.failures)}`).toBe(0);
    expect(await scorecardErrors(firstCard)).toEqual([]);
    expect(await scorecardErrors(secondCard)).toEqual([]);
    expect(firstCard.previous).toBeNull();
    // the comparison is there whatever the second run's result (0 pass, 2 fail: its own failures say why)
    expect([0, 2], second.stderr).toContain(second.code);
    expect(secondCard.previous?.id).toBe(firstCard.id);
    const change = secondCard.previous?.change.detectSeconds;
    expect(change).toBeCloseTo(
      (secondCard.times.detectSeconds as number) - (firstCard.times.detectSeconds as number),
      0,
    );
  });

  it('drill history lists both runs, newest first', async () => {
    const history = await dbdiag(['drill', 'history', 'lock-pileup', '--data-dir', dataDir]);
    expect(history.code, history.stderr).toBe(0);
    const lines = history.stdout.trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toContain(secondCard.finishedAt);
    expect(lines[1]).toContain(firstCard.finishedAt);
  });
});
