import { type Logger, pino } from 'pino';
import { scrubSecrets } from './config/secrets.js';

// One root logger; components take child loggers ({ component, target, probe }).
// DSNs are never logged whole (the `dsn` keys are censored) and every line is scrubbed of the
// secrets the process holds (agent/config/secrets.ts) on its way out, whatever path it took.

// Logs go to stderr: stdout belongs to command output (check, digest, demo --json).
const destination = pino.destination(2);
const scrubbed = { write: (line: string): boolean => destination.write(scrubSecrets(line)) };

export const rootLogger: Logger = pino(
  {
    level: process.env.DBDIAG_LOG_LEVEL ?? 'info',
    redact: { paths: ['password', '*.password', 'dsn', '*.dsn'], censor: '***' },
  },
  scrubbed,
);

export function componentLogger(component: string, bindings: Record<string, string> = {}): Logger {
  return rootLogger.child({ component, ...bindings });
}

export type { Logger };
