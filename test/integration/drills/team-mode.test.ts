import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { type Scorecard, scorecardErrors } from '../../../agent/drills/scorecard.js';

// Team mode through the terminal, as a team runs it: `dbdiag drill run connection-leak --mode
// team` shows the runbook's Mitigation and the faulty server, then waits. The "team" (this test)
// marks step 1 on stdin, ends the leaked sessions itself on that server, marks step 2 and a step
// in its own words; dbdiag applies nothing, sees the findings resolve and the requests clean, and
// the scorecard records each step with its time since t0 and when the symptom cleared.

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const dataDir = mkdtempSync(join(tmpdir(), 'drill-team-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

interface TeamRun<T> {
  code: number | null;
  stdout: string;
  stderr: string;
  /** what the team's work returned; null when the drill never handed over */
  worked: T | null;
}

/**
 * `dbdiag drill run SCENARIO --mode team` on PostgreSQL in its own process; once the terminal
 * shows the runbook and the faulty server, `team` works on that server (the DSN) and marks its
 * steps on the drill's stdin.
 */
async function teamDrill<T>(
  scenario: string,
  limitSeconds: number,
  team: (dsn: string, mark: (line: string) => void) => Promise<T>,
): Promise<TeamRun<T>> {
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      'agent/cli/main.ts',
      'drill',
      'run',
      scenario,
      '--mode',
      'team',
      '--format',
      'json',
      '--scale',
      'small',
      '--no-alerts',
      '--team-limit',
      String(limitSeconds),
      '--data-dir',
      dataDir,
    ],
    { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, DBDIAG_LOG_LEVEL: 'warn' } },
  );
  let stdout = '';
  let stderr = '';
  let worked: Promise<T> | null = null;
  let failed: unknown = null;
  child.stdout.on('data', (c: Buffer) => {
    stdout += c.toString();
  });
  child.stderr.on('data', (c: Buffer) => {
    stderr += c.toString();
    const dsn = /The faulty server: (\S+)/.exec(stderr)?.[1];
    if (worked === null && dsn !== undefined && stderr.includes('Mark each step'))
      worked = team(dsn, (line) => child.stdin.write(`${line}\n`)).catch((error: unknown) => {
        // kept for the end: a rejection here must not go unhandled while the drill runs on
        failed = error;
        return null as T;
      });
  });
  const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
  const result = worked === null ? null : await worked;
  if (failed !== null) throw failed;
  return { code, stdout, stderr, worked: result };
}

describe('dbdiag drill run --mode team (connection-leak, PostgreSQL)', () => {
  it('shows the runbook, records the steps the team marks on stdin and when the symptom cleared', async () => {
    /** what the team does: finds the owner, ends the leaked sessions, says so */
    const { code, stdout, stderr, worked } = await teamDrill('connection-leak', 120, async (dsn, mark) => {
      mark('1');
      const client = new pg.Client({ connectionString: dsn });
      await client.connect();
      try {
        const { rowCount } = await client.query(
          `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
            WHERE datname = current_database() AND state = 'idle in transaction' AND pid <> pg_backend_pid()`,
        );
        mark('2');
        mark('told the application team about the missing COMMIT');
        return rowCount ?? 0;
      } finally {
        await client.end();
      }
    });
    expect(worked, stderr).not.toBeNull();
    expect(worked as number).toBeGreaterThan(0);
    const card = JSON.parse(stdout) as Scorecard;
    const story = `${stderr}\n${JSON.stringify(card.failures)}`;
    expect(await scorecardErrors(card)).toEqual([]);
    expect(code, story).toBe(0);
    expect(card).toMatchObject({ mode: 'team', result: 'pass' });
    // the runbook was shown in the terminal
    expect(stderr).toContain('TEAM MODE');
    expect(stderr).toContain('2. End the session.');
    // dbdiag applied nothing: the team did
    expect(card.mitigation).toEqual({ applied: false, actions: [] });
    const team = card.team;
    expect(team?.runbook).toMatch(/\/runbooks\/idle-in-transaction\.md$/);
    expect(team?.steps[1]).toMatch(/^End the session/);
    expect(team?.done.map((d) => d.step)).toEqual([1, 2, null]);
    expect(team?.done[1]?.text).toMatch(/^End the session/);
    expect(team?.done[2]?.text).toBe('told the application team about the missing COMMIT');
    expect(team?.gaveUp).toBe(false);
    // each step after the detection; the symptom cleared after the steps that cleared it
    const at = team?.done.map((d) => d.atSeconds) ?? [];
    expect(at[0] as number).toBeGreaterThanOrEqual(card.times.detectSeconds as number);
    expect([...at].sort((a, b) => a - b)).toEqual(at);
    expect(team?.symptomClearedSeconds).not.toBeNull();
    expect(team?.symptomClearedSeconds as number).toBeGreaterThanOrEqual(at[1] as number);
    expect(card.times.mitigateSeconds).toBe(
      Math.max(...at.filter((s) => s <= (team?.symptomClearedSeconds as number))),
    );
    expect(card.times.recoverSeconds).toBe(team?.symptomClearedSeconds);
    expect(card.cleanup).toMatchObject({ ok: true, leftovers: [] });
  });
});

describe('dbdiag drill run plant-incident --mode team (PostgreSQL)', () => {
  it('shows the pool-saturation runbook after the diagnosis; the team builds the index; the scorecard times their steps', async () => {
    /**
     * What the team does: step 1 of the runbook, the missing index, built online. The
     * application holds all of its 100 slots; in team mode the server keeps five more for
     * administrators (superuser_reserved_connections); the team retries for a while, as a DBA
     * would, should the drill's own administrator sessions hold them for a moment.
     */
    const { code, stdout, stderr, worked } = await teamDrill('plant-incident', 150, async (dsn, mark) => {
      const client = await connectWithin(dsn, 30_000);
      try {
        await client.query(
          'CREATE INDEX CONCURRENTLY wohd_team_idx ON work_order_history_details (work_order_id, operation_seq)',
        );
        mark('1');
        return true;
      } finally {
        await client.end();
      }
    });
    expect(worked, stderr).toBe(true);
    const card = JSON.parse(stdout) as Scorecard;
    const story = `${stderr.slice(-6000)}\n${JSON.stringify(card.failures)}`;
    expect(await scorecardErrors(card)).toEqual([]);
    expect(code, story).toBe(0);
    expect(card).toMatchObject({ scenario: 'plant-incident', mode: 'team', result: 'pass' });
    expect(stderr).toContain('TEAM MODE');
    expect(stderr).toMatch(/1\. If `related` names missing-index findings: apply them first/);
    // the application was refused once only the administrators' slots were left
    expect(stderr).toContain(
      'remaining connection slots are reserved for roles with the SUPERUSER attribute',
    );
    // dbdiag applied nothing: the team did
    expect(card.mitigation).toEqual({ applied: false, actions: [] });
    const team = card.team;
    expect(team?.runbook).toMatch(/\/runbooks\/pool-saturation\.md$/);
    expect(team?.done.map((d) => d.step)).toEqual([1]);
    expect(team?.done[0]?.atSeconds as number).toBeGreaterThanOrEqual(card.times.detectSeconds as number);
    expect(team?.symptomClearedSeconds, story).not.toBeNull();
    expect(card.times.mitigateSeconds).toBe(team?.done[0]?.atSeconds);
    expect(card.times.recoverSeconds as number).toBeGreaterThanOrEqual(card.times.mitigateSeconds as number);
    expect(card.symptom.recoveryErrors).toBe(0);
    expect(card.cleanup).toMatchObject({ ok: true, leftovers: [] });
  });
});

/** A session on `dsn`, retried every 250 ms while the server refuses it (full), for up to `ms`. */
async function connectWithin(dsn: string, ms: number): Promise<pg.Client> {
  const deadline = Date.now() + ms;
  for (;;) {
    const client = new pg.Client({ connectionString: dsn });
    try {
      await client.connect();
      return client;
    } catch (error) {
      await client.end().catch(() => undefined);
      if (Date.now() > deadline) throw error;
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}
