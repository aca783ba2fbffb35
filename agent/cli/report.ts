import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { type StoreLocationArgs, withStoreLocation } from './store.js';

// `dbdiag report`: a health-check report from the agent's state store, on demand. It is stored
// like a scheduled one, so the next report of the same kind compares with it.

interface ReportArgs extends StoreLocationArgs {
  kind?: 'daily' | 'weekly' | 'monthly';
  period?: string;
  from?: string;
  to?: string;
  target?: string;
  format: 'md' | 'html' | 'json';
  out?: string;
  compareTo?: string;
}

export const reportCommand: CommandModule<object, ReportArgs> = {
  command: 'report',
  describe:
    'Health-check report from the state store: verdict, findings new/persisting/resolved/regressed, capacity, statement regressions, maintenance due, changes',
  builder: (yargs: Argv) =>
    withStoreLocation(
      yargs
        .option('kind', {
          choices: ['daily', 'weekly', 'monthly'] as const,
          describe: 'its length (24 h, 7 d, 30 d) and what it compares with; default custom (24 h)',
        })
        .option('period', { type: 'string', describe: 'length ending now (or at --to): 30m, 24h, 7d' })
        .option('from', { type: 'string', describe: 'start, ISO 8601' })
        .option('to', { type: 'string', describe: 'end, ISO 8601 (default now)' })
        .option('target', { type: 'string', describe: 'only this target' })
        .option('format', { choices: ['md', 'html', 'json'] as const, default: 'md' as const })
        .option('out', {
          alias: 'o',
          type: 'string',
          describe: 'write to this file, or into this directory as <id>.<format> (default stdout)',
        })
        .option('compare-to', {
          type: 'string',
          describe:
            'baseline: a report JSON file or a stored report id (default the latest of the same kind)',
        }),
    ) as unknown as Argv<ReportArgs>,
  handler: async (args: ArgumentsCamelCase<ReportArgs>) => {
    const [{ openStoreFrom }, { resolvePeriod }, { makeReport }, render, fs, path] = await Promise.all([
      import('./store.js'),
      import('../reports/period.js'),
      import('../reports/make.js'),
      import('../reports/render.js'),
      import('node:fs'),
      import('node:path'),
    ]);
    const kind = args.kind ?? 'custom';
    const now = Date.now();
    const { from, to } = resolvePeriod(kind, args, now);
    const { store, config } = await openStoreFrom(args);
    const tty = process.stderr.isTTY ? process.stderr : null;
    tty?.write('reading the state store ...');
    try {
      const report = await makeReport(store, {
        kind,
        from,
        to,
        now,
        target: args.target,
        compareTo: args.compareTo,
        dataLimits: config.reports.dataLimits,
      });
      tty?.write('\r\x1b[K');
      const text = render.renderReport(report, args.format);
      if (args.out === undefined) {
        process.stdout.write(text);
        return;
      }
      const isDir =
        args.out.endsWith('/') || (fs.existsSync(args.out) && fs.statSync(args.out).isDirectory());
      const file = isDir ? path.join(args.out, `${report.id}.${args.format}`) : args.out;
      fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
      fs.writeFileSync(file, text);
      process.stderr.write(`report ${report.id} (${report.fleet.status}) written to ${file}\n`);
    } finally {
      await store.close();
    }
  },
};
