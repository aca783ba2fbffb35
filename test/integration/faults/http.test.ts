import { chmodSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type PostgresServer, startPostgres } from '../../support/postgres.js';
import { serverUser } from '../../support/run-as.js';
import {
  type AgentProcess,
  assertAlive,
  eventually,
  scrape,
  series,
  startAgentProcess,
} from './agent-process.js';

// Faults of the HTTP layer, caused for real on the agent's socket: requests Node's parser accepts
// but no URL parser does, bytes that are not HTTP, oversized headers, clients that hang up in the
// middle of a response, and more connections than the process may open files (an open-file
// limit set with prlimit, so accept() fails with EMFILE). The agent stays up, keeps sampling,
// and /metrics answers again as soon as the fault is gone.

const MAX_OPEN_FILES = 96;

/** Sends raw bytes on a new connection; resolves with what came back before the server closed it. */
function raw(port: number, bytes: string | Buffer, timeoutMs = 5000): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let got = '';
    const done = () => {
      socket.destroy();
      resolve(got);
    };
    socket.setTimeout(timeoutMs, done);
    socket.on('data', (chunk) => {
      got += chunk.toString('latin1');
    });
    socket.on('error', done);
    socket.on('close', done);
    socket.write(bytes);
  });
}

describe('HTTP layer faults', () => {
  let dir = '';
  let pg: PostgresServer;
  let agent: AgentProcess;
  let port = 0;

  const sampled = () =>
    eventually('/metrics answering with the target up', async () => {
      const text = await scrape(agent);
      return series(text, 'dbdiag_up', 'target="pg"') === 1 ? text : undefined;
    });

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'dbdiag-faults-http-'));
    chmodSync(dir, 0o755);
    pg = await startPostgres({ version: 15 });
    agent = await startAgentProcess({
      user: serverUser(),
      dir,
      maxOpenFiles: MAX_OPEN_FILES,
      config: { intervalSeconds: 1, targets: [{ name: 'pg', dsn: pg.url() }] },
    });
    port = Number(new URL(agent.url).port);
    await sampled();
  });

  afterAll(async () => {
    await agent?.stop();
    await pg?.stop();
    if (dir !== '') rmSync(dir, { recursive: true, force: true });
  });

  it('a request target no URL parser accepts gets an error answer, not a crash', async () => {
    for (const target of ['http://[', 'http://a:99999/metrics', '//[/x', '/%E0%A4%A']) {
      const answer = await raw(port, `GET ${target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
      expect(answer).toMatch(/^HTTP\/1\.1 (400|404)/);
      assertAlive(agent);
    }
    await sampled();
  });

  it('bytes that are not HTTP, and oversized headers, are refused with 4xx', async () => {
    expect(await raw(port, Buffer.from([0, 1, 2, 255, 13, 10, 13, 10]))).toMatch(/^HTTP\/1\.1 400/);
    const huge = `GET /metrics HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(128 * 1024)}\r\n\r\n`;
    expect(await raw(port, huge)).toMatch(/^HTTP\/1\.1 431/);
    assertAlive(agent);
    await sampled();
  });

  it('clients hanging up in the middle of responses do not disturb the others', async () => {
    const hangUps = Array.from(
      { length: 40 },
      () =>
        new Promise<void>((resolve) => {
          const socket = connect(port, '127.0.0.1', () => {
            socket.write('GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n');
            socket.once('data', () => {
              socket.resetAndDestroy();
              resolve();
            });
          });
          socket.on('error', () => resolve());
          socket.setTimeout(10_000, () => {
            socket.destroy();
            resolve();
          });
        }),
    );
    await Promise.all(hangUps);
    assertAlive(agent);
    await sampled();
  });

  it('more connections than the process may open files: the agent survives EMFILE (Node drops what it cannot accept), keeps sampling, and answers once they close', async () => {
    const held: Socket[] = [];
    await Promise.all(
      Array.from(
        { length: MAX_OPEN_FILES + 40 },
        () =>
          new Promise<void>((resolve) => {
            const socket = connect(port, '127.0.0.1', () => resolve());
            socket.on('error', () => resolve());
            held.push(socket);
          }),
      ),
    );
    // the fault is real: every descriptor the process may open is in use
    const open = () => readdirSync(`/proc/${agent.pid}/fd`).length;
    await eventually('the descriptor limit reached', async () =>
      open() >= MAX_OPEN_FILES ? true : undefined,
    );
    // sampling goes on meanwhile (its session needs no new descriptor): the agent's backend
    // keeps starting queries
    const lastQuery = async () =>
      (
        await pg.query<{ at: Date }>(
          "SELECT max(query_start) AS at FROM pg_stat_activity WHERE application_name = 'dbdiag'",
        )
      )[0]?.at.getTime() ?? 0;
    const before = await lastQuery();
    await eventually('the agent sampling while out of descriptors', async () =>
      (await lastQuery()) > before ? true : undefined,
    );
    assertAlive(agent);
    for (const socket of held) socket.destroy();
    const text = await sampled();
    expect(series(text, 'dbdiag_up', 'target="pg"')).toBe(1);
    assertAlive(agent);
  });
});
