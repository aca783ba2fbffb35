import { describe, expect, it } from 'vitest';
import { auditPosture } from '../../../agent/advisors/audit-posture.js';
import { DEFAULT_THRESHOLDS } from '../../../agent/config/thresholds.js';
import { mysqlAuditPosture, serverAuditOperations } from '../../../agent/engines/mysql/probes/audit.js';
import {
  pgAuditedOperations,
  pgauditClasses,
  pgLogRetention,
} from '../../../agent/engines/postgres/probes/audit.js';
import type { AuditSignals, EngineName } from '../../../agent/snapshot/signals.js';

// The pure parts of the audit posture: what settings log, how long a log collector's rotation
// keeps its files, and the advisor's severity. pgaudit and MySQL's audit_log have no server in
// the tests (the integration test covers log_statement / log_connections and server_audit).

const COLLECTOR = { log_destination: 'stderr', logging_collector: 'on', log_truncate_on_rotation: 'on' };
const DAY = 86_400;

describe('PostgreSQL log retention from the collector settings', () => {
  it.each([
    ['postgresql-%a.log', DAY, 7],
    ['postgresql-%d.log', DAY, 28],
    ['postgresql-%j.log', DAY, 365],
    ['postgresql-%H.log', 3600, 1],
    ['server.log', 7 * DAY, 7],
  ])('%s rotated every %i s keeps %d days', (filename, rotation, days) => {
    expect(pgLogRetention({ ...COLLECTOR, log_filename: filename }, rotation).days).toBe(days);
  });

  it.each([
    [{ ...COLLECTOR, log_filename: 'postgresql-%Y-%m-%d_%H%M%S.log' }, DAY, /never repeats/],
    [
      { ...COLLECTOR, log_filename: 'postgresql-%a.log', log_truncate_on_rotation: 'off' },
      DAY,
      /never overwrites/,
    ],
    [
      { ...COLLECTOR, log_filename: 'postgresql-%a.log', logging_collector: 'off' },
      DAY,
      /logging_collector is off/,
    ],
    [
      { ...COLLECTOR, log_filename: 'postgresql-%a.log', log_destination: 'syslog' },
      DAY,
      /log_destination = syslog/,
    ],
    [{ ...COLLECTOR, log_filename: 'postgresql-%a.log' }, 0, /no time-based rotation/],
  ])('unknown, kept outside the server: %o', (settings, rotation, reason) => {
    const retention = pgLogRetention(settings, rotation);
    expect(retention.days).toBeNull();
    expect(retention.text).toMatch(/^unknown, kept outside the server: /);
    expect(retention.text).toMatch(reason);
  });

  it('a rotation shorter than the name truncates a file within its period', () => {
    const r = pgLogRetention({ ...COLLECTOR, log_filename: 'postgresql-%a.log' }, 3600);
    expect(r.days).toBeCloseTo(1 / 24, 2);
    expect(r.text).toMatch(/truncated before its period ends/);
  });
});

describe('what the settings log', () => {
  it('log_statement ddl covers role changes, mod adds writes; pgaudit only when preloaded', () => {
    expect(pgAuditedOperations({ log_statement: 'ddl', log_connections: 'on' })).toEqual({
      logs: { ddl: true, roles: true, writes: false, connections: true },
      sources: ['log_statement=ddl', 'log_connections'],
    });
    expect(
      pgAuditedOperations({
        log_statement: 'none',
        shared_preload_libraries: 'pg_stat_statements',
        'pgaudit.log': 'role',
      }).logs.roles,
    ).toBe(false);
    const pgaudit = pgAuditedOperations({
      log_statement: 'none',
      shared_preload_libraries: 'pg_stat_statements, pgaudit',
      'pgaudit.log': 'all, -read',
    });
    expect(pgaudit.logs).toEqual({ ddl: true, roles: true, writes: true, connections: false });
    expect(pgaudit.sources).toEqual(['pgaudit.log=all, -read']);
    expect([...pgauditClasses('ddl, -ddl, role')]).toEqual(['role']);
    // every statement with its duration is every DDL too; only the slow ones is not an audit
    expect(pgAuditedOperations({ log_statement: 'none', log_min_duration_statement: '0' })).toEqual({
      logs: { ddl: true, roles: true, writes: true, connections: false },
      sources: ['log_min_duration_statement=0'],
    });
    expect(pgAuditedOperations({ log_statement: 'none', log_min_duration_statement: '1' }).logs.ddl).toBe(
      false,
    );
    // a role without pg_read_all_settings does not see shared_preload_libraries: pgaudit.log tells
    expect(pgAuditedOperations({ log_statement: 'none', 'pgaudit.log': 'role' }).logs.roles).toBe(true);
  });

  it('server_audit events: empty is every event; general_log logs all; audit_log prunes', () => {
    expect(serverAuditOperations('')).toEqual({ ddl: true, roles: true, writes: true, connections: true });
    expect(serverAuditOperations('CONNECT,QUERY_DDL')).toEqual({
      ddl: true,
      roles: false,
      writes: false,
      connections: true,
    });
    const off = mysqlAuditPosture({ 'plugin:SERVER_AUDIT': 'ACTIVE', server_audit_logging: 'OFF' });
    expect(off.sources).toEqual([]);
    expect(off.retention).toBe('none: nothing is logged (no audit plugin, general_log off)');
    const general = mysqlAuditPosture({ general_log: 'ON', log_output: 'FILE' });
    expect(general.logs.ddl && general.logs.connections).toBe(true);
    expect(general.retentionDays).toBeNull();
    const mysql = mysqlAuditPosture({
      'plugin:AUDIT_LOG': 'ACTIVE',
      audit_log_policy: 'ALL',
      audit_log_prune_seconds: String(200 * DAY),
    });
    expect(mysql.retentionDays).toBe(200);
    expect(mysql.sources).toEqual(['audit_log (policy ALL)']);
  });
});

function advise(engine: EngineName, audit: Omit<AuditSignals, 'at'>) {
  return auditPosture({
    target: 'db',
    engine,
    history: [
      {
        target: 'db',
        engine,
        at: 0,
        up: true,
        downReason: null,
        serverVersion: null,
        signals: { audit: { at: 0, ...audit } },
        probes: {},
      },
    ],
    rates: { cache: null, statements: null, tables: null },
    thresholds: DEFAULT_THRESHOLDS,
    runbookBaseUrl: 'http://dbdiag/runbooks',
  });
}

describe('audit-posture advisor', () => {
  const all = { ddl: true, roles: true, writes: false, connections: true };

  it('nothing when key operations are logged and kept the target days', () => {
    expect(
      advise('postgres', { sources: ['x'], logs: all, retentionDays: 365, retention: 'r', settings: {} }),
    ).toEqual([]);
  });

  it('info when kept less than the target: the fix keeps a year of daily files (pgaudit classes when preloaded)', () => {
    const [f] = advise('postgres', {
      sources: ['pgaudit.log=ddl, role'],
      logs: all,
      retentionDays: 7,
      retention: 'postgresql-%a.log ...',
      settings: { logging_collector: 'on', 'pgaudit.log': 'ddl, role' },
    });
    expect(f?.severity).toBe('info');
    expect(f?.summary).toMatch(/kept 7 days, under 180 days/);
    expect(f?.fix?.statements).toContain("ALTER SYSTEM SET log_filename = 'postgresql-%j.log';");
    expect(f?.fix?.statements.join(' ')).not.toMatch(/SET (logging_collector|log_statement)/);
  });

  it('warning when logins are not logged; a pgaudit server gets pgaudit classes, not log_statement', () => {
    const [f] = advise('postgres', {
      sources: [],
      logs: { ddl: false, roles: false, writes: false, connections: false },
      retentionDays: null,
      retention: 'unknown',
      settings: { 'pgaudit.log': 'write', shared_preload_libraries: 'pgaudit' },
    });
    expect(f?.severity).toBe('warning');
    expect(f?.fix?.statements).toContain("ALTER SYSTEM SET pgaudit.log = 'ddl, role, write';");
    expect(f?.fix?.statements.join(' ')).not.toMatch(/SET log_statement/);
  });
});
