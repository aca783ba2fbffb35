import type { ProbeContext } from './context.js';
import { pickSql, type VersionedSql } from './server.js';

// Global status counters (Threads_connected, Innodb_buffer_pool_reads, ...), shared by the
// connections and cache probes. No privilege is needed to read them.

/**
 * As a SELECT with a `dbdiag_` alias, so its digest is recognisably the agent's (digest text
 * drops comments but keeps identifiers). MariaDB keeps information_schema.GLOBAL_STATUS;
 * MySQL 8 removed it and serves performance_schema.global_status instead.
 */
export const GLOBAL_STATUS_SQL: VersionedSql = {
  mariadb: {
    '10.5': `/* dbdiag:status */ SELECT dbdiag_status.VARIABLE_NAME AS name, dbdiag_status.VARIABLE_VALUE AS value
FROM information_schema.GLOBAL_STATUS AS dbdiag_status WHERE dbdiag_status.VARIABLE_NAME IN (?)`,
  },
  mysql: {
    '8.0': `/* dbdiag:status */ SELECT dbdiag_status.VARIABLE_NAME AS name, dbdiag_status.VARIABLE_VALUE AS value
FROM performance_schema.global_status AS dbdiag_status WHERE dbdiag_status.VARIABLE_NAME IN (?)`,
  },
};

/** MySQL 8 with performance_schema off: its global_status table is empty, SHOW still answers (and no digests are kept then). */
export const GLOBAL_STATUS_SHOW_SQL = `/* dbdiag:status */ SHOW GLOBAL STATUS WHERE Variable_name IN (?)`;

export function globalStatusSql(server: ProbeContext['server']): string {
  if (server.flavor === 'mysql' && !server.performanceSchema) return GLOBAL_STATUS_SHOW_SQL;
  return pickSql(GLOBAL_STATUS_SQL, server) ?? GLOBAL_STATUS_SHOW_SQL;
}

/** Status variables by lower-case name, as numbers. */
export async function readGlobalStatus(
  ctx: ProbeContext,
  names: readonly string[],
): Promise<Map<string, number>> {
  // Variable names compare case-insensitively in both (MariaDB stores them upper-case).
  const rows = await ctx.query(globalStatusSql(ctx.server), [names]);
  const values = new Map<string, number>();
  for (const row of rows) {
    // SHOW answers with Variable_name/Value columns, the SELECT with name/value.
    const name = String(row.name ?? row.Variable_name ?? '').toLowerCase();
    const value = Number(row.value ?? row.Value);
    if (name !== '' && Number.isFinite(value)) values.set(name, value);
  }
  return values;
}
