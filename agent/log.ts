import { type Logger, pino } from 'pino';

// One root logger; components take child loggers ({ component, target, probe }).
// Anything that looks like a DSN password is redacted before it is written.
const PASSWORD_IN_URL = /(\b[a-z][a-z0-9+.-]*:\/\/[^:/@\s]+:)[^@\s]+@/gi;

export function redactDsn(text: string): string {
  return text.replace(PASSWORD_IN_URL, '$1***@');
}

// Logs go to stderr: stdout belongs to command output (check, digest, demo --json).
export const rootLogger: Logger = pino(
  {
    level: process.env.DBDIAG_LOG_LEVEL ?? 'info',
    redact: { paths: ['password', '*.password', 'dsn', '*.dsn'], censor: '***' },
    hooks: {
      logMethod(args, method) {
        const redacted = args.map((arg) => (typeof arg === 'string' ? redactDsn(arg) : arg));
        method.apply(this, redacted as Parameters<typeof method>);
      },
    },
  },
  pino.destination(2),
);

export function componentLogger(component: string, bindings: Record<string, string> = {}): Logger {
  return rootLogger.child({ component, ...bindings });
}

export type { Logger };
