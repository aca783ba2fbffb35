import { loadConfig } from '../../agent/config/load.js';
import { componentLogger, rootLogger } from '../../agent/log.js';
import { startAgent } from '../../agent/runtime/agent.js';
import { runnerOptionsFor } from '../../agent/runtime/runner-options.js';
import { startPostgres } from '../support/postgres.js';
import { measureScrapes } from './scrape-common.js';

// /metrics latency while the database is up, then while it is stopped: a scrape serves the last
// snapshot from memory, so a down server must not slow it. Prints figures (no assertions).
// Run: npx tsx test/bench/scrape-while-down.ts [--scrapes 50]

const scrapes = Number(process.argv[process.argv.indexOf('--scrapes') + 1]) || 50;
rootLogger.level = 'error';

const server = await startPostgres({ version: 15, needs: { control: true } });
const config = loadConfig(undefined, { urls: [server.url()], listen: '127.0.0.1:0', intervalSeconds: 1 });
const log = componentLogger('bench');
const agent = await startAgent(config, { log, runnerOptions: runnerOptionsFor(config, log) });
const target = config.targets[0]!.name;
try {
  await agent.waitForSnapshot(target, (s) => s.up, 20_000);
  await measureScrapes(`${agent.url}/metrics`, 5); // warm-up
  const up = await measureScrapes(`${agent.url}/metrics`, scrapes);
  await server.stopServer();
  await agent.waitForSnapshot(target, (s) => !s.up, 20_000);
  const down = await measureScrapes(`${agent.url}/metrics`, scrapes);
  const row = (label: string, f: typeof up) =>
    `${label.padEnd(22)} median ${f.medianMs.toFixed(2)} ms  p99 ${f.p99Ms.toFixed(2)} ms  max ${f.maxMs.toFixed(2)} ms  series ${f.series}`;
  console.log(`/metrics over ${scrapes} scrapes (PostgreSQL 15, agent interval 1 s)`);
  console.log(row('server up', up));
  console.log(row('server stopped', down));
  const restartedAt = Date.now();
  await server.startServer();
  const back = await agent.waitForSnapshot(target, (s) => s.up, 30_000);
  console.log(
    `sampling resumed ${((back.at - restartedAt) / 1000).toFixed(1)} s after the server was started again`,
  );
} finally {
  await agent.stop();
  await server.stop();
}
