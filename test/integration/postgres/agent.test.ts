import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../agent/config/load.js';
import { rootLogger } from '../../../agent/log.js';
import { type RunningAgent, startAgent } from '../../../agent/runtime/agent.js';
import type { Snapshot } from '../../../agent/snapshot/snapshot.js';
import { metric, targetDoc } from '../../support/agent-http.js';
import { PG_VERSIONS, type PostgresServer, startPostgres } from '../../support/postgres.js';

// The whole agent against a real server at its limits: every slot taken, its own backend
// killed while the server is full, the server stopped under it. The agent samples every second
// as a pg_monitor role (not a superuser: it gets no reserved slot to fall back on).

const MAX_CONNECTIONS = 10;
const SUPERUSER_RESERVED = 2;
const ORDINARY_SLOTS = MAX_CONNECTIONS - SUPERUSER_RESERVED;
const WAIT_MS = 20_000;

/** Opens ordinary connections until the server refuses one (53300): every remaining slot taken. */
async function fillEverySlot(server: PostgresServer): Promise<pg.Client[]> {
  const clients: pg.Client[] = [];
  for (;;) {
    const client = new pg.Client({ connectionString: server.url({ user: 'app' }) });
    client.on('error', () => {});
    try {
      await client.connect();
      clients.push(client);
    } catch (error) {
      if ((error as { code?: string }).code === '53300') return clients;
      throw error;
    }
  }
}

/** Takes the next slot that frees, retrying while the server is full. */
async function grabFreedSlot(server: PostgresServer): Promise<pg.Client> {
  const deadline = Date.now() + 5000;
  for (;;) {
    const client = new pg.Client({ connectionString: server.url({ user: 'app' }) });
    client.on('error', () => {});
    try {
      await client.connect();
      return client;
    } catch (error) {
      if ((error as { code?: string }).code !== '53300' || Date.now() > deadline) throw error;
      await new Promise((r) => setTimeout(r, 10));
    }
  }
}

describe.each(PG_VERSIONS)('PostgreSQL %i: the agent at the limits', (version) => {
  let server: PostgresServer;
  let admin: pg.Client;
  let agent: RunningAgent;
  let name: string;
  const app: pg.Client[] = [];

  beforeAll(async () => {
    server = await startPostgres({
      version,
      settings: {
        max_connections: MAX_CONNECTIONS,
        superuser_reserved_connections: SUPERUSER_RESERVED,
        ...(version >= 16 ? { reserved_connections: 0 } : {}),
      },
      needs: { control: true },
    });
    admin = await server.connect();
    admin.on('error', () => {});
    await admin.query('CREATE ROLE agent LOGIN IN ROLE pg_monitor; CREATE ROLE app LOGIN');
    const config = loadConfig(undefined, {
      urls: [server.url({ user: 'agent' })],
      listen: '127.0.0.1:0',
      intervalSeconds: 1,
    });
    agent = await startAgent(config, { log: rootLogger.child({ component: 'test-agent' }) });
    name = agent.runners[0]!.spec.name;
    await agent.waitForSnapshot(name, (s) => s.up && s.signals.connections !== undefined, WAIT_MS);
  });

  afterAll(async () => {
    await agent?.stop();
    for (const c of app) await c.end().catch(() => undefined);
    await admin?.end().catch(() => undefined);
    await server?.stop();
  });

  it('keeps reporting fresh samples at saturation 1 when every slot is taken', async () => {
    app.push(...(await fillEverySlot(server)));
    const filledAt = Date.now();
    const snap = await agent.waitForSnapshot(
      name,
      (s) => s.up && s.at > filledAt && s.signals.connections!.at > filledAt,
      WAIT_MS,
    );
    // admin + agent + the fill = every ordinary slot
    expect(snap.signals.connections!.used).toBe(ORDINARY_SLOTS);
    expect(await metric(agent, 'dbdiag_connection_saturation_ratio', name)).toBe(1);
    expect(await metric(agent, 'dbdiag_up', name)).toBe(1);
    expect((await metric(agent, 'dbdiag_last_sample_timestamp_seconds', name)) ?? 0).toBeGreaterThanOrEqual(
      Math.floor(filledAt / 1000),
    );
  });

  it('reports dbdiag_up 0 with the reason when its backend is killed at saturation, and recovers when a slot frees', async () => {
    await admin.query(
      "SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity WHERE application_name = 'dbdiag' AND usename = 'agent'",
    );
    // Somebody else takes the slot the agent had: the server stays full.
    app.push(await grabFreedSlot(server));
    const down = await agent.waitForSnapshot(
      name,
      (s: Snapshot) => !s.up && /connection slots|too many|slot is taken/i.test(s.downReason ?? ''),
      WAIT_MS,
    );
    expect(down.downReason).toMatch(/cannot connect/);
    expect(await metric(agent, 'dbdiag_up', name)).toBe(0);
    const doc = await targetDoc(agent, name);
    expect(doc.up).toBe(false);
    expect(doc.downReason).toMatch(/slot is taken/);

    await app.pop()!.end();
    const back = await agent.waitForSnapshot(name, (s) => s.up && s.at > down.at, WAIT_MS);
    expect(back.signals.connections!.used).toBe(ORDINARY_SLOTS);
    expect(await metric(agent, 'dbdiag_up', name)).toBe(1);
  });

  it('survives the server stopping: /metrics keeps answering with the last snapshot, sampling resumes', async () => {
    for (const c of app.splice(0)) await c.end().catch(() => undefined);
    const before = await agent.waitForSnapshot(
      name,
      (s) => s.up && (s.signals.connections?.used ?? 0) < ORDINARY_SLOTS,
      WAIT_MS,
    );
    await server.stopServer();
    const down = await agent.waitForSnapshot(name, (s) => !s.up && s.at > before.at, WAIT_MS);
    expect(down.downReason).toBeTruthy();
    const response = await fetch(`${agent.url}/metrics`);
    expect(response.status).toBe(200);
    expect(await metric(agent, 'dbdiag_up', name)).toBe(0);
    expect((await targetDoc(agent, name)).downReason).toBeTruthy();
    // the last known signals stay with the snapshot while the server is away
    expect(agent.latest(name)?.signals.connections?.max).toBe(MAX_CONNECTIONS);

    await server.startServer();
    const back = await agent.waitForSnapshot(name, (s) => s.up && s.at > down.at, WAIT_MS);
    expect(back.signals.connections!.at).toBeGreaterThan(down.at);
    expect(await metric(agent, 'dbdiag_up', name)).toBe(1);
  });
});
