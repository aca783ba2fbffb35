import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppLoad } from '../../../agent/sandbox/app-load.js';
import { sandboxEngineOf } from '../../../agent/sandbox/engines.js';
import {
  fillConnections,
  grabFreedSlot,
  holdConnections,
  holdTableLock,
  idleInTransaction,
  terminateSessions,
} from '../../../agent/sandbox/faults.js';
import { loadPlant, PLANT_APP_USER, PLANT_DATABASE, plantRequests } from '../../../agent/sandbox/plant.js';
import { MARKER_FILE, removeLeftovers } from '../../../agent/sandbox/sandbox-dir.js';
import type { SandboxServer } from '../../../agent/sandbox/server.js';
import { ENGINE_FIXTURES, type EngineFixture } from '../../support/engines.js';

// The sandbox module on every engine: a server with the settings asked for, in a marked
// dbdiag-* directory; the fault primitives made for real and seen from the server's own
// views; stop/kill/start; and a killed owner's leftovers found and removed by the next run.

const MAX_CONNECTIONS = 12;

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe.each(ENGINE_FIXTURES)('sandbox on $label', (fixture: EngineFixture) => {
  let server: SandboxServer;

  beforeAll(async () => {
    server = await fixture.startSandbox({
      maxConnections: MAX_CONNECTIONS,
      slowLog: true,
      adminPassword: 's3cret',
    });
    await fixture.createTable(server, 'work_orders', 200);
    await server.query(fixture.sql.createUser('app', 'app-pw'));
  });

  afterAll(async () => {
    await server?.destroy();
  });

  it('runs in a marked dbdiag-sandbox-* directory under the temp dir, with the settings asked for', async () => {
    expect(server.dir.startsWith(join(tmpdir(), 'dbdiag-'))).toBe(true);
    const marker = JSON.parse(readFileSync(join(server.dir, MARKER_FILE), 'utf8'));
    expect(marker).toMatchObject({ engine: server.engine, ownerPid: process.pid, serverPid: server.pid() });
    expect(await fixture.setting(server, 'max_connections')).toBe(String(MAX_CONNECTIONS));
    expect(server.host).toBe('127.0.0.1');
    // the administrator's password is required
    expect(server.dsn()).toContain(':s3cret@');
    await expect(fixture.connectWithoutPassword(server)).rejects.toThrow();
  });

  it('logs statements to its slow log file', async () => {
    await server.query(
      `SELECT count(*) AS n FROM ${fixture.table('work_orders')} WHERE note = 'sandbox-slowlog-probe'`,
    );
    const path = server.slowLogPath;
    expect(path).not.toBeNull();
    const deadline = Date.now() + 10_000;
    while (!(existsSync(path!) && readFileSync(path!, 'utf8').includes('sandbox-slowlog-probe'))) {
      if (Date.now() > deadline) throw new Error(`${path} never logged the statement`);
      await new Promise((r) => setTimeout(r, 100));
    }
  });

  it('holds connections until the server is full, and takes a freed slot back', async () => {
    const before = await fixture.sessionCount(server, 'app');
    expect(before).toBe(0);
    const some = await holdConnections(server, 3, { user: 'app', password: 'app-pw' });
    expect(some.refused).toBe(false);
    expect(await fixture.sessionCount(server, 'app')).toBe(3);
    const all = await fillConnections(server, { user: 'app', password: 'app-pw' });
    expect(all.refused).toBe(true);
    const full = await fixture.sessionCount(server, 'app');
    expect(full).toBeGreaterThanOrEqual(MAX_CONNECTIONS - 4);
    await all.sessions[0]!.close();
    const again = await grabFreedSlot(server, { user: 'app', password: 'app-pw' });
    expect(await fixture.sessionCount(server, 'app')).toBe(full);
    await again.close();
    await all.release();
    await some.release();
    await fixture.until(async () => (await fixture.sessionCount(server, 'app')) === 0, 'sessions closed');
  });

  it('leaves sessions idle in a transaction, and terminates them by user', async () => {
    const idle = await idleInTransaction(server, 2, {
      user: 'app',
      password: 'app-pw',
      table: fixture.table('work_orders'),
    });
    expect(await fixture.idleInTransactionCount(server)).toBe(2);
    expect(await terminateSessions(server, { user: 'app' })).toBe(2);
    await fixture.until(async () => (await fixture.sessionCount(server, 'app')) === 0, 'sessions terminated');
    await idle.release();
  });

  it('holds a table lock that makes a reader wait until it is released', async () => {
    const lock = await holdTableLock(server, fixture.table('work_orders'));
    const reader = await server.connect({ user: 'app', password: 'app-pw' });
    let read = false;
    const reading = reader.query(`SELECT count(*) AS n FROM ${fixture.table('work_orders')}`).then(() => {
      read = true;
    });
    await fixture.until(async () => (await fixture.lockWaitCount(server)) === 1, 'a lock wait');
    expect(read).toBe(false);
    await lock.release();
    await reading;
    expect(read).toBe(true);
    await reader.close();
  });

  it("loads the plant and runs its application workload; a full server refuses the app's new connections", async () => {
    const scale = { parts: 20, workOrders: 500, eventsPerOperation: 2 };
    const loaded = await loadPlant(server, 'plant-pw', scale);
    expect(loaded).toMatchObject({ workOrders: 500, historyRows: expect.any(Number) });
    // 6 to 10 operations per part, 2 events each, per work order
    expect(loaded.historyRows).toBeGreaterThanOrEqual(500 * 6 * 2);
    expect(loaded.historyRows).toBeLessThanOrEqual(500 * 10 * 2);
    expect(loaded.historyBytes).toBeGreaterThan(0);
    const appLoad = () =>
      new AppLoad({
        open: (instance) =>
          server.connect({
            database: PLANT_DATABASE,
            user: PLANT_APP_USER,
            password: 'plant-pw',
            applicationName: `plant-app-${instance}`,
          }),
        classifyError: sandboxEngineOf(server).classifyError,
        requests: plantRequests(server.engine, scale),
        instances: 2,
        poolSize: 3,
        rate: () => 40,
        readShare: 0.5,
        connectionWaitMs: 2000,
      });
    const load = appLoad();
    load.start(['test']);
    await new Promise((r) => setTimeout(r, 2000));
    // stop first: a request still in flight when the window is read would commit after it
    await load.stop();
    const healthy = load.window('test');
    expect(healthy.reads).toBeGreaterThan(10);
    expect(healthy.submitted).toBeGreaterThan(10);
    expect(healthy.errors).toEqual({});
    const plant = await server.connect({ database: PLANT_DATABASE });
    const rows = await plant.query('SELECT count(*) AS n FROM work_orders');
    await plant.close();
    expect(Number(rows[0]?.n)).toBe(500 + healthy.submitted);

    // Every slot taken by somebody else: the app's new connections are refused.
    const held = await fillConnections(server, { user: 'app', password: 'app-pw' });
    const refused = appLoad();
    refused.start(['test']);
    await new Promise((r) => setTimeout(r, 1000));
    await refused.stop();
    const full = refused.window('test');
    await held.release();
    expect(full.reads + full.submitted).toBe(0);
    expect(full.errors['too-many-clients']).toBe(full.readFailed + full.submitFailed);
    expect(full.errors['too-many-clients']).toBeGreaterThan(10);
  });

  it('stops, is killed and starts again on the same port, keeping its data', async () => {
    const pid = server.pid();
    await server.stopServer();
    expect(server.pid()).toBeNull();
    await expect(server.query('SELECT 1')).rejects.toThrow();
    await server.startServer();
    await server.killServer();
    expect(isRunning(pid!)).toBe(false);
    await server.startServer();
    const rows = await server.query(`SELECT count(*) AS n FROM ${fixture.table('work_orders')}`);
    expect(Number(rows[0]?.n)).toBe(200);
    const marker = JSON.parse(readFileSync(join(server.dir, MARKER_FILE), 'utf8'));
    expect(marker.serverPid).toBe(server.pid());
  });

  it('removes its directory when destroyed', async () => {
    const other = await fixture.startSandbox({});
    const pid = other.pid();
    await other.destroy();
    expect(existsSync(other.dir)).toBe(false);
    expect(isRunning(pid!)).toBe(false);
  });

  it("finds a killed owner's server and directory by the marker, and removes them", async () => {
    // A child process starts a sandbox and is SIGKILLed: no exit hook runs.
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', join(import.meta.dirname, 'start-and-wait.ts'), fixture.engine],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const dir = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout?.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        const line = /^ready (\S+)$/m.exec(out);
        if (line?.[1]) resolve(line[1]);
      });
      child.once('exit', (code) => reject(new Error(`the sandbox child exited with ${code}`)));
    });
    const marker = JSON.parse(readFileSync(join(dir, MARKER_FILE), 'utf8'));
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
    expect(isRunning(marker.serverPid)).toBe(true);

    const removed = await removeLeftovers();
    const ours = removed.find((l) => l.path === dir);
    expect(ours).toMatchObject({ killedPid: marker.serverPid, marker: { engine: fixture.engine } });
    expect(existsSync(dir)).toBe(false);
    await fixture.until(async () => !isRunning(marker.serverPid), 'the leftover server ended');
    // the running sandbox of this file is not a leftover
    expect(removed.some((l) => l.path === server.dir)).toBe(false);
    expect(readdirSync(server.dir)).toContain(MARKER_FILE);
  });
});
