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
      .regex(/^[A-Za-z0-9_.:/-]+$/, 'use letters, digits, "_", ".", ":", "/" and "-" only')
      .meta({ description: "the target's name in metrics, findings and logs", examples: ['plant-db'] }),
    engine: z
      .enum(['postgres', 'mysql'])
      .optional()
      .meta({ description: 'inferred from the DSN scheme when omitted', examples: ['postgres'] }),
    dsn: secretOrValue.optional().meta({
      description: 'the DSN inline (a password in it is allowed but discouraged: prefer dsnEnv)',
      examples: ['postgres://dbdiag@db.example.com:5432/plant?sslmode=verify-full'],
    }),
    dsnEnv: z
      .string()
      .min(1)
      .optional()
      .meta({
        description: 'name of an environment variable that holds the DSN (give dsn or dsnEnv)',
        examples: ['DBDIAG_PLANT_DB_DSN'],
      }),
    poolerDsn: secretOrValue.optional().meta({
      description: 'PgBouncer admin console DSN (its pgbouncer database), inline',
      examples: ['postgres://dbdiag@pgbouncer.example.com:6432/pgbouncer'],
    }),
    poolerDsnEnv: z
      .string()
      .min(1)
      .optional()
      .meta({
        description: 'name of an environment variable that holds the PgBouncer admin console DSN',
        examples: ['DBDIAG_PLANT_POOLER_DSN'],
      }),
    slowLog: z
      .object({
        path: z
          .string()
          .min(1)
          .meta({
            description:
              'the slow-query log file the agent follows (MySQL slow log, PostgreSQL log with log_min_duration_statement)',
            examples: ['/var/log/mysql/mariadb-slow.log'],
          }),
        format: z
          .enum(['auto', 'mysql', 'postgres-stderr', 'postgres-csv', 'postgres-json'])
          .default('auto')
          .describe('log format; auto tells it from the first lines'),
        linePrefix: z
          .string()
          .optional()
          .meta({ description: 'log_line_prefix of a PostgreSQL stderr log', examples: ['%m [%p] '] }),
        statePath: z
          .string()
          .min(1)
          .optional()
          .meta({
            description:
              'where the read position is saved, so a restart loses nothing written while the agent was down',
            examples: ['/var/lib/dbdiag/slowlog-plant-db.json'],
          }),
      })
      .optional()
      .describe("follow this target's slow-query log for per-statement timings"),
  })
  .refine((t) => t.dsn !== undefined || t.dsnEnv !== undefined, {
    message: 'give either dsn or dsnEnv',
    path: ['dsn'],
  });

export const configSchema = z.object({
  listen: z
    .string()
    .default(DEFAULT_LISTEN)
    .describe('HTTP listen address host:port of /metrics, /healthz, /api and /runbooks'),
  intervalSeconds: z
    .number()
    .positive()
    .default(15)
    .describe('seconds between sampling cycles (jittered by up to 10%)'),
  tablesIntervalSeconds: z
    .number()
    .positive()
    .default(60)
    .describe('expensive catalog reads (per-table statistics, sizes) run on this slower schedule'),
  settingsIntervalSeconds: z
    .number()
    .positive()
    .default(300)
    .describe('server settings (max_connections, cache size) are re-read on this schedule'),
  statementTimeoutMs: z
    .number()
    .int()
    .positive()
    .default(5000)
    .describe('server-side timeout of every agent query'),
  topN: z
    .object({
      statements: z
        .number()
        .int()
        .positive()
        .default(50)
        .describe("per-statement series exported (the rest go to the 'other' bucket)"),
      tables: z.number().int().positive().default(50).describe('per-table series exported'),
      indexes: z.number().int().positive().default(100).describe('per-index rows read per cycle'),
      slowQueryClasses: z
        .number()
        .int()
        .positive()
        .default(50)
        .describe('per-fingerprint slow-log series exported'),
    })
    .prefault({})
    .describe('bounded cardinality: how many per-statement / per-table series are kept, by cost'),
  historySize: z.number().int().min(2).default(240).describe('snapshots kept per target for windowed advice'),
  runbookBaseUrl: z
    .string()
    .url()
    .optional()
    .meta({
      description: "base of runbook links; default: the agent's own /runbooks",
      examples: ['https://wiki.example.com/dbdiag/runbooks'],
    }),
  thresholds: thresholdsSchema.prefault({}).describe('advisor thresholds; the numbers behind every finding'),
  redaction: z
    .object({
      showSamples: z
        .boolean()
        .default(false)
        .describe(
          'findings show real statement samples with their literals (credentials are reduced to their shape regardless)',
        ),
    })
    .prefault({})
    .describe('what statement text from the servers and logs may show (README, Redaction)'),
  targets: z.array(targetSchema).default([]).describe('the databases to watch'),
});

export type TargetConfig = z.infer<typeof targetSchema>;
export type Config = z.infer<typeof configSchema>;
