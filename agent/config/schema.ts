import { z } from 'zod';
import { thresholdsSchema } from './thresholds.js';

// The configuration file (YAML or JSON), after env and flags are merged in. Every default is here.

export const DEFAULT_LISTEN = '127.0.0.1:9187';

const secretOrValue = z.string().min(1);

export const targetSchema = z
  .object({
    name: z
      .string()
      .min(1)
      .regex(/^[A-Za-z0-9_.:/-]+$/, 'use letters, digits, "_", ".", ":", "/" and "-" only'),
    /** inferred from the DSN scheme when omitted */
    engine: z.enum(['postgres', 'mysql']).optional(),
    /** the DSN inline (a password in it is allowed but discouraged) ... */
    dsn: secretOrValue.optional(),
    /** ... or the name of an environment variable that holds it */
    dsnEnv: z.string().min(1).optional(),
    /** PgBouncer admin console, inline or from the environment */
    poolerDsn: secretOrValue.optional(),
    poolerDsnEnv: z.string().min(1).optional(),
    slowLog: z
      .object({
        path: z.string().min(1),
        format: z.enum(['auto', 'mysql', 'postgres-stderr', 'postgres-csv', 'postgres-json']).default('auto'),
        /** log_line_prefix of a PostgreSQL stderr log */
        linePrefix: z.string().optional(),
        /** where the read position is saved, so a restart loses nothing written while the agent was down */
        statePath: z.string().min(1).optional(),
      })
      .optional(),
  })
  .refine((t) => t.dsn !== undefined || t.dsnEnv !== undefined, {
    message: 'give either dsn or dsnEnv',
    path: ['dsn'],
  });

export const configSchema = z.object({
  listen: z.string().default(DEFAULT_LISTEN),
  /** seconds between sampling cycles (jittered by up to 10%) */
  intervalSeconds: z.number().positive().default(15),
  /** expensive catalog reads (per-table statistics, sizes) run on this slower schedule */
  tablesIntervalSeconds: z.number().positive().default(60),
  settingsIntervalSeconds: z.number().positive().default(300),
  /** server-side timeout of every agent query */
  statementTimeoutMs: z.number().int().positive().default(5000),
  topN: z
    .object({
      statements: z.number().int().positive().default(50),
      tables: z.number().int().positive().default(50),
      indexes: z.number().int().positive().default(100),
      slowQueryClasses: z.number().int().positive().default(50),
    })
    .prefault({}),
  /** snapshots kept per target for windowed advice */
  historySize: z.number().int().min(2).default(240),
  /** base of runbook links; default: the agent's own /runbooks */
  runbookBaseUrl: z.string().url().optional(),
  thresholds: thresholdsSchema.prefault({}),
  targets: z.array(targetSchema).default([]),
});

export type TargetConfig = z.infer<typeof targetSchema>;
export type Config = z.infer<typeof configSchema>;
