import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../agent/config/load.js';
import { componentLogger } from '../../../agent/log.js';
import { type RunningAgent, startAgent } from '../../../agent/runtime/agent.js';
import { runnerOptionsFor } from '../../../agent/runtime/runner-options.js';
import { startLocalMariadb, type TestMysqlServer } from '../../support/mysql.js';

// The agent follows a target's slow log while it samples the target: statements written to the
// log after the agent started show up as slow-log series and in the snapshot for the advisors.

async function scrape(url: string): Promise<string> {
  const res = await fetch(`${url}/metrics`);
  return res.text();
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = await probe();
    if (value !== undefined) return value;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('agent following a slow log (MariaDB)', () => {
  let server: TestMysqlServer;
  let agent: RunningAgent;

  beforeAll(async () => {
    server = await startLocalMariadb({ slowLog: true, performanceSchema: true });
    await server.exec('CREATE DATABASE IF NOT EXISTS mes');
    await server.exec('CREATE TABLE mes.history (id INT PRIMARY KEY, work_order_id INT, note VARCHAR(40))');
    await server.exec(
      'INSERT INTO mes.history SELECT seq, seq % 500, CONCAT("n", seq) FROM mes.seq_1_to_20000',
    );
    const config = loadConfig(undefined, { listen: '127.0.0.1:0', intervalSeconds: 1 });
    const withTarget = {
      ...config,
      targets: [
        { name: 'mes', dsn: server.url, slowLog: { path: server.slowLogPath!, format: 'mysql' as const } },
      ],
    };
    const log = componentLogger('test');
    agent = await startAgent(withTarget, { log, runnerOptions: runnerOptionsFor(withTarget, log) });
    await agent.waitForSnapshot('mes', (s) => s.up, 20_000);
  });

  afterAll(async () => {
    await agent?.stop();
    await server?.destroy();
  });

  it('exports the statements logged after it started, grouped by fingerprint', async () => {
    for (let i = 0; i < 5; i++) {
      await server.exec(`SELECT COUNT(*) FROM mes.history WHERE work_order_id = ${i * 7} /* trace-${i} */`);
    }
    // The last entry of a burst is counted once the follower sees no more data after it.
    const countOf = (body: string): number | undefined => {
      const id =
        /dbdiag_slow_query_info\{target="mes",query_id="([0-9a-f]+)",fingerprint="select count\(\*\) from mes\.history where work_order_id = \?"/.exec(
          body,
        )?.[1];
      if (!id) return undefined;
      const count = new RegExp(`dbdiag_slow_queries_total\\{target="mes",query_id="${id}"\\} (\\d+)`).exec(
        body,
      );
      return count ? Number(count[1]) : undefined;
    };
    const text = await until('five statements of the history class', async () => {
      const body = await scrape(agent.url);
      return (countOf(body) ?? 0) >= 5 ? body : undefined;
    });
    expect(countOf(text)).toBe(5);
    expect(text).toMatch(/dbdiag_slow_query_seconds_count\{target="mes"\} \d+/);

    const classes = agent.latest('mes')?.signals.slowlog?.classes ?? [];
    const history = classes.find((c) => c.fingerprint.startsWith('select count(*) from mes.history'));
    expect(history?.count).toBe(5);
    expect(history?.sample).toMatch(/work_order_id = \d+/);
  });
});
