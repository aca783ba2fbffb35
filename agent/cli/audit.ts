import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { openStoreFrom, type StoreLocationArgs, withStoreLocation } from './store.js';

// `dbdiag audit list|export|verify`: the audit log (agent/audit/) read from the state store,
// found as the agent finds it (--store, --data-dir or --config). verify exits 2 when the
// chain shows tampering, so a cron job or a compliance check can act on it.

/** Exit status of `audit verify` when the chain is broken. */
export const EXIT_TAMPERED = 2;

interface AuditArgs extends StoreLocationArgs {
  action: 'list' | 'export' | 'verify';
  format: 'table' | 'json';
  output?: string;
  since?: string;
  target?: string;
}

const iso = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

function sinceMs(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const relative = /^(\d+)([hd])$/.exec(text);
  if (relative) return Date.now() - Number(relative[1]) * (relative[2] === 'h' ? 3_600_000 : 86_400_000);
  const at = Date.parse(text);
  if (Number.isNaN(at)) throw new Error(`--since ${text}: give a date (2026-11-01) or a duration (24h, 7d)`);
  return at;
}

export const auditCommand: CommandModule<object, AuditArgs> = {
  command: 'audit <action>',
  describe:
    'The audit log of applies, reverts, drills and configuration changes: list, export (JSON Lines, with hashes), verify (the hash chain)',
  builder: (yargs: Argv) =>
    withStoreLocation(
      yargs
        .positional('action', { choices: ['list', 'export', 'verify'] as const, demandOption: true })
        .option('format', {
          choices: ['table', 'json'] as const,
          default: 'table' as const,
          describe: 'list / verify: a table or JSON',
        })
        .option('output', {
          alias: 'o',
          type: 'string',
          describe: 'export: write to this file instead of stdout',
        })
        .option('since', {
          type: 'string',
          describe: 'list / export: records at or after (2026-11-01, 24h, 7d)',
        })
        .option('target', { type: 'string', describe: 'list / export: records of this target only' }),
    ) as unknown as Argv<AuditArgs>,
  handler: async (args: ArgumentsCamelCase<AuditArgs>) => {
    const since = sinceMs(args.since);
    const { store } = await openStoreFrom(args);
    try {
      const { auditRecords, verifyAudit } = await import('../audit/log.js');
      if (args.action === 'verify') {
        const verdict = await verifyAudit(store);
        if (args.format === 'json') process.stdout.write(`${JSON.stringify(verdict, null, 2)}\n`);
        else {
          const range = verdict.records > 0 ? ` (#${verdict.firstSeq}..#${verdict.lastSeq})` : '';
          const pruned =
            verdict.prunedBefore > 0 ? `; ${verdict.prunedBefore} older record(s) removed by retention` : '';
          process.stdout.write(
            verdict.ok
              ? `audit log intact: ${verdict.records} record(s)${range}, every hash and link checks${pruned}\n`
              : `audit log TAMPERED: ${verdict.problems.length} problem(s) in ${verdict.records} record(s)${range}${pruned}\n${verdict.problems
                  .map((p) => `  #${p.seq}: ${p.problem}\n`)
                  .join('')}`,
          );
        }
        if (!verdict.ok) process.exitCode = EXIT_TAMPERED;
        return;
      }
      const records = await auditRecords(store, {
        ...(since !== undefined ? { since } : {}),
        ...(args.target ? { target: args.target } : {}),
      });
      if (args.action === 'export') {
        const { createWriteStream } = await import('node:fs');
        const out = args.output ? createWriteStream(args.output) : process.stdout;
        for (const record of records) out.write(`${JSON.stringify(record)}\n`);
        if (args.output) {
          await new Promise<void>((resolve, reject) => {
            (out as import('node:fs').WriteStream).end((error?: Error | null) =>
              error ? reject(error) : resolve(),
            );
          });
          process.stderr.write(
            `dbdiag audit export: ${records.length} record(s) written to ${args.output}\n`,
          );
        }
        return;
      }
      if (args.format === 'json') {
        process.stdout.write(`${JSON.stringify(records, null, 2)}\n`);
        return;
      }
      if (records.length === 0) {
        process.stdout.write('no audit records\n');
        return;
      }
      const rows = records.map((r) => [
        `#${r.seq}`,
        iso(r.startedAt),
        r.who,
        r.action,
        r.target ?? '-',
        r.finding ?? '-',
        r.result,
        r.detail ?? '',
      ]);
      const header = ['SEQ', 'STARTED', 'WHO', 'ACTION', 'TARGET', 'FINDING', 'RESULT', 'DETAIL'];
      const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
      const line = (cells: string[]) =>
        cells
          .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!)))
          .join('  ')
          .trimEnd();
      process.stdout.write(`${[line(header), ...rows.map(line)].join('\n')}\n`);
    } finally {
      await store.close();
    }
  },
};
