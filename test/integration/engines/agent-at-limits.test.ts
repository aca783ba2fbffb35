import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../agent/config/load.js';
import { rootLogger } from '../../../agent/log.js';
import { type RunningAgent, startAgent } from '../../../agent/runtime/agent.js';
import {
  fillConnections,
  grabFreedSlot,
  type HeldSessions,
  terminateSessions,
} from '../../../agent/sandbox/faults.js';
import type { SandboxServer, SandboxSession } from '../../../agent/sandbox/server.js';
import { metric, targetDoc } from '../../support/agent-http.js';
import { type EngineFixture, SERVER_FIXTURES } from '../../support/engines.js';

// The whole agent against a real server at its limits, on every engine: every ordinary slot
// taken, its own connection killed while the server is full, the server stopped under it.
// The agent samples every second as the least-privilege login of README (pg_monitor;
// PROCESS + performance_schema): it gets no reserved slot to fall back on.

const MAX_CONNECTIONS = 10;
const RESERVED = 2;
const WAIT_MS = 20_000;
const APP = { user: 'app', password: 'app-pw' };

describe.each(SERVER_FIXTURES)('$label: the agent at the limits', (fixture: EngineFixture) => {
  const slots = fixture.slots(MAX_CONNECTIONS, RESERVED);
  let server: SandboxServer;
  let admin: SandboxSession;
  let agent: RunningAgent;
  let name: string;
  const held: HeldSessions[] = [];
  const extra: SandboxSession[] = [];

  beforeAll(async () => {
    server = await fixture.startSandbox({ maxConnections: MAX_CONNECTIONS, reservedConnections: RESERVED });
    await server.query(fixture.sql.createUser(APP.user, APP.password));
    const monitorDsn = await fixture.createMonitor(server);
    // an administrator session held throughout: it takes an ordinary slot, as a DBA's would
    admin = await server.connect();
    const config = loadConfig(undefined, { urls: [monitorDsn], listen: '127.0.0.1:0', intervalSeconds: 1 });
    agent = await startAgent(config, { log: rootLogger.child({ component: 'test-agent' }) });
    name = agent.runners[0]!.spec.name;
    await agent.waitForSnapshot(name, (s) => s.up && s.signals.connections !== undefined, WAIT_MS);
  });

  afterAll(async () => {
    await agent?.stop();
    for (const h of held) await h.release();
    for (const s of extra) await s.close();
    await admin?.close();
    await server?.destroy();
  });

  it('keeps reporting fresh samples at saturation 1 when every ordinary slot is taken', async () => {
    const fill = await fillConnections(server, APP);
    held.push(fill);
    expect(fill.refused).toBe(true);
    const filledAt = Date.now();
    const snap = await agent.waitForSnapshot(
      name,
      (s) =>
        s.up && s.at > filledAt && s.signals.connections !== undefined && s.signals.connections.at > filledAt,
      WAIT_MS,
    );
    // the administrator + the agent + the fill = every ordinary slot
    expect(snap.signals.connections!.used).toBe(slots.ordinary);
    expect(snap.signals.connections!.max).toBe(slots.reportedMax);
    expect(await metric(agent, 'dbdiag_connection_saturation_ratio', name)).toBe(1);
    expect(await metric(agent, 'dbdiag_connections_reserved', name)).toBe(slots.reportedReserved);
    expect(await metric(agent, 'dbdiag_up', name)).toBe(1);
    expect((await metric(agent, 'dbdiag_last_sample_timestamp_seconds', name)) ?? 0).toBeGreaterThanOrEqual(
      Math.floor(filledAt / 1000),
    );
  });

  it('reports dbdiag_up 0 with the reason when its connection is killed at saturation, and recovers when a slot frees', async () => {
    // the administrator's session ends the agent's (its own reserved slot is not needed: it is inside)
    const monitorUser = new URL(agent.runners[0]!.spec.dsn).username;
    expect(await terminateSessions(server, { user: monitorUser })).toBe(1);
    // Somebody else takes the slot the agent had: the server stays full.
    extra.push(await grabFreedSlot(server, APP));
    const down = await agent.waitForSnapshot(
      name,
      (s) => !s.up && fixture.fullServerReason.test(s.downReason ?? ''),
      WAIT_MS,
    );
    expect(down.downReason).toMatch(fixture.fullServerReason);
    expect(await metric(agent, 'dbdiag_up', name)).toBe(0);
    const doc = await targetDoc(agent, name);
    expect(doc.up).toBe(false);
    expect(doc.downReason).toMatch(fixture.fullServerReason);

    await extra.pop()!.close();
    const back = await agent.waitForSnapshot(name, (s) => s.up && s.at > down.at, WAIT_MS);
    expect(back.signals.connections!.used).toBe(slots.ordinary);
    expect(await metric(agent, 'dbdiag_up', name)).toBe(1);
  });

  it('survives the server stopping: /metrics keeps answering with the last snapshot, sampling resumes', async () => {
    for (const h of held.splice(0)) await h.release();
    const before = await agent.waitForSnapshot(
      name,
      (s) => s.up && (s.signals.connections?.used ?? 0) < slots.ordinary,
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
    expect(agent.latest(name)?.signals.connections?.max).toBe(slots.reportedMax);

    await server.startServer();
    const back = await agent.waitForSnapshot(name, (s) => s.up && s.at > down.at, WAIT_MS);
    expect(back.signals.connections!.at).toBeGreaterThan(down.at);
    expect(await metric(agent, 'dbdiag_up', name)).toBe(1);
  });
});
