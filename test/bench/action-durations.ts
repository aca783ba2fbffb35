import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { dialects } from '../../agent/engines/dialects.js';
import { ENGINE_NAMES } from '../../agent/engines/names.js';
import { createIndexAction, type FixAction, tableMaintenanceAction } from '../../agent/findings/actions.js';
import { startSandboxServer } from '../../agent/sandbox/engines.js';
import type { SandboxServer } from '../../agent/sandbox/server.js';
import type { EngineName } from '../../agent/snapshot/signals.js';

// npm run bench:action-durations [-- --rows 600000] [--engine postgres|mysql]
//
// How fast the fix actions whose run time grows with the table run on this machine: the
// statements each engine renders (agent/engines/<engine>/remedies.ts) for create-index (the
// online form), vacuum, analyze and optimize, timed on a throw-away server of each engine
// (agent/sandbox/) holding one table of --rows rows (~250 bytes each). Prints seconds and MB of
// table per second; the rates in agent/findings/actions.ts (ACTION_RATES) are the slower
// engine's figures from this script, rounded down. Wall time on a shared machine: the load
// average is printed with the figures.

const { values } = parseArgs({
  options: { rows: { type: 'string', default: '600000' }, engine: { type: 'string' } },
});
const rows = Math.max(10_000, Number(values.rows));

/** What differs per engine in the bench's own set-up SQL (the actions are rendered by the engine). */
const SETUP: Record<EngineName, { table: string; create: string; size: string; churn: string }> = {
  postgres: {
    table: 'public.bench_t',
    create: `CREATE TABLE public.bench_t (id int PRIMARY KEY, k int, pad text);
      INSERT INTO public.bench_t SELECT g, g % 10007, repeat(md5(g::text), 7) FROM generate_series(1, ${rows}) g;
      CHECKPOINT`,
    size: "SELECT pg_table_size('public.bench_t') AS b",
    churn: 'DELETE FROM public.bench_t WHERE id % 3 = 0',
  },
  mysql: {
    table: 'bench.bench_t',
    create: `CREATE DATABASE bench;
      CREATE TABLE bench.bench_t (id INT PRIMARY KEY, k INT, pad VARCHAR(255));
      INSERT INTO bench.bench_t SELECT seq, seq % 10007, REPEAT(MD5(seq), 7) FROM bench.seq_1_to_${rows};
      ANALYZE TABLE bench.bench_t`,
    size: "SELECT DATA_LENGTH AS b FROM information_schema.TABLES WHERE TABLE_SCHEMA = 'bench' AND TABLE_NAME = 'bench_t'",
    churn: 'DELETE FROM bench.bench_t WHERE id % 3 = 0',
  },
};

async function timed(server: SandboxServer, engine: EngineName, action: FixAction): Promise<number | null> {
  let statements: string[];
  try {
    statements = dialects[engine].remedies.render(action).statements;
  } catch {
    return null;
  }
  if (statements.length === 0) return null;
  const session = await server.connect();
  try {
    const started = performance.now();
    for (const statement of statements) await session.query(statement);
    return (performance.now() - started) / 1000;
  } finally {
    await session.close();
  }
}

process.stdout.write(
  `fix action durations, ${rows} rows per table; load average ${loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')} (2 cores shared with other sessions: wall time)\n`,
);
for (const engine of ENGINE_NAMES.filter((e) => values.engine === undefined || e === values.engine)) {
  const setup = SETUP[engine];
  const server = await startSandboxServer(engine, { purpose: 'bench', cacheBytes: 128 * 1024 * 1024 });
  try {
    await server.query(setup.create);
    const bytes = Number((await server.query(setup.size))[0]?.b);
    const mb = bytes / 1e6;
    const run = async (name: string, action: FixAction) => {
      const seconds = await timed(server, engine, action);
      if (seconds === null) process.stdout.write(`  ${name.padEnd(12)} not rendered on ${engine}\n`);
      else
        process.stdout.write(
          `  ${name.padEnd(12)} ${seconds.toFixed(2).padStart(7)} s  ${(mb / seconds).toFixed(1).padStart(7)} MB/s of table\n`,
        );
    };
    process.stdout.write(`${server.label}: table ${mb.toFixed(1)} MB\n`);
    await run(
      'create-index',
      createIndexAction({ table: setup.table, name: 'bench_t_k', columns: ['k'], risk: 'bench' }),
    );
    await run('analyze', tableMaintenanceAction('analyze', setup.table, 'none', 'bench'));
    await server.query(setup.churn);
    await run('vacuum', tableMaintenanceAction('vacuum', setup.table, 'none', 'bench'));
    await run('optimize', tableMaintenanceAction('optimize', setup.table, 'brief', 'bench'));
  } finally {
    await server.destroy();
  }
}
