import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { openStore } from '../../../agent/state/open.js';
import { hourOf } from '../../../agent/state/rollup.js';
import type { Store } from '../../../agent/state/store.js';
import { freePort } from '../../support/free-port.js';
import { type PostgresServer, startPostgres } from '../../support/postgres.js';

// A real incident survives the agent's death: every ordinary slot of a real PostgreSQL is
// held (pool-saturation), the agent process is SIGKILLed mid-incident and started again on the
// same data directory. The episode keeps its firstSeen and goes on counting, resolves once the
// connections are released with its history intact, and the hours the agent ran are rolled up.

const ROOT = resolve(import.meta.dirname, '..', '..', '..');
const MAX_CONNECTIONS = 12;
const RESERVED = 2;
const FINDING_ID = 'pool-saturation:plant:connections';

interface FindingDoc {
  id: string;
  status: string;
  severity: string;
  firstSeen: string;
  lastSeen: string;
  resolvedAt: string | null;
  occurrences: number;
  severityChanges: { at: string; from: string | null; to: string }[];
  worst: { severity: string; evidence: Record<string, unknown> };
}

class AgentProcess {
  readonly child: ChildProcess;
  stderr = '';
  constructor(configPath: string) {
    this.child = spawn(
      process.execPath,
      ['--import', 'tsx', 'agent/cli/main.ts', 'agent', '--config', configPath],
      {
        cwd: ROOT,
        env: { ...process.env, DBDIAG_LOG_LEVEL: 'info' },
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    this.child.stderr?.on('data', (chunk: Buffer) => {
      this.stderr += chunk.toString('utf8');
    });
  }
  kill(signal: NodeJS.Signals): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return Promise.resolve();
    return new Promise((done) => {
      this.child.once('exit', () => done());
      this.child.kill(signal);
    });
  }
  /** log lines (pino JSON) about the incident's finding with this message prefix */
  logLines(prefix: string): Record<string, unknown>[] {
    return this.stderr
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .filter((l) => l.findingId === FINDING_ID && typeof l.msg === 'string' && l.msg.startsWith(prefix));
  }
}

async function until<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs: number,
  agent?: AgentProcess,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}\n${agent?.stderr.slice(-3000) ?? ''}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

async function findings(base: string, query = ''): Promise<FindingDoc[]> {
  const res = await fetch(`${base}/api/findings${query}`);
  if (!res.ok) throw new Error(`HTTP ${res.status}`);
  return ((await res.json()) as { findings: FindingDoc[] }).findings;
}

describe('the life of a finding across an agent killed mid-incident (PostgreSQL 15, SQLite store)', () => {
  let server: PostgresServer;
  let dataDir: string;
  let configPath: string;
  let base: string;
  let first: AgentProcess | undefined;
  let second: AgentProcess | undefined;
  const held: pg.Client[] = [];
  const startedAt = Date.now();

  beforeAll(async () => {
    server = await startPostgres({
      version: 15,
      settings: { max_connections: MAX_CONNECTIONS, superuser_reserved_connections: RESERVED },
    });
    await server.query('CREATE ROLE app LOGIN');
    dataDir = mkdtempSync(join(tmpdir(), 'dbdiag-restart-'));
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    configPath = join(dataDir, 'dbdiag.yml');
    writeFileSync(
      configPath,
      stringify({
        listen: `127.0.0.1:${port}`,
        intervalSeconds: 1,
        dataDir: join(dataDir, 'state'),
        thresholds: { saturationWindowSeconds: 3, resolveAfterSeconds: 10 },
        targets: [{ name: 'plant', dsn: server.url({ applicationName: 'dbdiag' }) }],
      }),
    );
  });

  afterAll(async () => {
    await first?.kill('SIGKILL');
    await second?.kill('SIGTERM');
    for (const c of held) await c.end().catch(() => undefined);
    await server?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  let firstSeen: string;
  let occurrencesBeforeKill: number;

  it('raises pool-saturation when the application holds every ordinary slot, and stores it within one interval', async () => {
    first = new AgentProcess(configPath);
    await until(
      'the agent to answer',
      async () => ((await fetch(`${base}/healthz`)).ok ? true : undefined),
      60_000,
      first,
    );
    // the application takes every slot ordinary roles can have
    for (;;) {
      const client = new pg.Client({ connectionString: server.url({ user: 'app' }) });
      client.on('error', () => {});
      try {
        await client.connect();
        held.push(client);
      } catch (error) {
        if ((error as { code?: string }).code === '53300') break;
        throw error;
      }
    }
    const raised = await until(
      'pool-saturation',
      async () => (await findings(base, '?status=active')).find((f) => f.id === FINDING_ID),
      60_000,
      first,
    );
    firstSeen = raised.firstSeen;
    expect(raised.status).toBe('active');
    // within one sampling interval (1 s) plus the writer's batch delay, the store has it
    await new Promise((r) => setTimeout(r, 2500));
    const store = await openStore({ dataDir: join(dataDir, 'state') }, { mustExist: true });
    try {
      const [stored] = await store.findings({ status: 'active', target: 'plant', kind: 'pool-saturation' });
      expect(stored?.finding.id).toBe(FINDING_ID);
      expect(new Date(stored!.firstSeen).toISOString()).toBe(firstSeen);
      occurrencesBeforeKill = stored!.occurrences;
      expect(occurrencesBeforeKill).toBeGreaterThanOrEqual(1);
    } finally {
      await store.close();
    }
    expect(first.logLines('finding raised')).toHaveLength(1);
    expect(first.logLines('finding raised')[0]).toMatchObject({
      level: 30,
      findingId: FINDING_ID,
      kind: 'pool-saturation',
    });
  });

  it('an agent SIGKILLed mid-incident and started again keeps the episode: same firstSeen, more occurrences, not raised again', async () => {
    await first!.kill('SIGKILL');
    second = new AgentProcess(configPath);
    const after = await until(
      'the restored episode to be seen again',
      async () => {
        const f = (await findings(base, '?status=active')).find((x) => x.id === FINDING_ID);
        return f && f.occurrences > occurrencesBeforeKill ? f : undefined;
      },
      60_000,
      second,
    );
    expect(after.firstSeen).toBe(firstSeen);
    expect(Date.parse(after.lastSeen)).toBeGreaterThan(Date.parse(firstSeen));
    expect(second.logLines('finding raised')).toHaveLength(0);
  });

  it('resolves once the connections are released, with its history intact', async () => {
    for (const c of held.splice(0)) await c.end().catch(() => undefined);
    const resolved = await until(
      'the episode to resolve',
      async () =>
        (await findings(base, '?status=resolved&target=plant&kind=pool-saturation')).find(
          (f) => f.id === FINDING_ID,
        ),
      60_000,
      second,
    );
    expect(resolved.firstSeen).toBe(firstSeen);
    expect(resolved.resolvedAt).not.toBeNull();
    expect(resolved.occurrences).toBeGreaterThan(occurrencesBeforeKill);
    expect(resolved.severityChanges[0]).toMatchObject({ at: firstSeen, from: null });
    expect(resolved.worst.severity).toBe('critical');
    expect(await findings(base, '?status=active&kind=pool-saturation')).toEqual([]);
    expect(second!.logLines('finding resolved')).toHaveLength(1);
    // the same history through the CLI, from the data directory, and its events: raised once, resolved once
    await new Promise((r) => setTimeout(r, 1500));
    const cli = spawnSync(
      process.execPath,
      [
        '--import',
        'tsx',
        'agent/cli/main.ts',
        'findings',
        '--config',
        configPath,
        '--status',
        'resolved',
        '--format',
        'json',
      ],
      { cwd: ROOT, encoding: 'utf8' },
    );
    expect(cli.status, cli.stderr).toBe(0);
    const fromCli = (JSON.parse(cli.stdout) as { findings: FindingDoc[] }).findings.find(
      (f) => f.id === FINDING_ID,
    );
    expect(fromCli).toMatchObject({ firstSeen, status: 'resolved', resolvedAt: resolved.resolvedAt });
    const store: Store = await openStore({ dataDir: join(dataDir, 'state') }, { mustExist: true });
    try {
      const events = await store.findingEvents(FINDING_ID, Date.parse(firstSeen));
      expect(events.filter((e) => e.type === 'raised')).toHaveLength(1);
      expect(events.filter((e) => e.type === 'resolved')).toHaveLength(1);
    } finally {
      await store.close();
    }
  });

  it('has the rollups of the hours the agents ran: saturation, connections, statements', async () => {
    // (retried: a kept-alive socket the agent already closed fails the first request)
    const lastSampleAt = await until(
      'the last sample time',
      async () => {
        const doc = (await (await fetch(`${base}/api/targets`)).json()) as {
          targets: { lastSampleAt: string | null }[];
        };
        const at = doc.targets[0]?.lastSampleAt;
        return at ? Date.parse(at) : undefined;
      },
      10_000,
      second,
    );
    await second!.kill('SIGTERM');
    const endedAt = Date.now();
    const store = await openStore({ dataDir: join(dataDir, 'state') }, { mustExist: true });
    try {
      const rollups = await store.rollups({ target: 'plant', from: hourOf(startedAt) });
      // one rollup for every hour the agents sampled in, without a gap: the hours of the incident
      // and of the last sample read before the stop are there (a run may cross an hour: the first
      // sample may fall in the hour after startedAt, one last sample in the hour after lastSampleAt)
      const hours = rollups.map((r) => r.hour);
      const HOUR = 3_600_000;
      expect(hours).toEqual(hours.map((_, i) => hours[0]! + i * HOUR));
      expect(hours).toContain(hourOf(Date.parse(firstSeen)));
      expect(hours).toContain(hourOf(lastSampleAt));
      expect(hours[0]).toBeGreaterThanOrEqual(hourOf(startedAt));
      expect(hours.at(-1)).toBeLessThanOrEqual(hourOf(endedAt));
      const samples = rollups.reduce((n, r) => n + r.samples, 0);
      expect(samples).toBeGreaterThan(10);
      expect(Math.max(...rollups.map((r) => r.saturationMax ?? 0))).toBe(1);
      expect(rollups.reduce((n, r) => n + r.saturationWarningMinutes, 0)).toBeGreaterThan(0);
      expect(Math.max(...rollups.map((r) => r.connections?.used.peak ?? 0))).toBe(MAX_CONNECTIONS - RESERVED);
      expect(rollups.some((r) => r.serverVersion?.startsWith('15'))).toBe(true);
      expect((await store.currentSettings('plant')).max_connections).toBe(String(MAX_CONNECTIONS));
      const info = spawnSync(
        process.execPath,
        ['--import', 'tsx', 'agent/cli/main.ts', 'store', 'info', '--config', configPath],
        {
          cwd: ROOT,
          encoding: 'utf8',
        },
      );
      expect(info.status, info.stderr).toBe(0);
      expect(info.stdout).toMatch(/store: +sqlite .*dbdiag\.sqlite/);
      expect(info.stdout).toMatch(/targets: +plant/);
    } finally {
      await store.close();
    }
  });
});
