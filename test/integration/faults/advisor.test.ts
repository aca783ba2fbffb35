import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADVISORS, type Advisor } from '../../../agent/advisors/registry.js';
import { loadConfig } from '../../../agent/config/load.js';
import { componentLogger } from '../../../agent/log.js';
import { type RunningAgent, startAgent } from '../../../agent/runtime/agent.js';
import { adviseStep } from '../../../agent/runtime/runner-options.js';
import { type PostgresServer, startPostgres } from '../../support/postgres.js';
import { eventually, series } from './agent-process.js';

// An advisor that throws on what a real server shows: the low-cache-hit advisor is wrapped so
// that it throws while the server has more than EXTRA client connections (an advisor bug that
// real data triggers). The agent runs in-process here (the advisor is handed in), so an escaped
// error would fail this file as an unhandled error. While the fault lasts, the other advisors'
// findings are still served, /metrics answers and the failure is counted; once the connections
// close, the advisor runs again without errors.

const EXTRA = 6;

function throwingWhenCrowded(): Advisor {
  const real = ADVISORS['low-cache-hit'];
  return {
    explainedBy: real.explainedBy,
    advise(input, context) {
      const used = input.history.at(-1)?.signals.connections?.used ?? 0;
      if (used > EXTRA) throw new TypeError(`advisor bug: cannot judge ${used} connections`);
      return real.advise(input, context);
    },
  };
}

describe('an advisor that throws (real PostgreSQL)', () => {
  let server: PostgresServer;
  let agent: RunningAgent;
  const crowd: pg.Client[] = [];

  const scrape = async () =>
    (await fetch(`${agent.url}/metrics`, { signal: AbortSignal.timeout(5000) })).text();
  const advisorErrors = (text: string) =>
    series(text, 'dbdiag_advisor_errors_total', 'target="pg"', 'advisor="low-cache-hit"') ?? 0;

  beforeAll(async () => {
    server = await startPostgres({ version: 15 }); // pg_stat_statements preloaded, not created
    const config = { ...loadConfig(undefined, { listen: '127.0.0.1:0', intervalSeconds: 1 }) };
    const withTarget = { ...config, targets: [{ name: 'pg', dsn: server.url() }] };
    const log = componentLogger('test');
    agent = await startAgent(withTarget, {
      log,
      runnerOptions: (_target, runbookBaseUrl) => ({
        advise: adviseStep(withTarget, log, runbookBaseUrl, false, {
          ...ADVISORS,
          'low-cache-hit': throwingWhenCrowded(),
        }),
      }),
    });
    await agent.waitForSnapshot('pg', (s) => s.up, 30_000);
  });

  afterAll(async () => {
    for (const c of crowd) await c.end().catch(() => undefined);
    await agent?.stop();
    await server?.stop();
  });

  it('is counted while the others keep their findings; it recovers once the data that broke it is gone', async () => {
    for (let i = 0; i < EXTRA; i++) crowd.push(await server.connect());
    const failing = await eventually('the advisor failing on the crowded server', async () => {
      const text = await scrape();
      return advisorErrors(text) >= 2 ? text : undefined;
    });
    // the other advisors still judge: pg_stat_statements is preloaded but not created
    expect(failing).toMatch(/dbdiag_findings\{target="pg",kind="extension-missing",severity="\w+"\} 1/);
    expect(series(failing, 'dbdiag_up', 'target="pg"')).toBe(1);
    const findings = (await (await fetch(`${agent.url}/api/findings`)).json()) as {
      findings: { kind: string }[];
    };
    expect(findings.findings.map((f) => f.kind)).toContain('extension-missing');

    for (const c of crowd.splice(0)) await c.end();
    // no new failure over several cycles once the connections are gone
    await eventually('the advisor running cleanly again', async () => {
      const before = advisorErrors(await scrape());
      await agent.waitForSnapshot('pg', (s) => (s.signals.connections?.used ?? 99) <= EXTRA, 10_000);
      const at = Date.now();
      await agent.waitForSnapshot('pg', (s) => s.at > at + 2500, 10_000);
      return advisorErrors(await scrape()) === before ? true : undefined;
    });
    expect(series(await scrape(), 'dbdiag_up', 'target="pg"')).toBe(1);
  });
});
