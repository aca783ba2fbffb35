import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { freePort } from '../../support/free-port.js';
import { type PostgresServer, startPostgres } from '../../support/postgres.js';

// SIGHUP as `systemctl reload dbdiag` sends it, to the real CLI: the new thresholds change
// what the agent finds while its session to the server stays the same one
// (pg_stat_activity.backend_start), a bad file changes nothing and says so in one line.

const dir = mkdtempSync(join(tmpdir(), 'dbdiag-reload-'));
const configFile = join(dir, 'config.yml');
let server: PostgresServer;
let agent: ChildProcess;
let base = '';
let stderr = '';
let idle: pg.Client;

interface Finding {
  kind: string;
  target: string;
  evidence: Record<string, unknown>;
}

function writeConfig(config: unknown): void {
  writeFileSync(configFile, typeof config === 'string' ? config : stringify(config));
}

function configWith(thresholds: Record<string, number>, extraTargets: { name: string; dsn: string }[] = []) {
  return {
    listen: base.replace('http://', ''),
    intervalSeconds: 1,
    thresholds,
    targets: [{ name: 'plant', dsn: server.url() }, ...extraTargets],
  };
}

async function findings(): Promise<Finding[]> {
  const doc = (await (await fetch(`${base}/api/findings`)).json()) as { findings: Finding[] };
  return doc.findings;
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`timed out waiting for ${what}\n--- agent stderr ---\n${stderr}`);
}

/** The agent's sessions on the server: pid and backend start of each. */
async function agentSessions(): Promise<{ pid: number; backend_start: Date }[]> {
  return server.query<{ pid: number; backend_start: Date }>(
    "SELECT pid, backend_start FROM pg_stat_activity WHERE application_name = 'dbdiag' ORDER BY backend_start",
  );
}

function logLines(): string[] {
  return stderr.split('\n').filter((line) => line.startsWith('{'));
}

beforeAll(async () => {
  server = await startPostgres({ version: 15 });
  base = `http://127.0.0.1:${await freePort()}`;
  writeConfig(configWith({ idleInTransactionSeconds: 3600, idleInTransactionCriticalSeconds: 7200 }));
  agent = spawn(process.execPath, ['--import', 'tsx', 'agent/cli/main.ts', 'agent', '--config', configFile], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  agent.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  await until('the agent to sample its target', async () => {
    const doc = (await (await fetch(`${base}/api/targets`)).json()) as { targets: { up: boolean }[] };
    return doc.targets[0]?.up ? true : undefined;
  });
  // a session idle in transaction: below the first threshold, above the reloaded one
  idle = await server.connect({ applicationName: 'reload-test-idle' });
  await idle.query('BEGIN');
  await idle.query('SELECT 1');
});

afterAll(async () => {
  if (agent && agent.exitCode === null) {
    const exited = new Promise((resolve) => agent.once('exit', resolve));
    agent.kill('SIGTERM');
    await exited;
  }
  await idle?.end().catch(() => undefined);
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('SIGHUP reloads the configuration', () => {
  it('applies a changed threshold without a new connection, and logs what changed', async () => {
    // several cycles with the idle transaction: no finding at 3600 s
    await new Promise((r) => setTimeout(r, 3500));
    expect((await findings()).filter((f) => f.kind === 'idle-in-transaction')).toEqual([]);
    const before = await agentSessions();
    expect(before).toHaveLength(1);

    writeConfig(configWith({ idleInTransactionSeconds: 1, idleInTransactionCriticalSeconds: 7200 }));
    agent.kill('SIGHUP');

    const finding = await until('an idle-in-transaction finding', async () =>
      (await findings()).find((f) => f.kind === 'idle-in-transaction'),
    );
    expect(finding.evidence.thresholdSeconds).toBe(1);
    const reloaded = logLines().find((line) => line.includes('configuration reloaded'));
    expect(reloaded).toMatch(/thresholds\.idleInTransactionSeconds 3600 -> 1/);
    expect(await agentSessions()).toEqual(before);
  });

  it('adds and removes a target, leaving the other target on its session', async () => {
    const before = await agentSessions();
    writeConfig(
      configWith({ idleInTransactionSeconds: 1, idleInTransactionCriticalSeconds: 7200 }, [
        { name: 'plant-second', dsn: server.url() },
      ]),
    );
    agent.kill('SIGHUP');
    await until('the added target to be sampled', async () => {
      const doc = (await (await fetch(`${base}/api/targets`)).json()) as {
        targets: { name: string; up: boolean }[];
      };
      return doc.targets.find((t) => t.name === 'plant-second')?.up ? true : undefined;
    });
    expect(logLines().some((line) => line.includes('target \\"plant-second\\" added'))).toBe(true);
    const during = await agentSessions();
    expect(during).toHaveLength(2);
    expect(during[0]).toEqual(before[0]);

    writeConfig(configWith({ idleInTransactionSeconds: 1, idleInTransactionCriticalSeconds: 7200 }));
    agent.kill('SIGHUP');
    await until('the removed target to disconnect', async () =>
      (await agentSessions()).length === 1 ? true : undefined,
    );
    expect(await agentSessions()).toEqual(before);
    const doc = (await (await fetch(`${base}/api/targets`)).json()) as { targets: { name: string }[] };
    expect(doc.targets.map((t) => t.name)).toEqual(['plant']);
  });

  it('keeps the running configuration when the new file is invalid, with one log line', async () => {
    const before = await agentSessions();
    const linesBefore = logLines().length;
    writeConfig(configWith({ idleInTransactionSeconds: -5, idleInTransactionCriticalSeconds: 7200 }));
    agent.kill('SIGHUP');
    const failure = await until('the reload failure line', async () =>
      logLines()
        .slice(linesBefore)
        .find((line) => line.includes('reload failed')),
    );
    expect(failure).toMatch(/thresholds\.idleInTransactionSeconds/);
    expect(failure).toContain(configFile);
    // the agent keeps going on the old config: same session, the finding still raised
    await new Promise((r) => setTimeout(r, 2500));
    expect(
      logLines()
        .slice(linesBefore)
        .filter((line) => line.includes('reload')),
    ).toHaveLength(1);
    expect((await findings()).some((f) => f.kind === 'idle-in-transaction')).toBe(true);
    expect(await agentSessions()).toEqual(before);
    expect(agent.exitCode).toBeNull();

    writeConfig('targets: [unclosed');
    agent.kill('SIGHUP');
    const yamlFailure = await until(
      'the YAML failure line',
      async () =>
        logLines()
          .slice(linesBefore)
          .filter((line) => line.includes('reload failed'))[1],
    );
    // the parser's message, without the code frame it continues with
    expect(JSON.parse(yamlFailure).msg).toMatch(/not valid YAML: [^;]*$/);
    expect(agent.exitCode).toBeNull();
    expect(await agentSessions()).toEqual(before);
  });
});
