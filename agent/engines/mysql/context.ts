import type { SamplingLimits } from '../engine.js';
import type { Row } from './connection.js';
import type { OwnGrants } from './privileges.js';
import type { ServerInfo } from './server.js';

// What a probe gets: the server it talks to, a query function that already carries the
// statement timeout and turns driver errors into ProbeError, and state that outlives one
// session (caches and estimators keyed by target, so a reconnect does not reset them).

export interface TargetState {
  /** sample statement text per digest (MariaDB: from events_statements_history*), bounded */
  readonly sampleTexts: Map<string, string>;
  /** digests whose sample was looked for and not found: when to look again (epoch ms) */
  readonly sampleMisses: Map<string, number>;
  /** per table: last no-index row fetches seen and the running full-scan estimate (see probes/tables.ts) */
  readonly scanEstimates: Map<string, { rowsRead: number; scans: number }>;
  /** InnoDB data size and when it was read (probes/cache.ts re-reads it only every few minutes) */
  dataSize: { bytes: number | null; at: number } | null;
  /** the account's own grants, as the privileges probe last read them (EXPLAIN of writes needs them) */
  grants?: OwnGrants;
  /** on a replica whose SQL thread is stopped with events pending: where it stopped and since when (probes/replication.ts) */
  replicationPending?: { position: string; since: number } | null;
}

export interface ProbeContext {
  readonly server: ServerInfo;
  readonly limits: SamplingLimits;
  /** performance_schema THREAD_ID of the agent's own connection; null when performance_schema is off */
  readonly ownThreadId: number | null;
  /** @@performance_schema_max_sql_text_length: a sample this long was cut by the server */
  readonly maxSqlTextLength: number;
  readonly state: TargetState;
  query<T extends Row = Row>(sql: string, params?: readonly unknown[]): Promise<T[]>;
  now(): number;
}

export function newTargetState(): TargetState {
  return { sampleTexts: new Map(), sampleMisses: new Map(), scanEstimates: new Map(), dataSize: null };
}

/** Numbers arrive as strings (BIGINT UNSIGNED, DECIMAL): convert at the probe boundary. */
export function num(value: string | number | null | undefined): number {
  if (value === null || value === undefined || value === '') return 0;
  const n = typeof value === 'number' ? value : Number(value);
  return Number.isFinite(n) ? n : 0;
}

export function numOrNull(value: string | number | null | undefined): number | null {
  if (value === null || value === undefined || value === '') return null;
  const n = typeof value === 'number' ? value : Number(value);
  return Number.isFinite(n) ? n : null;
}

/** performance_schema timers are picoseconds in a BIGINT UNSIGNED that passes 2^53: divide exactly first. */
export function picosecondsToSeconds(value: string | number | null | undefined): number {
  if (value === null || value === undefined || value === '') return 0;
  try {
    const ps = BigInt(typeof value === 'number' ? Math.trunc(value) : (value.split('.')[0] ?? '0'));
    return Number(ps / 1000n) / 1e9;
  } catch {
    return num(value) / 1e12;
  }
}

export function text(value: string | number | null | undefined): string | null {
  if (value === null || value === undefined) return null;
  return String(value);
}

/** Groups table names by schema, so catalog reads can use `TABLE_SCHEMA = ?` (an indexed lookup). */
export function bySchema(tables: readonly { schema: string; name: string }[]): Map<string, string[]> {
  const groups = new Map<string, string[]>();
  for (const { schema, name } of tables) {
    const list = groups.get(schema) ?? [];
    list.push(name);
    groups.set(schema, list);
  }
  return groups;
}
