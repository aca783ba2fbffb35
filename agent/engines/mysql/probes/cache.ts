import type { CacheSignals } from '../../../snapshot/signals.js';
import type { ProbeOutcome } from '../../engine.js';
import { numOrNull, type ProbeContext } from '../context.js';
import { lacking } from '../privileges.js';
import { pickSql, type VersionedSql } from '../server.js';
import { readGlobalStatus } from '../status.js';

// InnoDB buffer pool. Innodb_buffer_pool_read_requests counts logical page reads,
// Innodb_buffer_pool_reads the ones that missed the pool and went to disk (or the OS cache):
// hits = requests − reads. Both are cumulative since server start; rates.ts makes the
// interval ratio.

export const CACHE_STATUS_NAMES = ['Innodb_buffer_pool_read_requests', 'Innodb_buffer_pool_reads'] as const;

export const BUFFER_POOL_SIZE_SQL = `/* dbdiag:cache */ SELECT @@innodb_buffer_pool_size AS dbdiag_pool_bytes`;

/**
 * The size of what the pool caches: the InnoDB tablespace files, from the in-memory dictionary
 * (no table is opened, unlike information_schema.TABLES). MariaDB calls the view
 * INNODB_SYS_TABLESPACES, MySQL 8 INNODB_TABLESPACES; both need PROCESS. Tables inside the
 * system tablespace (file_per_table off) are in neither: dataBytes is then a lower bound.
 * Still ~30 ms with 10,000 tables, and data size moves slowly: read every DATA_SIZE_REFRESH_MS.
 */
export const DATA_SIZE_SQL: VersionedSql = {
  mysql: {
    '8.0': `/* dbdiag:cache */ SELECT SUM(dbdiag_ts.ALLOCATED_SIZE) AS data_bytes FROM information_schema.INNODB_TABLESPACES AS dbdiag_ts`,
  },
  mariadb: {
    '10.5': `/* dbdiag:cache */ SELECT SUM(dbdiag_ts.ALLOCATED_SIZE) AS data_bytes FROM information_schema.INNODB_SYS_TABLESPACES AS dbdiag_ts`,
  },
};

export const DATA_SIZE_REFRESH_MS = 5 * 60 * 1000;

export function cacheCounters(readRequests: number, diskReads: number): { hits: number; reads: number } {
  // A read request that missed is counted in both: hits are the difference, never negative.
  return { hits: Math.max(0, readRequests - diskReads), reads: diskReads };
}

export async function sampleCache(ctx: ProbeContext): Promise<ProbeOutcome> {
  const dataSql = pickSql(DATA_SIZE_SQL, ctx.server);
  if (dataSql === null)
    return { status: 'unsupported', reason: 'cache probe needs MySQL 8.0+ or MariaDB 10.5+' };
  const at = ctx.now();
  const status = await readGlobalStatus(ctx, CACHE_STATUS_NAMES);
  const [pool] = await ctx.query(BUFFER_POOL_SIZE_SQL);
  const known = ctx.state.dataSize;
  // the tablespace sizes need PROCESS: without it, the cache is judged without the data size
  const grant = lacking(ctx.state.grants, 'PROCESS', null);
  if (grant === null && (known === null || at - known.at >= DATA_SIZE_REFRESH_MS)) {
    const [data] = await ctx.query(dataSql);
    ctx.state.dataSize = { bytes: numOrNull(data?.data_bytes), at };
  }
  const { hits, reads } = cacheCounters(
    status.get('innodb_buffer_pool_read_requests') ?? 0,
    status.get('innodb_buffer_pool_reads') ?? 0,
  );
  const signals: CacheSignals = {
    at,
    hits,
    reads,
    sizeBytes: numOrNull(pool?.dbdiag_pool_bytes),
    dataBytes: ctx.state.dataSize?.bytes ?? null,
  };
  if (grant === null) return { status: 'ok', signals: { cache: signals } };
  return {
    status: 'ok',
    signals: { cache: signals },
    partial: `the account lacks PROCESS: the InnoDB data size (tablespaces) is unknown — ${grant}`,
  };
}
