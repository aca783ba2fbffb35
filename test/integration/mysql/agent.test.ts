import mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../agent/config/load.js';
import { rootLogger } from '../../../agent/log.js';
import { type RunningAgent, startAgent } from '../../../agent/runtime/agent.js';
import { metric } from '../../support/agent-http.js';
import { controllableMysqlServers, createMonitorUser, type TestMysqlServer } from '../../support/mysql.js';

// The whole agent against a real MySQL-family server at its limits: every ordinary slot taken,
// its own connection killed while the server is full, the server restarted under it. The agent
// samples every second as the least-privilege account (no CONNECTION_ADMIN/SUPER: it gets no
// reserved slot to fall back on).

const MAX_CONNECTIONS = 10;
const WAIT_MS = 20_000;
const kinds = await controllableMysqlServers();

/** Opens ordinary connections until the server refuses one (1040): every ordinary slot taken. */
async function fillEverySlot(url: string): Promise<mysql.Connection[]> {
  const held: mysql.Connection[] = [];
  for (;;) {
    try {
      const c = await mysql.createConnection({ uri: url });
      c.on('error', () => {});
      held.push(c);
    } catch (error) {
      if ((error as { errno?: number }).errno === 1040) return held;
      throw error;
    }
  }
}

async function grabFreedSlot(url: string): Promise<mysql.Connection> {
  const deadline = Date.now() + 5000;
  for (;;) {
    try {
      const c = await mysql.createConnection({ uri: url });
      c.on('error', () => {});
      return c;
    } catch (error) {
      if ((error as { errno?: number }).errno !== 1040 || Date.now() > deadline) throw error;
      await new Promise((r) => setTimeout(r, 10));
    }
  }
}

describe.each(kinds)('$label: the agent at the limits', (kind) => {
  let server: TestMysqlServer;
  let agent: RunningAgent;
  let name: string;
  let appUrl: string;
  const held: mysql.Connection[] = [];

  beforeAll(async () => {
    server = await kind.start({ maxConnections: MAX_CONNECTIONS });
    await server.exec(`CREATE USER 'app'@'%' IDENTIFIED BY 'app-pw'`);
    appUrl = server.urlFor('app', 'app-pw');
    const monitorUrl = await createMonitorUser(server);
    const config = loadConfig(undefined, { urls: [monitorUrl], listen: '127.0.0.1:0', intervalSeconds: 1 });
    agent = await startAgent(config, { log: rootLogger.child({ component: 'test-agent' }) });
    name = agent.runners[0]!.spec.name;
    await agent.waitForSnapshot(name, (s) => s.up && s.signals.connections !== undefined, WAIT_MS);
  });

  afterAll(async () => {
    await agent?.stop();
    for (const c of held) await c.end().catch(() => undefined);
    await server?.destroy();
  });

  it('keeps reporting fresh samples at saturation 1 when every ordinary slot is taken', async () => {
    held.push(...(await fillEverySlot(appUrl)));
    const filledAt = Date.now();
    const snap = await agent.waitForSnapshot(
      name,
      (s) => s.up && s.signals.connections !== undefined && s.signals.connections.at > filledAt,
      WAIT_MS,
    );
    // the agent + the fill = max_connections; the extra administrative slot stays free
    expect(snap.signals.connections!.used).toBe(MAX_CONNECTIONS);
    expect(await metric(agent, 'dbdiag_connection_saturation_ratio', name)).toBe(1);
    expect(await metric(agent, 'dbdiag_connections_reserved', name)).toBe(1);
    expect(await metric(agent, 'dbdiag_up', name)).toBe(1);
  });

  it('reports dbdiag_up 0 with the reason when its connection is killed at saturation, and recovers when a slot frees', async () => {
    // root takes the reserved administrative slot to kill the agent's connection
    await server.exec(
      `SELECT CONCAT('KILL ', ID) AS k FROM information_schema.PROCESSLIST WHERE USER = 'dbdiag' INTO @kill;
       PREPARE k FROM @kill; EXECUTE k;`,
    );
    held.push(await grabFreedSlot(appUrl));
    const down = await agent.waitForSnapshot(
      name,
      (s) => !s.up && /too many connections/i.test(s.downReason ?? ''),
      WAIT_MS,
    );
    expect(await metric(agent, 'dbdiag_up', name)).toBe(0);

    await held.pop()!.end();
    const back = await agent.waitForSnapshot(name, (s) => s.up && s.at > down.at, WAIT_MS);
    expect(back.signals.connections!.used).toBe(MAX_CONNECTIONS);
    expect(await metric(agent, 'dbdiag_up', name)).toBe(1);
  });

  it('survives a server restart: dbdiag_up 0 while it is down, /metrics still answers, then up again', async () => {
    for (const c of held.splice(0)) await c.end().catch(() => undefined);
    const before = await agent.waitForSnapshot(
      name,
      (s) => s.up && (s.signals.connections?.used ?? 0) < MAX_CONNECTIONS,
      WAIT_MS,
    );
    await server.stop();
    const down = await agent.waitForSnapshot(name, (s) => !s.up && s.at > before.at, WAIT_MS);
    expect(down.downReason).toBeTruthy();
    expect((await fetch(`${agent.url}/metrics`)).status).toBe(200);
    expect(await metric(agent, 'dbdiag_up', name)).toBe(0);

    await server.start();
    const back = await agent.waitForSnapshot(name, (s) => s.up && s.at > down.at, WAIT_MS);
    expect(back.signals.connections!.at).toBeGreaterThan(down.at);
    expect(await metric(agent, 'dbdiag_up', name)).toBe(1);
  });
});
