import type { SettingsSignals } from '../../../snapshot/signals.js';
import type { ProbeOutcome } from '../../engine.js';
import { num, type ProbeContext } from '../context.js';
import { readGlobalStatus } from '../status.js';

// Settings the advisors size their proposals with (pool size, buffer pool, per-session
// buffers) and what the slow-log digest needs to know. @@ reads need no privilege and are the
// same on MySQL 8 and MariaDB for these names.

export const SETTING_NAMES = [
  'max_connections',
  'innodb_buffer_pool_size',
  'sort_buffer_size',
  'join_buffer_size',
  'read_buffer_size',
  'read_rnd_buffer_size',
  'tmp_table_size',
  'max_heap_table_size',
  'thread_stack',
  'wait_timeout',
  'performance_schema',
  'long_query_time',
  'slow_query_log',
  'slow_query_log_file',
  'log_output',
  'innodb_file_per_table',
  'version',
] as const;

/** The server's own clock (with Uptime) dates the server start without agent/server clock skew. */
export const SETTINGS_SQL = `/* dbdiag:settings */ SELECT UNIX_TIMESTAMP() AS dbdiag_now, ${SETTING_NAMES.map((n) => `@@GLOBAL.${n} AS ${n}`).join(', ')}`;

export async function sampleSettings(ctx: ProbeContext): Promise<ProbeOutcome> {
  const at = ctx.now();
  const [row] = await ctx.query(SETTINGS_SQL);
  const values: Record<string, string> = {};
  for (const name of SETTING_NAMES) {
    const value = row?.[name];
    if (value !== null && value !== undefined) values[name] = String(value);
  }
  const uptime = (await readGlobalStatus(ctx, ['Uptime'])).get('uptime') ?? null;
  const serverNow = num(row?.dbdiag_now);
  const signals: SettingsSignals = {
    at,
    serverStartedAt: uptime === null || serverNow === 0 ? null : Math.round((serverNow - uptime) * 1000),
    values,
    hostMemoryBytes: null,
    sortMemoryBytes: Number.isFinite(Number(values.sort_buffer_size ?? Number.NaN))
      ? Number(values.sort_buffer_size)
      : null,
    // no planner cost of a random read on MySQL
    randomPageCost: null,
  };
  return { status: 'ok', signals: { settings: signals } };
}
