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

describe('dbdiag drill run --mode team (connection-leak, PostgreSQL)', () => {
  it('shows the runbook, records the steps the team marks on stdin and when the symptom cleared', async () => {
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        'agent/cli/main.ts',
        'drill',
        'run',
        'connection-leak',
        '--mode',
        'team',
        '--format',
        'json',
        '--scale',
        'small',
        '--no-alerts',
        '--team-limit',
        '120',
        '--data-dir',
        dataDir,
      ],
      { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, DBDIAG_LOG_LEVEL: 'warn' } },
    );
    let stdout = '';
    let stderr = '';
    let worked: Promise<number> | null = null;
    child.stdout.on('data', (c: Buffer) => {
      stdout += c.toString();
    });
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString();
      const dsn = /The faulty server: (\S+)/.exec(stderr)?.[1];
      if (worked === null && dsn !== undefined && stderr.includes('Mark each step')) worked = teamWorks(dsn);
    });
    /** what the team does: finds the owner, ends the leaked sessions, says so */
    const teamWorks = async (dsn: string): Promise<number> => {
      child.stdin.write('1\n');
      const client = new pg.Client({ connectionString: dsn });
      await client.connect();
      try {
        const { rowCount } = await client.query(
          `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
            WHERE datname = current_database() AND state = 'idle in transaction' AND pid <> pg_backend_pid()`,
        );
        child.stdin.write('2\n');
        child.stdin.write('told the application team about the missing COMMIT\n');
        return rowCount ?? 0;
      } finally {
        await client.end();
      }
    };
    const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
    expect(worked, stderr).not.toBeNull();
    expect(await (worked as unknown as Promise<number>)).toBeGreaterThan(0);
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
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        'agent/cli/main.ts',
        'drill',
        'run',
        'plant-incident',
        '--mode',
        'team',
        '--format',
        'json',
        '--scale',
        'small',
        '--no-alerts',
        '--team-limit',
        '150',
        '--data-dir',
        dataDir,
      ],
      { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, DBDIAG_LOG_LEVEL: 'warn' } },
    );
    let stdout = '';
    let stderr = '';
    let worked: Promise<string> | null = null;
    child.stdout.on('data', (c: Buffer) => {
      stdout += c.toString();
    });
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString();
      const dsn = /The faulty server: (\S+)/.exec(stderr)?.[1];
      if (worked === null && dsn !== undefined && stderr.includes('Mark each step')) worked = teamWorks(dsn);
    });
    /**
     * What the team does: step 1 of the runbook, the missing index, built online. The
     * application holds all of its 100 slots; in team mode the server keeps three more for
     * administrators (superuser_reserved_connections), so the team's session gets in at once.
     */
    const teamWorks = async (dsn: string): Promise<string> => {
      const client = new pg.Client({ connectionString: dsn });
      await client.connect();
      try {
        const statement =
          'CREATE INDEX CONCURRENTLY wohd_team_idx ON work_order_history_details (work_order_id, operation_seq)';
        await client.query(statement);
        child.stdin.write('1\n');
        return statement;
      } finally {
        await client.end();
      }
    };
    const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
    expect(worked, stderr).not.toBeNull();
    await (worked as unknown as Promise<string>);
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
