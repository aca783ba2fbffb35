import type { SettingsSignals } from '../../../snapshot/signals.js';
import { epochMs, type PgProbe, type PgProbeContext, unsupported } from '../probe.js';
import { sqlForVersion, type VersionedSql, versionLabel } from '../sql-version.js';

// The settings advisors size their proposals with. Values in base units, as strings of
// numbers: memory in bytes, time in seconds (-1/0 keep their "disabled" meaning); others
// (booleans, lists, enums) as the server shows them. A setting the server does not have
// (reserved_connections before 16) is simply absent.

export const SETTING_NAMES = [
  'max_connections',
  'superuser_reserved_connections',
  'reserved_connections',
  'shared_buffers',
  'work_mem',
  'maintenance_work_mem',
  'temp_buffers',
  'effective_cache_size',
  'idle_in_transaction_session_timeout',
  'idle_session_timeout',
  'statement_timeout',
  'lock_timeout',
  'deadlock_timeout',
  'shared_preload_libraries',
  'track_counts',
  'track_activities',
  'track_io_timing',
  'autovacuum',
  'autovacuum_vacuum_scale_factor',
  'autovacuum_analyze_scale_factor',
  'random_page_cost',
  'max_worker_processes',
  'max_parallel_workers_per_gather',
  'log_min_duration_statement',
  'log_destination',
  'logging_collector',
  'log_directory',
  'log_filename',
  'log_line_prefix',
  'pg_stat_statements.max',
  'pg_stat_statements.track',
  'server_version_num',
  'block_size',
] as const;

// pg_settings.unit is the unit of `setting` (e.g. '8kB' for shared_buffers, 'ms' for timeouts).
// reset_val, not setting: the agent SETs its own statement_timeout and lock_timeout, and
// reset_val is what every other new session gets (server, database and role defaults).
export const SETTINGS_SQL: VersionedSql = {
  130000: `/* dbdiag:settings */ SELECT name, reset_val AS setting, unit, vartype,
  pg_postmaster_start_time() AS started_at
FROM pg_settings
WHERE name = ANY($1::text[])`,
};

const UNIT_FACTORS: Record<string, { factor: number; kind: 'bytes' | 'seconds' }> = {
  B: { factor: 1, kind: 'bytes' },
  kB: { factor: 1024, kind: 'bytes' },
  '8kB': { factor: 8192, kind: 'bytes' },
  '16kB': { factor: 16384, kind: 'bytes' },
  '32kB': { factor: 32768, kind: 'bytes' },
  '64kB': { factor: 65536, kind: 'bytes' },
  MB: { factor: 1024 * 1024, kind: 'bytes' },
  '16MB': { factor: 16 * 1024 * 1024, kind: 'bytes' },
  GB: { factor: 1024 ** 3, kind: 'bytes' },
  us: { factor: 1e-6, kind: 'seconds' },
  ms: { factor: 1e-3, kind: 'seconds' },
  s: { factor: 1, kind: 'seconds' },
  min: { factor: 60, kind: 'seconds' },
  h: { factor: 3600, kind: 'seconds' },
  d: { factor: 86400, kind: 'seconds' },
};

interface Row {
  name: string;
  setting: string;
  unit: string | null;
  vartype: string;
  started_at: Date | string | null;
}

/** A pg_settings value in base units (bytes, seconds). Negative values (-1 = disabled) are kept as is. */
export function baseUnitValue(setting: string, unit: string | null): string {
  if (unit === null || unit === '') return setting;
  const scale = UNIT_FACTORS[unit];
  const n = Number(setting);
  if (scale === undefined || !Number.isFinite(n) || n < 0) return setting;
  return String(n * scale.factor);
}

function finiteOrNull(value: string | undefined): number | null {
  const n = Number(value ?? Number.NaN);
  return Number.isFinite(n) ? n : null;
}

export function createSettingsProbe(): PgProbe {
  return {
    async run(context: PgProbeContext) {
      const sql = sqlForVersion(SETTINGS_SQL, context.versionNum);
      if (sql === null) return unsupported(`PostgreSQL ${versionLabel(context.versionNum)} is older than 13`);
      const at = Date.now();
      const rows = await context.query<Row>(sql, [SETTING_NAMES]);
      const values: Record<string, string> = {};
      for (const row of rows) values[row.name] = baseUnitValue(row.setting, row.unit);
      const settings: SettingsSignals = {
        at,
        serverStartedAt: epochMs(rows[0]?.started_at ?? null),
        values,
        hostMemoryBytes: null,
        sortMemoryBytes: finiteOrNull(values.work_mem),
        randomPageCost: finiteOrNull(values.random_page_cost),
      };
      return { status: 'ok', signals: { settings } };
    },
  };
}
