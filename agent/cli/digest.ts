import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { FORMAT_CHOICES, progressBar, runDigest } from '../slowlog/digest-command.js';

// dbdiag digest FILE... : a slow-log report ranked by total time, or every class as JSON.

interface DigestArgs {
  files: string[];
  format: string;
  top: number;
  since?: string;
  until?: string;
  json: boolean;
  'log-line-prefix'?: string;
  'max-classes': number;
  threads?: number;
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
        describe: 'classes kept before the cheapest fold into "other"',
      })
      .option('threads', {
        type: 'number',
        describe: 'worker threads for large files (default: cores)',
      }) as unknown as Argv<DigestArgs>,
  handler: async (args: ArgumentsCamelCase<DigestArgs>) => {
    const parseTime = (text: string | undefined, flag: string): number | undefined => {
      if (text === undefined) return undefined;
      const ms = Date.parse(text);
      if (Number.isNaN(ms))
        throw new Error(`--${flag} "${text}" is not a date: use ISO 8601, e.g. 2024-05-01T12:00:00Z`);
      return ms;
    };
    const bar = process.stderr.isTTY ? progressBar(process.stderr) : null;
    const output = await runDigest({
      files: args.files.length === 0 ? ['-'] : args.files,
      format: args.format as (typeof FORMAT_CHOICES)[number],
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
