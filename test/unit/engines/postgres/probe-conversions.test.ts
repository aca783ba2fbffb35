import { describe, expect, it } from 'vitest';
import { parsePostgresDsn } from '../../../../agent/engines/postgres/dsn.js';
import { toConnectionSignals } from '../../../../agent/engines/postgres/probes/connections.js';
import { toPoolStats } from '../../../../agent/engines/postgres/probes/pooler.js';
import { baseUnitValue } from '../../../../agent/engines/postgres/probes/settings.js';
import {
  isOwnStatement,
  STATEMENT_COUNTERS_SQL,
} from '../../../../agent/engines/postgres/probes/statements.js';
import { sqlForVersion } from '../../../../agent/engines/postgres/sql-version.js';
import { AgentError } from '../../../../agent/errors.js';

describe('sqlForVersion', () => {
  const sql = { 130000: 'thirteen', 140000: 'fourteen', 170000: 'seventeen' };
  it('picks the highest key at or below the server version', () => {
    expect(sqlForVersion(sql, 130012)).toBe('thirteen');
    expect(sqlForVersion(sql, 160004)).toBe('fourteen');
    expect(sqlForVersion(sql, 170000)).toBe('seventeen');
    expect(sqlForVersion(sql, 180004)).toBe('seventeen');
  });
  it('has nothing for a server older than every key', () => {
    expect(sqlForVersion(sql, 120020)).toBeNull();
  });
  it('drops nested statements only where pg_stat_statements has toplevel (14+)', () => {
    expect(sqlForVersion(STATEMENT_COUNTERS_SQL, 130000)).not.toContain('toplevel');
    expect(sqlForVersion(STATEMENT_COUNTERS_SQL, 150000)).toContain('s.toplevel');
  });
});

describe('parsePostgresDsn', () => {
  it('reads host, port, database and user', () => {
    expect(parsePostgresDsn('t', 'postgresql://app:secret@db.example:6432/plant')).toEqual({
      host: 'db.example',
      port: 6432,
      database: 'plant',
      user: 'app',
    });
  });
  it.each([
    'host=db user=app dbname=plant',
    'mysql://root@localhost/test',
    'postgres://app:secret@db:99999/plant',
  ])('refuses %s as bad-dsn with a one-line message that hides the password', (dsn) => {
    let error: unknown;
    try {
      parsePostgresDsn('plant-db', dsn);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(AgentError);
    expect((error as AgentError).code).toBe('bad-dsn');
    expect((error as AgentError).message).toMatch(/^target "plant-db": bad DSN/);
    expect((error as AgentError).message).not.toContain('secret');
    expect((error as AgentError).message).not.toContain('\n');
  });
});

describe('toConnectionSignals', () => {
  it('puts sessions whose state it cannot see under other', () => {
    const signals = toConnectionSignals(
      {
        used: 10,
        waiting_lock: 1,
        active: 2,
        idle: 3,
        idle_in_transaction: 1,
        oldest_xact_seconds: 12.5,
        oldest_idle_xact_seconds: 3,
        max_connections: 100,
        reserved: 3,
        per_connection_bytes: 12_582_912,
      },
      1000,
    );
    expect(signals.byState).toEqual({ active: 2, idle: 3, idleInTransaction: 1, waitingLock: 1, other: 3 });
    expect(signals).toMatchObject({ used: 10, max: 100, reserved: 3, oldestTransactionSeconds: 12.5 });
  });
});

describe('baseUnitValue', () => {
  it('turns memory into bytes and time into seconds', () => {
    expect(baseUnitValue('16384', '8kB')).toBe(String(128 * 1024 * 1024));
    expect(baseUnitValue('4096', 'kB')).toBe(String(4 * 1024 * 1024));
    expect(baseUnitValue('60000', 'ms')).toBe('60');
    expect(baseUnitValue('60', 's')).toBe('60');
  });
  it('keeps -1 (disabled) and values without a unit as they are', () => {
    expect(baseUnitValue('-1', 'ms')).toBe('-1');
    expect(baseUnitValue('on', null)).toBe('on');
    expect(baseUnitValue('pg_stat_statements', '')).toBe('pg_stat_statements');
  });
});

describe('isOwnStatement', () => {
  it('recognizes the agent by its leading marker (13-17) or trailing one (18 drops leading comments)', () => {
    expect(isOwnStatement('/* dbdiag:connections */ SELECT count(*) FROM pg_stat_activity')).toBe(true);
    expect(isOwnStatement('SELECT count(*) FROM pg_stat_activity\n/* dbdiag */')).toBe(true);
    expect(isOwnStatement('SELECT count(*) FROM pg_stat_activity\n/* dbdiag:connections */')).toBe(true);
    expect(isOwnStatement('SELECT * FROM work_orders WHERE id = $1')).toBe(false);
    expect(isOwnStatement('SELECT $1 /* dbdiag */ FROM t WHERE x = $2')).toBe(false);
  });
});

describe('toPoolStats', () => {
  it('leaves out the admin console and takes pool_size from SHOW DATABASES', () => {
    const pools = toPoolStats(
      [
        {
          database: 'app',
          user: 'app_user',
          cl_active: 100,
          cl_waiting: '25',
          sv_active: 100,
          sv_idle: 0,
          maxwait: 2,
          maxwait_us: 500_000,
        },
        {
          database: 'pgbouncer',
          user: 'pgbouncer',
          cl_active: 1,
          cl_waiting: 0,
          sv_active: 0,
          sv_idle: 0,
          maxwait: 0,
        },
      ],
      [
        { name: 'app', pool_size: 100 },
        { name: 'pgbouncer', pool_size: 2 },
      ],
    );
    expect(pools).toEqual([
      {
        pool: 'app/app_user',
        clientsActive: 100,
        clientsWaiting: 25,
        serversActive: 100,
        serversIdle: 0,
        maxWaitSeconds: 2.5,
        poolSize: 100,
      },
    ]);
  });
});
