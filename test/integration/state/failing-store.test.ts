import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../agent/config/load.js';
import { rootLogger } from '../../../agent/log.js';
import { type RunningAgent, startAgent } from '../../../agent/runtime/agent.js';
import { runnerOptionsFor } from '../../../agent/runtime/runner-options.js';
import { openStore } from '../../../agent/state/open.js';
import type { Store } from '../../../agent/state/store.js';
import { type PostgresServer, startPostgres } from '../../support/postgres.js';

// A shared PostgreSQL state store that goes away under a running agent: sampling and /metrics
// go on, the failure is counted and /healthz says degraded; once the store server is back the
// queued writes land and the agent is healthy again. Two real servers: the target and the store.

const WAIT_MS = 30_000;

async function scrape(agent: RunningAgent): Promise<string> {
  const res = await fetch(`${agent.url}/metrics`);
  expect(res.status).toBe(200);
  return res.text();
}

function value(text: string, series: string): number | null {
  const line = text.split('\n').find((l) => l.startsWith(series));
  return line === undefined ? null : Number(line.slice(line.lastIndexOf(' ') + 1));
}

async function until(what: string, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + WAIT_MS;
  while (!(await check().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

describe('a failing state store degrades the agent, never stops it (PostgreSQL store)', () => {
  let target: PostgresServer;
  let storeServer: PostgresServer;
  let store: Store;
  let agent: RunningAgent;
  let name: string;
  let samplesAtStop = 0;

  beforeAll(async () => {
    target = await startPostgres({ version: 15 });
    storeServer = await startPostgres({ version: 15, needs: { control: true } });
    await storeServer.query('CREATE DATABASE dbdiag_state');
    store = await openStore({ store: storeServer.url({ database: 'dbdiag_state' }) });
    const config = loadConfig(undefined, { urls: [target.url()], listen: '127.0.0.1:0', intervalSeconds: 1 });
    const log = rootLogger.child({ component: 'test-agent' });
    agent = await startAgent(config, { log, store, runnerOptions: runnerOptionsFor(config, log) });
    name = agent.runners[0]!.spec.name;
    await agent.waitForSnapshot(name, (s) => s.up, WAIT_MS);
  });

  afterAll(async () => {
    await agent?.stop();
    await store?.close();
    await target?.stop();
    await storeServer?.stop();
  });

  it('writes while the store answers: healthy, rollups of the current hour in the store', async () => {
    await until('the first rollup', async () => (await store.rollups({ target: name })).length > 0);
    const health = (await (await fetch(`${agent.url}/healthz`)).json()) as { status: string };
    expect(health).toMatchObject({ status: 'ok' });
    expect(value(await scrape(agent), 'dbdiag_store_up')).toBe(1);
  });

  it('the store server stopped: sampling and /metrics go on, errors counted, /healthz degraded', async () => {
    await agent.recorder?.flush();
    samplesAtStop = (await store.rollups({ target: name })).reduce((n, r) => n + r.samples, 0);
    await storeServer.stopServer();
    const stoppedAt = Date.now();
    await until(
      'degraded',
      async () =>
        ((await (await fetch(`${agent.url}/healthz`)).json()) as { status: string }).status === 'degraded',
    );
    const health = (await (await fetch(`${agent.url}/healthz`)).json()) as {
      status: string;
      store: { ok: boolean; error: string; pendingWrites: number };
    };
    expect(health.store.ok).toBe(false);
    expect(health.store.error.length).toBeGreaterThan(0);
    expect(health.store.pendingWrites).toBeGreaterThan(0);
    const snap = await agent.waitForSnapshot(name, (s) => s.up && s.at > stoppedAt + 2000, WAIT_MS);
    expect(snap.up).toBe(true);
    const text = await scrape(agent);
    expect(value(text, 'dbdiag_store_up')).toBe(0);
    expect(value(text, 'dbdiag_store_errors_total{operation="write"}')).toBeGreaterThan(0);
    expect(value(text, `dbdiag_up{target="${name}"`)).toBe(1);
  });

  it('the store back: the queued hour lands and the agent is healthy again', async () => {
    await storeServer.startServer();
    const backAt = Date.now();
    await until(
      'healthy again',
      async () =>
        ((await (await fetch(`${agent.url}/healthz`)).json()) as { status: string }).status === 'ok',
    );
    expect(value(await scrape(agent), 'dbdiag_store_up')).toBe(1);
    expect(agent.recorder?.status().pending ?? 0).toBeLessThan(5);
    await agent.recorder?.flush();
    // the cycles sampled while the store was down are in the hour that landed
    const samples = (await store.rollups({ target: name, from: backAt - 3600_000 * 2 })).reduce(
      (n, r) => n + r.samples,
      0,
    );
    expect(samples).toBeGreaterThan(samplesAtStop + 2);
  });
});
