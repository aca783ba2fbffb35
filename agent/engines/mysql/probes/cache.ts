import type { CacheSignals } from '../../../snapshot/signals.js';
import type { ProbeOutcome } from '../../engine.js';
import { numOrNull, type ProbeContext } from '../context.js';
import { pickSql, type VersionedSql } from '../server.js';
import { readGlobalStatus } from '../status.js';

// InnoDB buffer pool. Innodb_buffer_pool_read_requests counts logical page reads,
// Innodb_buffer_pool_reads the ones that missed the pool and went to disk (or the OS cache):
// hits = requests − reads. Both are cumulative since server start; rates.ts makes the
// interval ratio.

export const CACHE_STATUS_NAMES = ['Innodb_buffer_pool_read_requests', 'Innodb_buffer_pool_reads'] as const;

/**
 * Buffer pool size, and the size of what it caches: the InnoDB tablespace files, read from the
 * in-memory dictionary (cheap with 10,000 tables, unlike information_schema.TABLES which
 * opens every table on MariaDB). MariaDB calls the view INNODB_SYS_TABLESPACES, MySQL 8
 * INNODB_TABLESPACES; both need PROCESS. Tables inside the system tablespace (file_per_table
 * off) are not in either: dataBytes is then a lower bound.
 */
export const CACHE_SIZE_SQL: VersionedSql = {
  mysql: {
    '8.0': `/* dbdiag:cache */ SELECT @@innodb_buffer_pool_size AS dbdiag_pool_bytes,
  (SELECT SUM(dbdiag_ts.ALLOCATED_SIZE) FROM information_schema.INNODB_TABLESPACES AS dbdiag_ts) AS data_bytes`,
  },
  mariadb: {
    '10.5': `/* dbdiag:cache */ SELECT @@innodb_buffer_pool_size AS dbdiag_pool_bytes,
  (SELECT SUM(dbdiag_ts.ALLOCATED_SIZE) FROM information_schema.INNODB_SYS_TABLESPACES AS dbdiag_ts) AS data_bytes`,
  },
};

export function cacheCounters(readRequests: number, diskReads: number): { hits: number; reads: number } {
  // A read request that missed is counted in both: hits are the difference, never negative.
  return { hits: Math.max(0, readRequests - diskReads), reads: diskReads };
}

export async function sampleCache(ctx: ProbeContext): Promise<ProbeOutcome> {
  const sizeSql = pickSql(CACHE_SIZE_SQL, ctx.server);
  if (sizeSql === null)
    return { status: 'unsupported', reason: 'cache probe needs MySQL 8.0+ or MariaDB 10.5+' };
  const at = ctx.now();
  const status = await readGlobalStatus(ctx, CACHE_STATUS_NAMES);
  const [sizes] = await ctx.query(sizeSql);
  const { hits, reads } = cacheCounters(
    status.get('innodb_buffer_pool_read_requests') ?? 0,
    status.get('innodb_buffer_pool_reads') ?? 0,
  );
  const signals: CacheSignals = {
    at,
    hits,
    reads,
    sizeBytes: numOrNull(sizes?.dbdiag_pool_bytes),
    dataBytes: numOrNull(sizes?.data_bytes),
  };
  return { status: 'ok', signals: { cache: signals } };
}
