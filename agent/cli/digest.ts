import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { Argv, CommandModule } from 'yargs';
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

export interface DigestArgs {
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

/**
 * The one definition of digest's options: yargs builds the help and the full parser from it,
 * and parseDigestFast() reads the same table for the plain invocations without loading yargs.
 */
const DIGEST_OPTIONS = {
  format: { type: 'string', choices: FORMAT_CHOICES, default: 'auto', describe: 'log format' },
  top: { type: 'number', default: 20, describe: 'classes shown in the report (--json holds all)' },
  since: { type: 'string', describe: 'only statements at or after this time (ISO 8601)' },
  until: { type: 'string', describe: 'only statements before this time (ISO 8601)' },
  json: { type: 'boolean', default: false, describe: 'print one JSON object with every class' },
  'log-line-prefix': {
    type: 'string',
    describe: "PostgreSQL log_line_prefix (default: detected, e.g. '%m [%p] ')",
  },
  'max-classes': {
    type: 'number',
    default: 5000,
    describe: `classes kept before the cheapest fold into "other" (at most ${MAX_DIGEST_CLASSES})`,
  },
  threads: { type: 'number', describe: 'worker threads for large files (default: cores)' },
} as const satisfies Record<
  string,
  {
    type: 'string' | 'number' | 'boolean';
    default?: string | number | boolean;
    choices?: readonly string[];
    describe: string;
  }
>;

/** Throws the first problem with the parsed flags (yargs' .check and the fast path alike). */
function checkDigestArgs(args: Record<string, unknown>): true {
  checkNumbers(args, {
    top: { min: 1, max: 100_000, integer: true },
    'max-classes': { min: 1, max: MAX_DIGEST_CLASSES, integer: true },
    threads: { min: 1, max: 64, integer: true },
  });
  parseTime(args.since as string | undefined, 'since');
  parseTime(args.until as string | undefined, 'until');
  return true;
}

/**
 * `dbdiag digest ...` parsed without yargs (~60 modules and a rendered help, more than node's
 * own start-up). Only the plain forms are taken here; anything else — help, a flag unknown,
 * repeated, negated or camelCased, a value out of range, `--json false` — returns null and goes
 * through yargs, so messages and edge cases stay yargs' own.
 */
export function parseDigestFast(argv: readonly string[]): DigestArgs | null {
  if (argv.some((a) => a === '-h' || a === '--help' || a === '--version' || a === 'true' || a === 'false'))
    return null;
  const options: Record<string, { type: 'string' | 'boolean'; multiple: true }> = {};
  for (const [name, spec] of Object.entries(DIGEST_OPTIONS))
    options[name] = { type: spec.type === 'boolean' ? 'boolean' : 'string', multiple: true };
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args: [...argv], options, allowPositionals: true, strict: true });
  } catch {
    return null;
  }
  const args: Record<string, unknown> = { files: parsed.positionals.length > 0 ? parsed.positionals : ['-'] };
  for (const [name, spec] of Object.entries(DIGEST_OPTIONS)) {
    const given = parsed.values[name] as (string | boolean)[] | undefined;
    if (given !== undefined && given.length !== 1) return null;
    const value = given?.[0];
    if (value === undefined) {
      if ('default' in spec) args[name] = spec.default;
      continue;
    }
    if (spec.type === 'number') {
      if (typeof value !== 'string' || !/^\s*[-+]?\d+(\.\d+)?([eE][-+]?\d+)?\s*$/.test(value)) return null;
      args[name] = Number(value);
    } else args[name] = value;
    if ('choices' in spec && !(spec.choices as readonly unknown[]).includes(value)) return null;
  }
  try {
    checkDigestArgs(args);
  } catch {
    return null;
  }
  return args as unknown as DigestArgs;
}

/**
 * Plain (not gzip) inputs up to this many bytes in total are digested without TurboFan, V8's
 * optimising compiler. Such a digest is over before compiling the parser and the fingerprinter
 * pays off: on a 1 MB MySQL slow log the optimiser's compile work is ~45 ms of the ~125 ms the
 * digest costs in CPU, and the run takes ~80 ms without it (baseline code only); from ~2 MB on
 * the optimised code wins (2 MB: 129 vs 144 ms, 4 MB: 154 vs 278 ms). Measured with
 * test/bench/startup.ts and a per-phase harness, see README "bench:startup".
 */
export const SHORT_DIGEST_BYTES = 1536 * 1024;

/** True when every input is a plain file and together they are at most SHORT_DIGEST_BYTES. */
export function isShortDigest(files: readonly string[]): boolean {
  let total = 0;
  const head = Buffer.alloc(2);
  for (const file of files) {
    if (file === '-') return false; // stdin: the size is unknown
    try {
      total += statSync(file).size;
      if (total > SHORT_DIGEST_BYTES) return false;
      const fd = openSync(file, 'r');
      try {
        // a gzip file's size says nothing of what it holds
        if (readSync(fd, head, 0, 2, 0) === 2 && head[0] === 0x1f && head[1] === 0x8b) return false;
      } finally {
        closeSync(fd);
      }
    } catch {
      return false; // the digest itself names the problem
    }
  }
  return true;
}

/** What `dbdiag digest` does once its flags are parsed (by yargs or parseDigestFast). */
export async function runDigestCommand(args: DigestArgs): Promise<void> {
  if (isShortDigest(args.files.length === 0 ? ['-'] : args.files)) {
    // process-wide and for the rest of this process: `dbdiag digest` is the only thing it runs
    const { setFlagsFromString } = await import('node:v8');
    setFlagsFromString('--no-turbofan');
  }
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
      .options(DIGEST_OPTIONS)
      .check(checkDigestArgs) as unknown as Argv<DigestArgs>,
  handler: runDigestCommand,
};
