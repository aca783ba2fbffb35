import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Finding } from '../../../agent/findings/finding.js';

// `dbdiag demo --fix --json` end to end, as a user runs it: the CLI in its own process, with
// its embedded PostgreSQL, the application's load, the agent, the fix and the recovery. One
// run (about a minute and a half on 2 cores) feeds every check below.

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
/** longest incident phase; the demo ends it as soon as the full diagnosis is in */
const DURATION_SECONDS = 150;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  /** /api/findings fetched while the demo ran, right after it printed the diagnosis */
  liveFindings: Finding[] | null;
  liveMetrics: string | null;
}

function runDemo(): Promise<Run> {
  const child: ChildProcess = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      'agent/cli/main.ts',
      'demo',
      '--fix',
      '--json',
      '--duration',
      String(DURATION_SECONDS),
    ],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, DBDIAG_LOG_LEVEL: 'warn' } },
  );
  const run: Run = { code: null, stdout: '', stderr: '', liveFindings: null, liveMetrics: null };
  let fetching: Promise<void> | null = null;
  child.stdout?.on('data', (chunk: Buffer) => {
    run.stdout += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    run.stderr += chunk.toString();
    const url = /agent sampling every [\d.]+ s: (http:\/\/127\.0\.0\.1:\d+)\/metrics/.exec(run.stderr)?.[1];
    if (url && fetching === null && run.stderr.includes('Diagnosis complete')) {
      fetching = (async () => {
        const doc = (await (await fetch(`${url}/api/findings`)).json()) as { findings: Finding[] };
        run.liveFindings = doc.findings;
        run.liveMetrics = await (await fetch(`${url}/metrics`)).text();
      })().catch(() => undefined);
    }
  });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => {
      run.code = code;
      void Promise.resolve(fetching).then(() => resolve(run));
    });
  });
}

let run: Run;
let findings: Finding[];

function byKind(kind: string): Finding[] {
  return findings.filter((f) => f.kind === kind);
}

function historyIndexFinding(): Finding | undefined {
  return byKind('missing-index').find(
    (f) => f.fix?.index?.table.split('.').at(-1) === 'work_order_history_details',
  );
}

describe('dbdiag demo --fix --json', () => {
  beforeAll(async () => {
    run = await runDemo();
    if (run.code !== 0) throw new Error(`demo exited with ${run.code}:\n${run.stderr.slice(-4000)}`);
    findings = (JSON.parse(run.stdout) as { findings: Finding[] }).findings;
  }, 300_000);

  it('prints exactly one JSON object with the findings on stdout, and narrates on stderr', () => {
    expect(Array.isArray(findings)).toBe(true);
    expect(run.stdout.trim().startsWith('{')).toBe(true);
    expect(run.stderr).toContain('dbdiag demo — summary');
  });

  it('reproduces the outage: new work orders fail with "sorry, too many clients already"', () => {
    expect(run.stderr).toMatch(/new work orders [\d.]+\/s ok, [\d.]+\/s FAILED/);
    expect(run.stderr).toContain('"sorry, too many clients already"');
  });

  it('finds the pool saturated: critical, 100 of 100 connections, with the active/idle split and a stop-gap', () => {
    const [saturation] = byKind('pool-saturation');
    expect(saturation?.severity).toBe('critical');
    expect(saturation?.evidence.used).toBe(100);
    expect(saturation?.evidence.max).toBe(100);
    expect(typeof saturation?.evidence.active).toBe('number');
    expect(typeof saturation?.evidence.idle).toBe('number');
    expect(saturation?.fix?.details?.proposedMaxConnections).toBeGreaterThan(100);
    expect(saturation?.runbook).toMatch(/\/runbooks\/pool-saturation\.md$/);
  });

  it('finds the missing composite index on the history table, work-order key leading, with online DDL', () => {
    const index = historyIndexFinding();
    expect(index?.fix?.index?.columns[0]).toBe('work_order_id');
    expect(index?.fix?.index?.columns.length).toBeGreaterThan(1);
    expect(index?.fix?.statements.join('\n')).toMatch(
      /CREATE INDEX CONCURRENTLY \S+ ON \S*work_order_history_details \(work_order_id, /,
    );
    expect(index?.runbook).toMatch(/\/runbooks\/missing-index\.md$/);
  });

  it('proves the index cost reduction on the sandbox (built in a rolled-back transaction, no HypoPG): at least half the plan cost', () => {
    const details = historyIndexFinding()?.fix?.details;
    const before = Number(details?.costBefore);
    const after = Number(details?.costAfter);
    expect(details?.proof).toBe('sandbox build, rolled back');
    expect(before).toBeGreaterThan(after);
    expect(after).toBeLessThanOrEqual(before * 0.5);
    expect(run.stderr).toMatch(
      /proof: plan cost [\d,]+ -> [\d,.]+ \(-\d+\.\d%\) — sandbox build, rolled back/,
    );
  });

  it('links them: the missing index is what explains the saturation', () => {
    const [saturation] = byKind('pool-saturation');
    const index = historyIndexFinding();
    expect(index).toBeDefined();
    expect(saturation?.related).toContain(index?.id);
  });

  it('serves /api/findings and /metrics while it runs', () => {
    expect(run.liveFindings?.some((f) => f.kind === 'pool-saturation')).toBe(true);
    expect(run.liveMetrics).toMatch(/^dbdiag_up\{[^}]*target="plant-db"[^}]*\} 1$/m);
  });

  it('--fix applies the index online and the findings resolve as the app recovers', () => {
    expect(run.stderr).toMatch(/Index built in [\d.]+ s/);
    expect(run.stderr).toContain('[RESOLVED] pool-saturation');
    expect(run.stderr).toContain('[RESOLVED] missing-index');
    expect(run.stderr).toMatch(/Recovery +read p95 /);
  });

  it('removes the sandbox data directory on exit', () => {
    const dir = /data in (\S+), removed on exit/.exec(run.stderr)?.[1];
    expect(dir).toBeDefined();
    expect(existsSync(dir ?? '/nonexistent-but-checked')).toBe(false);
  });
});
