import { describe, expect, it } from 'vitest';
import { newTargetState, picosecondsToSeconds } from '../../../../agent/engines/mysql/context.js';
import { OWN_THREAD_SQL, SERVER_INFO_SQL } from '../../../../agent/engines/mysql/driver.js';
import {
  BUFFER_POOL_SIZE_SQL,
  cacheCounters,
  DATA_SIZE_SQL,
} from '../../../../agent/engines/mysql/probes/cache.js';
import {
  ADMIN_RESERVED_SLOTS,
  CONNECTION_SETTINGS_SQL,
  SESSIONS_SQL,
  sessionsByState,
} from '../../../../agent/engines/mysql/probes/connections.js';
import { SETTINGS_SQL } from '../../../../agent/engines/mysql/probes/settings.js';
import {
  CONSUMERS_SQL,
  DIGESTS_SQL,
  FIRST_SEEN_SQL,
  resetAtFromFirstSeen,
  SAMPLE_TEXT_SQL,
  sampleSource,
  toStatement,
  usableSample,
} from '../../../../agent/engines/mysql/probes/statements.js';
import {
  estimateScans,
  FOREIGN_KEYS_SQL,
  INDEX_COLUMNS_SQL,
  indexesFrom,
  keyPart,
  TABLE_IO_SQL,
  TABLE_SIZES_SQL,
} from '../../../../agent/engines/mysql/probes/tables.js';
import type { VersionedSql } from '../../../../agent/engines/mysql/server.js';
import { GLOBAL_STATUS_SQL } from '../../../../agent/engines/mysql/status.js';

const flatten = (v: VersionedSql | string): string[] =>
  typeof v === 'string' ? [v] : Object.values(v).flatMap((byVersion) => Object.values(byVersion ?? {}));

const SELECTS = [
  GLOBAL_STATUS_SQL,
  CONNECTION_SETTINGS_SQL,
  SESSIONS_SQL,
  DIGESTS_SQL,
  FIRST_SEEN_SQL,
  CONSUMERS_SQL,
  SAMPLE_TEXT_SQL.history,
  SAMPLE_TEXT_SQL.history_long,
  BUFFER_POOL_SIZE_SQL,
  DATA_SIZE_SQL,
  TABLE_IO_SQL,
  TABLE_SIZES_SQL,
  INDEX_COLUMNS_SQL,
  FOREIGN_KEYS_SQL,
  SETTINGS_SQL,
  SERVER_INFO_SQL,
  OWN_THREAD_SQL,
].flatMap(flatten);

describe('agent SQL', () => {
  it('starts every query with a dbdiag marker comment', () => {
    for (const sql of SELECTS) expect(sql).toMatch(/^\/\* dbdiag:[a-z-]+ \*\/ /);
  });

  it('names a dbdiag_ identifier early in every SELECT, so its digest (which drops comments) is recognisably the agent’s', () => {
    // performance_schema_max_digest_length defaults to 1024: the marker must come before that.
    for (const sql of SELECTS) {
      const at = sql.indexOf('dbdiag_');
      expect(at, sql).toBeGreaterThan(0);
      expect(at, sql).toBeLessThan(600);
    }
  });

  it('has a query for MySQL 8 and for MariaDB 10.5 wherever the catalogs differ', () => {
    for (const versions of [
      CONNECTION_SETTINGS_SQL,
      SESSIONS_SQL,
      DIGESTS_SQL,
      DATA_SIZE_SQL,
      TABLE_IO_SQL,
      INDEX_COLUMNS_SQL,
    ]) {
      expect(Object.keys(versions.mysql ?? {})).toContain('8.0');
      expect(Object.keys(versions.mariadb ?? {})).toContain('10.5');
    }
    expect(DIGESTS_SQL.mysql?.['8.0']).toContain('QUERY_SAMPLE_TEXT');
    expect(DIGESTS_SQL.mariadb?.['10.5']).not.toContain('QUERY_SAMPLE_TEXT');
    expect(DATA_SIZE_SQL.mysql?.['8.0']).toContain('INNODB_TABLESPACES');
    expect(DATA_SIZE_SQL.mariadb?.['10.5']).toContain('INNODB_SYS_TABLESPACES');
  });
});

describe('connections', () => {
  it('counts the extra administrative connection as the one reserved slot', () => {
    expect(ADMIN_RESERVED_SLOTS).toBe(1);
  });

  it('folds session rows into states and keeps the oldest idle transaction', () => {
    const result = sessionsByState([
      { session_state: 'idle', sessions: '4', oldest_idle_trx_seconds: null },
      { session_state: 'idleInTransaction', sessions: '2', oldest_idle_trx_seconds: '37' },
      { session_state: 'waitingLock', sessions: '1', oldest_idle_trx_seconds: null },
      { session_state: 'active', sessions: 3, oldest_idle_trx_seconds: null },
      { session_state: 'something-new', sessions: '1', oldest_idle_trx_seconds: null },
    ]);
    expect(result.byState).toEqual({ active: 3, idle: 4, idleInTransaction: 2, waitingLock: 1, other: 1 });
    expect(result.oldestIdleInTransactionSeconds).toBe(37);
  });
});

describe('statements', () => {
  it('converts picosecond timers beyond 2^53 without losing seconds', () => {
    expect(picosecondsToSeconds('18446744073709551615')).toBeCloseTo(18446744.073709551, 3);
    expect(picosecondsToSeconds('1500000000000')).toBe(1.5);
  });

  it('maps a digest row to the engine-neutral statement, no-index calls never above calls', () => {
    const stat = toStatement(
      {
        schema_name: 'app',
        digest: 'abc',
        digest_text: 'SELECT * FROM `t` WHERE `b` = ?',
        calls: '10',
        timer_wait: '2000000000000',
        rows_returned: '10',
        rows_examined: '10000',
        no_index_used: '12',
        sample_text: null,
      },
      'SELECT * FROM t WHERE b = 7',
    );
    expect(stat).toMatchObject({
      id: 'abc',
      database: 'app',
      calls: 10,
      totalSeconds: 2,
      rowsExamined: 10000,
    });
    expect(stat.noIndexUsedCalls).toBe(10);
    expect(stat.sample).toBe('SELECT * FROM t WHERE b = 7');
  });

  it('drops samples the server truncated (they cannot be EXPLAINed)', () => {
    expect(usableSample('x'.repeat(1024), 1024)).toBeNull();
    expect(usableSample('SELECT 1', 1024)).toBe('SELECT 1');
    expect(usableSample('', 1024)).toBeNull();
  });

  it('rounds FIRST_SEEN up to the end of its second, so a truncate right after a sample still counts as a reset', () => {
    expect(resetAtFromFirstSeen('1700000000')).toBe(1_700_000_000_999);
    expect(resetAtFromFirstSeen('1700000000.250000')).toBe(1_700_000_000_999);
    expect(resetAtFromFirstSeen(null)).toBeNull();
  });

  it('takes samples from history_long, else history, only when the current consumer feeds them', () => {
    const on = (...names: string[]) =>
      new Map(
        [
          'global_instrumentation',
          'thread_instrumentation',
          'events_statements_current',
          'events_statements_history',
          'events_statements_history_long',
        ].map((n) => [n, names.includes(n)]),
      );
    const base = ['global_instrumentation', 'thread_instrumentation', 'events_statements_current'];
    expect(sampleSource(on(...base, 'events_statements_history_long', 'events_statements_history'))).toBe(
      'history_long',
    );
    expect(sampleSource(on(...base, 'events_statements_history'))).toBe('history');
    expect(
      sampleSource(on('global_instrumentation', 'thread_instrumentation', 'events_statements_history_long')),
    ).toBeNull();
  });
});

describe('cache', () => {
  it('counts hits as read requests minus disk reads', () => {
    expect(cacheCounters(1000, 150)).toEqual({ hits: 850, reads: 150 });
    expect(cacheCounters(10, 20)).toEqual({ hits: 0, reads: 20 });
  });
});

describe('tables', () => {
  it('estimates full scans from rows read without an index over the table size', () => {
    const state = newTargetState();
    expect(estimateScans(state, 'app.t', 3000, 1000)).toBe(3);
    expect(estimateScans(state, 'app.t', 5000, 1000)).toBe(5);
    // the counter went down (server restart / truncate): what it counted since is new
    expect(estimateScans(state, 'app.t', 1000, 1000)).toBe(6);
    // an empty table still counts each read row as a scan, never divides by zero
    expect(estimateScans(state, 'app.e', 2, 0)).toBe(2);
  });

  it('writes key parts as in the DDL: prefix lengths, expressions, descending', () => {
    expect(keyPart({ column_name: 'name', sub_part: '10', collation: 'A', expression: null })).toBe(
      'name(10)',
    );
    expect(keyPart({ column_name: 'created', sub_part: null, collation: 'D', expression: null })).toBe(
      'created DESC',
    );
    expect(keyPart({ column_name: null, sub_part: null, collation: 'A', expression: 'lower(`email`)' })).toBe(
      '(lower(`email`))',
    );
  });

  it('groups index rows into indexes with their columns in order, uniqueness and usage', () => {
    const row = (index_name: string, seq: number, column_name: string, non_unique: number) => ({
      table_name: 'orders',
      index_name,
      seq,
      column_name,
      non_unique,
      sub_part: null,
      collation: 'A',
      expression: null,
    });
    const indexes = indexesFrom(
      'app',
      [row('PRIMARY', 1, 'id', 0), row('ix_cust', 1, 'customer_id', 1), row('ix_cust', 2, 'created', 1)],
      new Map([['app.orders\u0000ix_cust', 42]]),
    );
    expect(indexes).toEqual([
      expect.objectContaining({
        table: 'app.orders',
        index: 'PRIMARY',
        columns: ['id'],
        primary: true,
        unique: true,
        scans: 0,
      }),
      expect.objectContaining({
        index: 'ix_cust',
        columns: ['customer_id', 'created'],
        unique: false,
        scans: 42,
        definition: 'CREATE INDEX `ix_cust` ON `app`.`orders` (customer_id, created)',
      }),
    ]);
  });
});
