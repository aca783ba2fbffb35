import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import type { FormatChoice } from '../slowlog/formats.js';
import { checkNumbers } from './flags.js';

// dbdiag digest FILE... : a slow-log report ranked by total time, or every class as JSON.

/** the parser names (agent/slowlog/formats.ts), listed here so the flags load no parser */
const FORMAT_CHOICES = [
  'auto',
  'mysql',
  'postgres-stderr',
  'postgres-csv',
  'postgres-json',
] as const satisfies readonly FormatChoice[];

/** Classes kept in memory at most: each holds a quantile sketch and its worst sample. */
export const MAX_DIGEST_CLASSES = 50_000;

interface DigestArgs {
  files: string[];
  format: FormatChoice;
  top: number;
  since?: string;
  until?: string;
  json: boolean;
  'log-line-prefix'?: string;
  'max-classes': number;
  threads?: number;
}

function parseTime(text: string | undefined, flag: string): number | undefined {
  if (text === undefined) return undefined;
  // Date.parse takes almost anything ("1"); insist on a date at least
  const ms = /^\d{4}-\d\d-\d\d/.test(text.trim()) ? Date.parse(text) : Number.NaN;
  if (Number.isNaN(ms)) {
    throw new Error(
      `--${flag} "${text}" is not a date: use ISO 8601, e.g. 2024-05-01 or 2024-05-01T12:00:00Z`,
    );
  }
  return ms;
}

export const digestCommand: CommandModule<object, DigestArgs> = {
  command: 'digest [files..]',
  describe:
    'Digest MySQL/MariaDB slow logs or PostgreSQL logs (files, .gz, or - for stdin) by statement fingerprint',
  builder: (y: Argv) =>
    y
      .positional('files', {
        type: 'string',
        array: true,
        default: ['-'],
        describe: 'log files; - reads stdin',
      })
      .option('format', { choices: FORMAT_CHOICES, default: 'auto', describe: 'log format' })
      .option('top', {
        type: 'number',
        default: 20,
        describe: 'classes shown in the report (--json holds all)',
      })
      .option('since', { type: 'string', describe: 'only statements at or after this time (ISO 8601)' })
      .option('until', { type: 'string', describe: 'only statements before this time (ISO 8601)' })
      .option('json', { type: 'boolean', default: false, describe: 'print one JSON object with every class' })
      .option('log-line-prefix', {
        type: 'string',
        describe: "PostgreSQL log_line_prefix (default: detected, e.g. '%m [%p] ')",
      })
      .option('max-classes', {
        type: 'number',
        default: 5000,
        describe: `classes kept before the cheapest fold into "other" (at most ${MAX_DIGEST_CLASSES})`,
      })
      .option('threads', {
        type: 'number',
        describe: 'worker threads for large files (default: cores)',
      })
      .check((args) => {
        checkNumbers(args, {
          top: { min: 1, max: 100_000, integer: true },
          'max-classes': { min: 1, max: MAX_DIGEST_CLASSES, integer: true },
          threads: { min: 1, max: 64, integer: true },
        });
        parseTime(args.since, 'since');
        parseTime(args.until, 'until');
        return true;
      }) as unknown as Argv<DigestArgs>,
  handler: async (args: ArgumentsCamelCase<DigestArgs>) => {
    const { progressBar, runDigest } = await import('../slowlog/digest-command.js');
    const bar = process.stderr.isTTY ? progressBar(process.stderr) : null;
    const output = await runDigest({
      files: args.files.length === 0 ? ['-'] : args.files,
      format: args.format,
      top: args.top,
      since: parseTime(args.since, 'since'),
      until: parseTime(args.until, 'until'),
      json: args.json,
      linePrefix: args['log-line-prefix'],
      maxClasses: args['max-classes'],
      threads: args.threads,
      onProgress: bar?.update,
    });
    bar?.done();
    // `dbdiag digest ... | head` closes stdout early: that is not an error
    process.stdout.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EPIPE') process.exit(0);
      throw error;
    });
    process.stdout.write(output);
  },
};
