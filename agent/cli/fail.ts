import { scrubSecrets } from '../config/secrets.js';

// How the CLI ends on a mistake: one line naming the problem on stderr and a non-zero exit.
// No stack trace (DBDIAG_DEBUG=1 prints it, for a bug report) and no full help unless asked.

/** Exit status of a usage, configuration or input mistake. */
export const EXIT_USAGE = 1;

function command(): string {
  const name = process.argv.slice(2).find((arg) => !arg.startsWith('-'));
  return name && /^[a-z]+$/.test(name) ? `dbdiag ${name}` : 'dbdiag';
}

/** The problem on one line: "dbdiag digest: log file "x" does not exist: check the path". */
export function oneLine(message: string | null, error: unknown): string {
  const text =
    message ||
    (error instanceof Error ? error.message : error === undefined || error === null ? '' : String(error)) ||
    'failed';
  return `${command()}: ${text.replace(/\s*\n\s*/g, '; ')}`;
}

export function failOneLine(message: string | null, error: unknown, status: number): never {
  // scrubbed like a log line: a driver's message must not carry a DSN password out
  process.stderr.write(`${scrubSecrets(oneLine(message, error))}\n`);
  if (process.env.DBDIAG_DEBUG && error instanceof Error && error.stack)
    process.stderr.write(`${error.stack}\n`);
  process.exit(status);
}
