import { spawn } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Scorecard } from '../../../agent/drills/scorecard.js';
import { scorecardErrors } from '../../../agent/drills/scorecard.js';
import { MARKER_FILE } from '../../../agent/sandbox/sandbox-dir.js';

// `dbdiag drill run plant-incident` end to end, as a user runs it: the CLI in its own process
// starts a sandbox MariaDB, the plant's data, the agent (2 s sampling), the rising load; the
// agent's findings, the index applied from the finding's action, the recovery; the scorecard on
// stdout. On PostgreSQL the same scenario runs as `dbdiag demo --fix` (auto) and in team mode.
// The comparison with the previous run and `drill history` are proven with a short scenario
// (scenarios.test.ts). A killed run's leftover (a marked directory whose owner is gone) is
// removed by the next run.

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

interface Run {
  pid: number;
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
  const run: Run = { pid: child.pid ?? -1, code: null, stdout: '', stderr: '' };
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

/**
 * What a run left: dbdiag-drill-* directories its process owns (their marker names it), and
 * server processes running in such a directory or in one already removed. Other sessions'
 * drills running meanwhile (their directories exist, their owner is not this run) are not counted.
 */
function drillRemains(run: Run): string[] {
  const ours = (dir: string) => {
    try {
      return (
        (JSON.parse(readFileSync(join(dir, MARKER_FILE), 'utf8')) as { ownerPid?: number }).ownerPid ===
        run.pid
      );
    } catch {
      return false;
    }
  };
  const dirs = readdirSync(tmpdir())
    .filter((n) => n.startsWith('dbdiag-drill-'))
    .filter((n) => ours(join(tmpdir(), n)));
  const processes: string[] = [];
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
      for (const [path] of cmdline.matchAll(new RegExp(`${tmpdir()}/dbdiag-drill-[^/ ]+`, 'g'))) {
        if (!existsSync(path) || ours(path)) processes.push(`pid ${pid}: ${cmdline.slice(0, 120)}`);
      }
    } catch {
      // gone meanwhile
    }
  }
  return [...dirs, ...processes];
}

describe('dbdiag drill run plant-incident --engine mysql (MariaDB from the installed binaries, auto)', () => {
  // The scenario on MariaDB 10.11 (max_connections 100), small scale, one run. Its alerts are
  // timed on a real Prometheus with every rule's for: scaled by 0.1 (1m -> 6 s): the drill
  // mitigates long before a production for: runs out. On PostgreSQL the same scenario runs in
  // auto mode as `dbdiag demo --fix` (test/integration/demo) and in team mode
  // (test/integration/drills/team-mode.test.ts), each a run of its own: CI time.
  const store = mkdtempSync(join(tmpdir(), 'drill-store-mysql-'));
  let run: Run;
  let card: Scorecard;
  let planted: string;

  beforeAll(async () => {
    // what a SIGKILLed drill leaves: a marked directory whose owner process is gone
    planted = join(tmpdir(), `dbdiag-drill-killed-${process.pid}`);
    mkdirSync(planted);
    writeFileSync(
      join(planted, MARKER_FILE),
      JSON.stringify({
        purpose: 'drill',
        engine: 'mysql',
        ownerPid: 2 ** 22 + 7,
        serverPid: null,
        createdAt: '',
      }),
    );
    run = await dbdiag([
      'drill',
      'run',
      'plant-incident',
      '--engine',
      'mysql',
      '--format',
      'json',
      '--scale',
      'small',
      '--alert-for-scale',
      '0.1',
      '--data-dir',
      store,
    ]);
    card = JSON.parse(run.stdout) as Scorecard;
  }, 300_000);

  afterAll(() => {
    rmSync(store, { recursive: true, force: true });
    rmSync(planted, { recursive: true, force: true });
  });

  it('passes: critical pool-saturation linked to the missing index on the history table within 60 s of the load', () => {
    expect(run.code, `${run.stderr.slice(-3000)}\n${JSON.stringify(card.failures)}`).toBe(0);
    expect(card.engine).toBe('mysql');
    expect(card.result).toBe('pass');
    expect(card.times.detectSeconds as number).toBeLessThanOrEqual(60);
    expect(card.findings).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ kind: 'pool-saturation', severity: 'critical' }),
        expect.objectContaining({
          kind: 'missing-index',
          object: expect.stringContaining('work_order_history_details'),
        }),
      ]),
    );
    // the link itself: the narration names the index finding as the saturation's root cause
    expect(run.stderr).toMatch(
      /root cause \(slow JOIN -> connections held longer -> saturation\): missing-index:plant-db:plant\.work_order_history_details\(work_order_id,/,
    );
    expect(card.symptom.incidentErrors).toBeGreaterThan(0);
    // the application's errors in MariaDB's words
    expect(run.stderr).toMatch(/\d+ "Too many connections"/);
  });

  it('mitigates with the finding’s create-index action, online (ALGORITHM=INPLACE, LOCK=NONE), and recovers', () => {
    expect(card.mitigation.applied).toBe(true);
    expect(card.mitigation.actions[0]?.type).toBe('create-index');
    expect(card.mitigation.actions[0]?.statement).toMatch(
      /^ALTER TABLE \S*work_order_history_details ADD INDEX \S+ \(work_order_id, [^)]*\), ALGORITHM=INPLACE, LOCK=NONE/,
    );
    expect(card.times.mitigateSeconds as number).toBeGreaterThan(card.times.detectSeconds as number);
    expect(card.times.recoverSeconds as number).toBeGreaterThanOrEqual(card.times.mitigateSeconds as number);
    expect(card.symptom.recovered).toBe(true);
    expect(card.symptom.recoveryErrors).toBe(0);
    expect(card.runbook.resolved).toBe(true);
    expect(card.runbook.diagnosisRan).toBe(true);
  });

  it('times the alert on a real Prometheus evaluating the rules file (for: scaled, and says so)', () => {
    expect(card.alerts?.measured, card.alertNote).toBe(true);
    expect(card.alertNote).toContain('SCALED by 0.1');
    const critical = card.alerts?.rules.find((r) => r.name === 'DbdiagConnectionSaturationCritical');
    expect(critical?.for).toBe('6s');
    expect(critical?.pendingSeconds, card.alertNote).not.toBeNull();
    expect(critical?.firingSeconds, card.alertNote).not.toBeNull();
    // firing follows pending by at least the (scaled) for:, and the page is the first of them
    expect(critical?.firingSeconds as number).toBeGreaterThanOrEqual(
      (critical?.pendingSeconds as number) + 6 - 0.2,
    );
    expect(card.times.alertSeconds).not.toBeNull();
    expect(card.times.alertSeconds as number).toBeLessThanOrEqual(critical?.firingSeconds as number);
  });

  it('validates, leaves nothing behind (no directory, no server process), and removed the killed run’s leftover', async () => {
    expect(await scorecardErrors(card)).toEqual([]);
    expect(card.previous).toBeNull();
    expect(card.cleanup).toMatchObject({ ok: true, leftovers: [] });
    expect(drillRemains(run)).toEqual([]);
    expect(card.cleanup.removedBefore.join('\n')).toContain(planted);
    expect(run.stderr).toContain(`Removed a sandbox left by an interrupted run: ${planted}`);
  });
});

describe('dbdiag drill run on a target not marked sandbox', () => {
  it('is refused with exit status 4 and a message naming sandbox: true, before connecting', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'drill-refuse-'));
    try {
      const config = join(dir, 'dbdiag.yml');
      // port 1: nothing listens there, so a connection attempt would fail differently
      writeFileSync(config, 'targets:\n  - name: prod\n    dsn: postgres://app@127.0.0.1:1/plant\n');
      const run = await dbdiag([
        'drill',
        'run',
        'plant-incident',
        '--target',
        'prod',
        '--config',
        config,
        '--data-dir',
        dir,
      ]);
      expect(run.code).toBe(4);
      expect(run.stderr).toMatch(/refused: target "prod" is not marked `sandbox: true`/);
      expect(run.stderr).not.toMatch(/ECONNREFUSED/);
      expect(readdirSync(dir)).toEqual(['dbdiag.yml']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
