import { z } from 'zod';
import { ENGINE_NAMES } from '../engines/names.js';
import { drillsSchema } from './drills.js';
import { parseListen } from './listen.js';
import { reportsSchema } from './reports.js';
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
      .enum(ENGINE_NAMES)
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
              'where the read position is saved, so a restart loses nothing written while the agent was down; default for `dbdiag agent`: <dataDir>/slowlog/<target>.json',
            examples: ['/var/lib/dbdiag/slowlog-plant-db.json'],
          }),
      })
      .optional()
      .describe("follow this target's slow-query log for per-statement timings"),
    replicaOf: z
      .string()
      .min(1)
      .optional()
      .meta({
        description:
          "this target is a replica of the named target: the primary's target also carries this replica's lag (replica label = this target's name) when the primary does not see its replicas itself (MySQL/MariaDB; a PostgreSQL primary reports its own from pg_stat_replication)",
        examples: ['plant-db'],
      }),
    sandbox: z
      .boolean()
      .optional()
      .meta({
        description:
          'a throw-away database dbdiag drills may break on purpose (dbdiag drill run --target); drills refuse every target without sandbox: true; dbdiag apply runs fixes on it without --yes, a maintenance window or a load check',
        examples: [false],
      }),
  })
  .refine((t) => t.dsn !== undefined || t.dsnEnv !== undefined, {
    message: 'give either dsn or dsnEnv',
    path: ['dsn'],
  });

/** Caps that keep memory and series bounded whatever a config asks for. */
export const LIMITS = {
  minIntervalSeconds: 1,
  maxIntervalSeconds: 3600,
  maxTopN: 1000,
  maxTopIndexes: 5000,
  maxHistorySize: 10_000,
  maxStatementTimeoutMs: 600_000,
} as const;

const seconds = (fallback: number) =>
  z
    .number()
    .min(LIMITS.minIntervalSeconds, `must be at least ${LIMITS.minIntervalSeconds} s`)
    .max(LIMITS.maxIntervalSeconds, `must be at most ${LIMITS.maxIntervalSeconds} s`)
    .default(fallback);

const topN = (fallback: number, max: number = LIMITS.maxTopN) =>
  z.number().int().min(1).max(max).default(fallback);

const hhmm = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'give a time as HH:MM (00:00 to 23:59)');

const retentionDays = (days: number) =>
  z.number().positive().max(36_500, 'must be at most 36500 days (100 years)').default(days);

export const configSchema = z.object({
  listen: z
    .string()
    .superRefine((value, ctx) => {
      try {
        parseListen(value);
      } catch (error) {
        ctx.addIssue({ code: 'custom', message: error instanceof Error ? error.message : String(error) });
      }
    })
    .default(DEFAULT_LISTEN)
    .describe(
      'HTTP listen address of /metrics, /healthz, /api and /runbooks: host:port, or a port alone (binds 127.0.0.1); 0.0.0.0:PORT exposes it to the network',
    ),
  webConfigFile: z
    .string()
    .min(1)
    .optional()
    .meta({
      description:
        'web config file in the Prometheus exporter-toolkit shape: TLS (tls_server_config), basic_auth_users (bcrypt), bearer_token_file; --web.config.file on the command line',
      examples: ['/etc/dbdiag/web.yml'],
    }),
  intervalSeconds: seconds(15).describe('seconds between sampling cycles (jittered by up to 10%)'),
  tablesIntervalSeconds: seconds(60).describe(
    'expensive catalog reads (per-table statistics, sizes) run on this slower schedule',
  ),
  settingsIntervalSeconds: seconds(300).describe(
    'server settings (max_connections, cache size) are re-read on this schedule',
  ),
  statementTimeoutMs: z
    .number()
    .int()
    .min(100)
    .max(LIMITS.maxStatementTimeoutMs)
    .default(5000)
    .describe('server-side timeout of every agent query, in milliseconds'),
  topN: z
    .object({
      statements: topN(50).describe("per-statement series exported (the rest go to the 'other' bucket)"),
      tables: topN(50).describe('per-table series exported'),
      indexes: topN(100, LIMITS.maxTopIndexes).describe('per-index rows read per cycle'),
      slowQueryClasses: topN(50).describe('per-fingerprint slow-log series exported'),
    })
    .prefault({})
    .describe('bounded cardinality: how many per-statement / per-table series are kept, by cost'),
  historySize: z
    .number()
    .int()
    .min(2)
    .max(LIMITS.maxHistorySize)
    .default(240)
    .describe('snapshots kept per target for windowed advice'),

  dataDir: z
    .string()
    .min(1)
    .optional()
    .meta({
      description:
        "the agent's data directory (the SQLite state store); default $STATE_DIRECTORY, else $XDG_STATE_HOME/dbdiag, else ~/.local/state/dbdiag; created on first use",
      examples: ['/var/lib/dbdiag'],
    }),
  store: z
    .string()
    .regex(/^postgres(ql)?:\/\//i, 'give a postgres:// URL, or leave store out for SQLite in dataDir')
    .optional()
    .meta({
      description:
        'a PostgreSQL database several agents share as their state store, instead of SQLite in dataDir (password: inline or PGPASSWORD)',
      examples: ['postgres://dbdiag@admin-db:5432/dbdiag'],
    }),
  retention: z
    .object({
      findings: retentionDays(180).describe('resolved findings and their events'),
      rollups: retentionDays(90).describe(
        'hourly rollups per target (connections, cache, top statements, tables)',
      ),
      settings: retentionDays(365).describe(
        'settings changes (the latest value of each setting is always kept)',
      ),
      report: retentionDays(365).describe('health-check reports'),
      'drill-run': retentionDays(365).describe('drill runs and their scorecards'),
      'applied-fix': retentionDays(730).describe('fixes applied, verified or reverted'),
      audit: z
        .number()
        .min(180, 'audit records are kept at least 180 days (the preventive plan asks for 180)')
        .max(36_500, 'must be at most 36500 days (100 years)')
        .default(730)
        .describe(
          'audit records: applies, reverts, drills, configuration changes (never less than 180 days)',
        ),
    })
    .prefault({})
    .describe('days each kind is kept in the state store (active findings are never pruned)'),
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
  reports: reportsSchema,
  drills: drillsSchema,
  apply: z
    .object({
      enabled: z
        .boolean()
        .default(false)
        .describe("dbdiag apply may run a finding's fix actions on a target (off: every apply is refused)"),
      window: z
        .object({
          start: hhmm.describe('start of the daily maintenance window, HH:MM UTC'),
          end: hhmm.describe('end of the window, HH:MM UTC (before start: the window spans midnight)'),
        })
        .optional()
        .describe('fixes on non-sandbox targets run only inside this window'),
      lockTimeoutSeconds: z
        .number()
        .positive()
        .max(600)
        .default(5)
        .describe('each DDL waits at most this long for its lock (retried, nothing queues behind it)'),
      statementTimeoutSeconds: z
        .number()
        .positive()
        .max(86_400)
        .default(3600)
        .describe('the apply connection ends any statement running longer (an index build included)'),
      validationSeconds: z
        .number()
        .min(1)
        .max(86_400)
        .default(60)
        .describe('the targeted statements are measured this long before and after the fix'),
      autoRevert: z
        .boolean()
        .default(false)
        .describe('run the rollback action when the fix made the statements slower or did nothing'),
      tokenFile: z
        .string()
        .min(1)
        .optional()
        .meta({
          description:
            "file holding the token the console's Apply button must send (Authorization: Bearer); without it the console cannot apply",
          examples: ['/etc/dbdiag/apply-token'],
        }),
      tokenName: z
        .string()
        .min(1)
        .default('console-token')
        .describe('who the audit log names for an apply sent with that token'),
    })
    .prefault({})
    .describe('applying fixes from findings (dbdiag apply)'),
  console: z
    .object({
      refreshSeconds: seconds(15).describe('the console re-reads the agent this often'),
      faro: z
        .object({
          url: z
            .string()
            .url()
            .meta({
              description:
                'Grafana Faro collector URL: the console sends its errors, web vitals, sessions and API calls there',
              examples: ['https://faro-collector.example.com/collect/KEY'],
            }),
        })
        .optional()
        .describe('front-end observability of the console (off unless a url is set)'),
    })
    .prefault({})
    .describe('the web console served at /'),
  targets: z
    .array(targetSchema)
    .default([])
    .superRefine((targets, ctx) => {
      const names = new Set(targets.map((t) => t.name));
      targets.forEach((t, i) => {
        if (t.replicaOf === undefined) return;
        if (t.replicaOf === t.name || !names.has(t.replicaOf))
          ctx.addIssue({
            code: 'custom',
            path: [i, 'replicaOf'],
            message: `replicaOf "${t.replicaOf}" must name another configured target`,
          });
      });
    })
    .describe('the databases to watch'),
});

export type TargetConfig = z.infer<typeof targetSchema>;
export type Config = z.infer<typeof configSchema>;
