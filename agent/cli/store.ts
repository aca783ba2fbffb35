import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import type { Store } from '../state/store.js';

// `dbdiag store info|vacuum|export`: a look inside the agent's state store for a DBA. The
// store is found as the agent finds it: --store, --data-dir, or the agent's --config.

export interface StoreLocationArgs {
  config?: string;
  dataDir?: string;
  store?: string;
}

export function withStoreLocation<T>(yargs: Argv<T>): Argv<T & StoreLocationArgs> {
  return yargs
    .option('config', {
      alias: 'c',
      type: 'string',
      describe: "the agent's config file (its dataDir / store)",
    })
    .option('data-dir', {
      type: 'string',
      describe: 'data directory of the SQLite store (default ~/.local/state/dbdiag)',
    })
    .option('store', { type: 'string', describe: 'a PostgreSQL store, postgres://...' }) as Argv<
    T & StoreLocationArgs
  >;
}

/** Opens an existing store the way the agent would find it; a missing SQLite file is an error. */
export async function openStoreFrom(
  args: StoreLocationArgs,
): Promise<{ store: Store; config: import('../config/schema.js').Config }> {
  const [{ loadConfig }, { openStore }] = await Promise.all([
    import('../config/load.js'),
    import('../state/open.js'),
  ]);
  const config = loadConfig(args.config, { dataDir: args.dataDir, store: args.store });
  const store = await openStore({ store: config.store, dataDir: config.dataDir }, { mustExist: true });
  return { store, config };
}

const iso = (ms: number | null): string => (ms === null ? '-' : new Date(ms).toISOString());

function formatBytes(bytes: number | null): string {
  if (bytes === null) return 'unknown';
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value.toFixed(unit === 0 ? 0 : 1)} ${units[unit]}`;
}

interface StoreArgs extends StoreLocationArgs {
  action: 'info' | 'vacuum' | 'export';
  output?: string;
  json?: boolean;
}

export const storeCommand: CommandModule<object, StoreArgs> = {
  command: 'store <action>',
  describe:
    "Look inside the agent's state store: info (size, rows, targets), vacuum (apply retention, reclaim space), export (JSON Lines)",
  builder: (yargs: Argv) =>
    withStoreLocation(
      yargs
        .positional('action', { choices: ['info', 'vacuum', 'export'] as const, demandOption: true })
        .option('output', {
          alias: 'o',
          type: 'string',
          describe: 'export: write to this file instead of stdout',
        })
        .option('json', { type: 'boolean', default: false, describe: 'info / vacuum: print JSON' }),
    ) as unknown as Argv<StoreArgs>,
  handler: async (args: ArgumentsCamelCase<StoreArgs>) => {
    const { store, config } = await openStoreFrom(args);
    try {
      if (args.action === 'info') {
        const info = await store.info();
        if (args.json) {
          process.stdout.write(`${JSON.stringify(info, null, 2)}\n`);
          return;
        }
        const lines = [
          `store:          ${info.backend} ${info.location}`,
          `schema version: ${info.schemaVersion}`,
          `size:           ${formatBytes(info.sizeBytes)}`,
          `targets:        ${info.targets.length > 0 ? info.targets.join(', ') : '(none yet)'}`,
          `rollup hours:   ${iso(info.oldestRollupHour)} .. ${iso(info.newestRollupHour)}`,
          'rows:',
          ...info.tables.map((t) => `  ${t.table.padEnd(28)} ${String(t.rows).padStart(10)}`),
        ];
        process.stdout.write(`${lines.join('\n')}\n`);
        return;
      }
      if (args.action === 'vacuum') {
        const before = await store.info();
        const { removed } = await store.prune(config.retention, Date.now());
        await store.vacuum();
        const after = await store.info();
        if (args.json) {
          process.stdout.write(
            `${JSON.stringify({ removed, sizeBefore: before.sizeBytes, sizeAfter: after.sizeBytes }, null, 2)}\n`,
          );
          return;
        }
        const total = Object.values(removed).reduce((a, b) => a + b, 0);
        process.stdout.write(
          `removed ${total} rows past their retention${
            total > 0
              ? ` (${Object.entries(removed)
                  .filter(([, n]) => n > 0)
                  .map(([t, n]) => `${t} ${n}`)
                  .join(', ')})`
              : ''
          }; size ${formatBytes(before.sizeBytes)} -> ${formatBytes(after.sizeBytes)}\n`,
        );
        return;
      }
      // export: one JSON object per line, {"table": ..., "row": {...}}
      const { createWriteStream } = await import('node:fs');
      const out = args.output ? createWriteStream(args.output) : process.stdout;
      let rows = 0;
      for (const table of await store.exportAll()) {
        for (const row of table.rows) {
          out.write(`${JSON.stringify({ table: table.table, row })}\n`);
          rows += 1;
        }
      }
      if (args.output) {
        await new Promise<void>((resolve, reject) => {
          (out as import('node:fs').WriteStream).end((error?: Error | null) =>
            error ? reject(error) : resolve(),
          );
        });
        process.stderr.write(`dbdiag store export: ${rows} rows written to ${args.output}\n`);
      }
    } finally {
      await store.close();
    }
  },
};
