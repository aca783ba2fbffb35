import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../support/free-port.js';
import { startLocalMariadb, type TestMysqlServer } from '../../support/mysql.js';
import { type PostgresServer, startPostgres } from '../../support/postgres.js';
import { serverUser } from '../../support/run-as.js';
import {
  type AgentProcess,
  assertAlive,
  eventually,
  scrape,
  series,
  startAgentProcess,
  targetDoc,
} from './agent-process.js';

// Failures of one target, one session or one probe, caused for real on real servers while
// `dbdiag agent` runs in its own process: a target that never answers, a MariaDB server killed
// with SIGKILL and started again, the agent's PostgreSQL backend terminated, PostgreSQL shut
// down and started again, one probe losing what it reads (pg_stat_statements dropped). The other
// targets keep being sampled, /metrics answers throughout, the fault is reported, and the agent
// recovers by itself.

const up = (text: string, target: string) => series(text, 'dbdiag_up', `target="${target}"`);
const lastSample = (text: string, target: string) =>
  series(text, 'dbdiag_last_sample_timestamp_seconds', `target="${target}"`) ?? 0;

/** dbdiag_probe_errors_total of the target, summed over its probes */
const probeErrors = (text: string, target: string) =>
  text
    .split('\n')
    .filter((l) => l.startsWith('dbdiag_probe_errors_total{') && l.includes(`target="${target}"`))
    .reduce((n, l) => n + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);

describe('server, session and probe faults (real PostgreSQL and MariaDB)', () => {
  let dir = '';
  let pg: PostgresServer;
  let maria: TestMysqlServer;
  let agent: AgentProcess;

  /** /metrics shows `target` up = expected; returns the scrape */
  const upIs = (target: string, expected: number, timeoutMs = 60_000) =>
    eventually(
      `dbdiag_up{target="${target}"} ${expected}`,
      async () => {
        const text = await scrape(agent);
        return up(text, target) === expected ? text : undefined;
      },
      timeoutMs,
    );
  /** the target is sampled again after `since` (seconds): it was not blanked by the fault */
  const sampledAfter = (target: string, since: number) =>
    eventually(`${target} sampled after ${since}`, async () => {
      const text = await scrape(agent);
      return up(text, target) === 1 && lastSample(text, target) > since ? text : undefined;
    });

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'dbdiag-faults-servers-'));
    chmodSync(dir, 0o755);
    [pg, maria] = await Promise.all([
      startPostgres({ version: 15, needs: { control: true } }),
      startLocalMariadb({ performanceSchema: true }),
    ]);
    await pg.query('CREATE EXTENSION IF NOT EXISTS pg_stat_statements');
    const closedPort = await freePort();
    agent = await startAgentProcess({
      user: serverUser(),
      dir,
      config: {
        intervalSeconds: 1,
        statementTimeoutMs: 2000,
        targets: [
          { name: 'pg', dsn: pg.url() },
          { name: 'mes', dsn: maria.url },
          { name: 'ghost', dsn: `postgres://postgres@127.0.0.1:${closedPort}/postgres` },
        ],
      },
    });
    await upIs('pg', 1);
    await upIs('mes', 1);
  });

  afterAll(async () => {
    await agent?.stop();
    await maria?.destroy();
    await pg?.stop();
    if (dir !== '') rmSync(dir, { recursive: true, force: true });
  });

  it('a target that never answers is reported down; the others are sampled and exported', async () => {
    const text = await upIs('ghost', 0);
    expect(up(text, 'pg')).toBe(1);
    expect(up(text, 'mes')).toBe(1);
    expect(series(text, 'dbdiag_connections_max', 'target="pg"')).toBeGreaterThan(0);
    expect((await targetDoc(agent, 'ghost')).downReason).toMatch(/ECONNREFUSED|refused/i);
    assertAlive(agent);
  });

  it('MariaDB killed with SIGKILL: reported down while PostgreSQL is still sampled, and back up by itself after a restart', async () => {
    await maria.kill();
    const down = await upIs('mes', 0);
    const doc = await targetDoc(agent, 'mes');
    expect(doc.up).toBe(false);
    expect(doc.downReason).not.toBeNull();
    await sampledAfter('pg', lastSample(down, 'pg'));
    assertAlive(agent);
    await maria.start();
    await upIs('mes', 1);
    assertAlive(agent);
  });

  it("the agent's PostgreSQL backend terminated: it reconnects by itself with a new session", async () => {
    const backends = async () =>
      (
        await pg.query<{ pid: number }>(
          "SELECT pid FROM pg_stat_activity WHERE application_name = 'dbdiag' AND pid <> pg_backend_pid()",
        )
      ).map((r) => r.pid);
    const errorsBefore = probeErrors(await scrape(agent), 'pg');
    const before = await eventually('the agent session', async () => {
      const pids = await backends();
      return pids.length > 0 ? pids : undefined;
    });
    await pg.query('SELECT pg_terminate_backend(pid) FROM unnest($1::int[]) AS pid', [before]);
    const after = await eventually('a new agent session', async () => {
      const pids = await backends();
      return pids.length > 0 && pids.every((p) => !before.includes(p)) ? pids : undefined;
    });
    expect(after.length).toBeGreaterThan(0);
    const since = Date.now() / 1000;
    await sampledAfter('pg', since);
    // reported: the probe that met the dead session counted an error and logged why
    expect(probeErrors(await scrape(agent), 'pg')).toBeGreaterThan(errorsBefore);
    expect(agent.logged(/connection lost/).length).toBeGreaterThan(0);
    assertAlive(agent);
  });

  it('PostgreSQL shut down: reported down while MariaDB is still sampled, and back up by itself once started', async () => {
    await pg.stopServer();
    const down = await upIs('pg', 0);
    expect((await targetDoc(agent, 'pg')).downReason).not.toBeNull();
    await sampledAfter('mes', lastSample(down, 'mes'));
    assertAlive(agent);
    await pg.startServer();
    await upIs('pg', 1);
  });

  it('one probe losing what it reads (pg_stat_statements dropped) leaves the other probes sampling, and recovers', async () => {
    await pg.query('DROP EXTENSION pg_stat_statements');
    const probes = async () => (await targetDoc(agent, 'pg')).probes;
    const lost = await eventually('the statements probe reporting the loss', async () => {
      const p = await probes();
      const statements = p.find((x) => x.probe === 'statements');
      return statements !== undefined && statements.status !== 'ok' && statements.status !== 'not-due'
        ? p
        : undefined;
    });
    expect(lost.find((x) => x.probe === 'connections')?.status).toBe('ok');
    const text = await scrape(agent);
    expect(up(text, 'pg')).toBe(1);
    expect(series(text, 'dbdiag_probe_supported', 'target="pg"', 'probe="statements"') ?? 0).toBe(0);
    await pg.query('CREATE EXTENSION pg_stat_statements');
    await eventually('the statements probe ok again', async () => {
      const statements = (await probes()).find((x) => x.probe === 'statements');
      return statements?.status === 'ok' ? statements : undefined;
    });
    assertAlive(agent);
  });
});
