import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { type StoreLocationArgs, withStoreLocation } from './store.js';

// `dbdiag findings`: the history of findings from the agent's state store, without the agent
// running. Newest last-seen first.

interface FindingsArgs extends StoreLocationArgs {
  since?: string;
  status?: string;
  target?: string;
  kind?: string;
  format: 'table' | 'json';
  limit: number;
}

export const findingsCommand: CommandModule<object, FindingsArgs> = {
  command: 'findings',
  describe:
    'Finding history from the state store: when each was first and last seen, how often, how it ended',
  builder: (yargs: Argv) =>
    withStoreLocation(
      yargs
        .option('since', {
          type: 'string',
          describe: 'last seen within (30m, 24h, 7d) or since an ISO 8601 time',
        })
        .option('status', { choices: ['active', 'resolved', 'all'], describe: 'default all' })
        .option('target', { type: 'string', describe: 'only this target' })
        .option('kind', {
          type: 'string',
          describe: 'only this finding kind (pool-saturation, missing-index, ...)',
        })
        .option('format', { choices: ['table', 'json'] as const, default: 'table' as const })
        .option('limit', { type: 'number', default: 1000, describe: 'at most this many episodes' }),
    ) as unknown as Argv<FindingsArgs>,
  handler: async (args: ArgumentsCamelCase<FindingsArgs>) => {
    const [{ openStoreFrom }, { parseSince, parseStatus, storeQuery }, { findingJson }] = await Promise.all([
      import('./store.js'),
      import('../state/query.js'),
      import('../findings/tracker.js'),
    ]);
    const filter = {
      status: parseStatus(args.status),
      ...(args.since ? { since: parseSince(args.since, Date.now()) } : {}),
      ...(args.target ? { target: args.target } : {}),
      ...(args.kind ? { kind: args.kind } : {}),
    };
    const { store } = await openStoreFrom(args);
    try {
      const found = await store.findings(storeQuery(filter, args.limit));
      if (args.format === 'json') {
        process.stdout.write(`${JSON.stringify({ findings: found.map(findingJson) }, null, 2)}\n`);
        return;
      }
      if (found.length === 0) {
        process.stdout.write('no findings match\n');
        return;
      }
      const time = (ms: number | null) =>
        ms === null ? '-' : new Date(ms).toISOString().slice(0, 19).replace('T', ' ');
      const rows = found.map((t) => [
        t.status,
        t.finding.severity === t.worst.severity
          ? t.finding.severity
          : `${t.finding.severity} (worst ${t.worst.severity})`,
        t.finding.kind,
        t.finding.target,
        time(t.firstSeen),
        t.status === 'resolved' ? time(t.resolvedAt) : time(t.lastSeen),
        String(t.occurrences),
        t.finding.summary,
      ]);
      const header = [
        'STATUS',
        'SEVERITY',
        'KIND',
        'TARGET',
        'FIRST SEEN (UTC)',
        'LAST SEEN / RESOLVED',
        'SEEN',
        'SUMMARY',
      ];
      const widths = header.map((h, i) =>
        Math.max(h.length, ...rows.map((r) => (i === 7 ? 0 : (r[i] ?? '').length))),
      );
      const line = (cells: string[]) =>
        cells.map((c, i) => (i === 7 ? c : c.padEnd(widths[i] ?? 0))).join('  ');
      process.stdout.write(`${[line(header), ...rows.map(line)].join('\n')}\n`);
    } finally {
      await store.close();
    }
  },
};
