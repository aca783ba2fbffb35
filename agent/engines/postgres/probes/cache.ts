import type { CacheSignals } from '../../../snapshot/signals.js';
import { num, numOrNull, type PgProbe, type PgProbeContext, unsupported } from '../probe.js';
import { sqlForVersion, type VersionedSql, versionLabel } from '../sql-version.js';

// Buffer-cache counters summed over every database (and the datid 0 row of shared catalogs):
// shared_buffers is one pool for the whole server, so a batch job in another database that
// evicts our pages must show in the ratio. blks_read counts reads that missed shared_buffers
// (they may still have hit the OS page cache).
//
// Database sizes are a directory walk per database (pg_database_size stats every file): at
// 10,000 tables that is ~30,000 stat() calls, so they are refreshed at most every
// SIZE_REFRESH_MS and carried over in between.

export const CACHE_SQL: VersionedSql = {
  130000: `/* dbdiag:cache */ SELECT
  sum(blks_hit)::float8 AS hits,
  sum(blks_read)::float8 AS reads,
  pg_size_bytes(current_setting('shared_buffers'))::float8 AS shared_buffers_bytes
FROM pg_stat_database`,
};

// Only databases this role may connect to (pg_database_size raises otherwise, unless the role
// has pg_read_all_stats) and that take connections (template0 does not).
export const DATABASE_SIZE_SQL: VersionedSql = {
  130000: `/* dbdiag:cache */ SELECT sum(pg_database_size(oid))::float8 AS data_bytes
FROM pg_database
WHERE datallowconn
  AND (has_database_privilege(oid, 'CONNECT') OR pg_has_role('pg_read_all_stats', 'MEMBER'))`,
};

/** Sizes change slowly; the settings schedule's default period. */
export const SIZE_REFRESH_MS = 300_000;

interface Row {
  hits: number | null;
  reads: number | null;
  shared_buffers_bytes: number | null;
}

export function createCacheProbe(): PgProbe {
  let dataBytes: number | null = null;
  let sizedAt = Number.NEGATIVE_INFINITY;
  return {
    async run(context: PgProbeContext) {
      const sql = sqlForVersion(CACHE_SQL, context.versionNum);
      const sizeSql = sqlForVersion(DATABASE_SIZE_SQL, context.versionNum);
      if (sql === null || sizeSql === null) {
        return unsupported(`PostgreSQL ${versionLabel(context.versionNum)} is older than 13`);
      }
      const at = Date.now();
      const [row] = await context.query<Row>(sql);
      if (at - sizedAt >= SIZE_REFRESH_MS) {
        const [size] = await context.query<{ data_bytes: number | null }>(sizeSql);
        dataBytes = numOrNull(size?.data_bytes);
        sizedAt = at;
      }
      const cache: CacheSignals = {
        at,
        hits: num(row?.hits),
        reads: num(row?.reads),
        sizeBytes: numOrNull(row?.shared_buffers_bytes),
        dataBytes,
      };
      return { status: 'ok', signals: { cache } };
    },
  };
}
