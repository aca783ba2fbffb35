import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditPosture } from '../../../agent/advisors/audit-posture.js';
import { DEFAULT_THRESHOLDS } from '../../../agent/config/thresholds.js';
import type { EngineSession, SamplingLimits } from '../../../agent/engines/engine.js';
import { connectMysql } from '../../../agent/engines/mysql/driver.js';
import { postgresDriver } from '../../../agent/engines/postgres/driver.js';
import type { Finding } from '../../../agent/findings/finding.js';
import type { TrackedFinding } from '../../../agent/findings/tracker.js';
import { rootLogger } from '../../../agent/log.js';
import { buildReport } from '../../../agent/reports/build.js';
import { renderHtml } from '../../../agent/reports/render-html.js';
import { renderMarkdown } from '../../../agent/reports/render-md.js';
import { validateReport } from '../../../agent/reports/schema.js';
import { startSandboxServer } from '../../../agent/sandbox/engines.js';
import type { SandboxServer } from '../../../agent/sandbox/server.js';
import type { AuditSignals, EngineName } from '../../../agent/snapshot/signals.js';
import type { Snapshot } from '../../../agent/snapshot/snapshot.js';
import { openStore } from '../../../agent/state/open.js';
import { HourlyRollupBuilder } from '../../../agent/state/rollup.js';
import { createMonitorUser, startLocalMariadb, type TestMysqlServer } from '../../support/mysql.js';

// The audit posture read for real, each engine on a server of its own (settings change and the
// server restarts), through the least-privilege monitoring account (pg_monitor; README's MySQL
// grants): PostgreSQL 15 with its default settings logs no DDL, role change or login and keeps
// no log itself -> warning; log_statement = 'ddl' alone leaves logins unlogged -> still a
// warning; the finding's own fix statements (and the restart logging_collector needs) clear
// it, and a CREATE TABLE and a login land in the collector's file. MariaDB without server_audit
// -> warning; the fix's statements (INSTALL SONAME 'server_audit', its events) log DDL and
// logins to its file, and what is left is the info that a size-rotated file cannot show 180 days.

const LIMITS: SamplingLimits = { statementTimeoutMs: 5000, topStatements: 20, topTables: 20, topIndexes: 50 };
const log = rootLogger.child({ component: 'test' });
const NAME = `h13_audit_${process.pid}`;

async function sampleAudit(session: EngineSession): Promise<AuditSignals> {
  const outcome = await session.sample('audit');
  if (outcome.status !== 'ok' || !outcome.signals.audit) throw new Error(`audit: ${JSON.stringify(outcome)}`);
  return outcome.signals.audit;
}

function snapshotOf(engine: EngineName, audit: AuditSignals, at = audit.at): Snapshot {
  return {
    target: 'db',
    engine,
    at,
    up: true,
    downReason: null,
    serverVersion: null,
    signals: { audit },
    probes: {},
  };
}

function advise(engine: EngineName, audit: AuditSignals): Finding[] {
  return auditPosture({
    target: 'db',
    engine,
    history: [snapshotOf(engine, audit)],
    rates: { cache: null, statements: null, tables: null },
    thresholds: DEFAULT_THRESHOLDS,
    runbookBaseUrl: 'http://dbdiag/runbooks',
  });
}

/** the fix's statements a person copies (comments and the diagnosis SELECT included: they run as they are) */
function runnable(finding: Finding): string[] {
  return (finding.fix?.statements ?? []).filter((s) => !s.trimStart().startsWith('--'));
}

describe('audit posture on PostgreSQL 15 (own server)', () => {
  let server: SandboxServer;
  /** what the server said before and after the fix, for the report */
  let before: AuditSignals | undefined;
  let after: AuditSignals | undefined;
  let raised: Finding | undefined;
  const monitor = () => ({
    name: 'pg',
    engine: 'postgres' as const,
    dsn: server.dsn({ user: `${NAME}_mon` }),
    poolerDsn: null,
  });

  beforeAll(async () => {
    server = await startSandboxServer('postgres', { version: 15, purpose: 'audit', statementStats: false });
    await server.query(`CREATE ROLE ${NAME}_mon LOGIN IN ROLE pg_monitor`);
  }, 60_000);

  afterAll(async () => {
    await server?.destroy();
  });

  it('defaults: warning; log_statement=ddl alone: logins still missing; the fix and a restart: resolved, DDL and logins in the log file', async () => {
    let session = await postgresDriver.connect(monitor(), LIMITS, log);
    try {
      before = await sampleAudit(session);
      expect(before.logs).toEqual({ ddl: false, roles: false, writes: false, connections: false });
      expect(before.sources).toEqual([]);
      expect(before.retentionDays).toBeNull();
      expect(before.retention).toMatch(/^unknown, kept outside the server: logging_collector is off/);
      [raised] = advise('postgres', before);
      expect(raised).toMatchObject({ kind: 'audit-posture', severity: 'warning', object: 'audit-log' });
      expect(raised?.evidence.notLogged).toEqual(['ddl', 'roles', 'connections']);
      expect(raised?.fix?.statements).toContain("ALTER SYSTEM SET log_statement = 'ddl';");
      expect(raised?.fix?.statements).toContain('ALTER SYSTEM SET log_connections = on;');

      await server.query("ALTER SYSTEM SET log_statement = 'ddl'");
      await server.query('SELECT pg_reload_conf()');
      await new Promise((r) => setTimeout(r, 300)); // the reload reaches the backends on their next command
      const ddlOnly = await sampleAudit(session);
      expect(ddlOnly.logs).toMatchObject({ ddl: true, roles: true, connections: false });
      expect(ddlOnly.sources).toEqual(['log_statement=ddl']);
      const [still] = advise('postgres', ddlOnly);
      expect(still?.severity).toBe('warning');
      expect(still?.evidence.notLogged).toEqual(['connections']);

      // the finding's fix, as a person copies it; logging_collector takes a restart (the fix says WARNING)
      for (const statement of runnable(still!)) await server.query(statement);
      expect(still?.fix?.risk).toMatch(/WARNING: logging_collector needs a server restart/);
      await session.close();
      await server.restart();
      session = await postgresDriver.connect(monitor(), LIMITS, log);
      after = await sampleAudit(session);
      expect(after.logs).toMatchObject({ ddl: true, roles: true, connections: true });
      expect(after.sources).toEqual(['log_statement=ddl', 'log_connections', 'log_disconnections']);
      expect(after.retentionDays).toBe(365);
      expect(after.retention).toBe(
        'postgresql-%j.log truncated on rotation every 1 days: each name comes back after 365 days',
      );
      expect(advise('postgres', after)).toEqual([]);

      // what the settings promise is in the file: a DDL statement and a login
      await server.query(`CREATE TABLE ${NAME}_t (id int)`);
      const [{ data_directory: dataDir } = {}] = await server.query('SHOW data_directory');
      const logDir = join(String(dataDir), 'log');
      const text = readdirSync(logDir)
        .filter((f) => /^postgresql-\d{3}\.log$/.test(f))
        .map((f) => readFileSync(join(logDir, f), 'utf8'))
        .join('');
      expect(text).toContain(`statement: CREATE TABLE ${NAME}_t (id int)`);
      expect(text).toMatch(new RegExp(`connection authorized: user=${NAME}_mon`));
    } finally {
      await session.close();
    }
  }, 60_000);

  it('the report shows the posture: the warning with its fix in the first hour, OK with what is logged and kept once fixed (JSON valid, Markdown and HTML sections)', async () => {
    if (!before || !after || !raised) throw new Error('needs the readings of the test before');
    const dir = mkdtempSync(join(tmpdir(), 'dbdiag-audit-report-'));
    const store = await openStore({ dataDir: dir });
    try {
      const H = 3_600_000;
      const T0 = Date.UTC(2026, 10, 1, 0);
      const rates = { cache: null, statements: null, tables: null };
      const hour = new HourlyRollupBuilder('db', {
        topStatements: 10,
        topTables: 10,
        saturationWarningRatio: 0.8,
        intervalSeconds: 15,
      });
      hour.observe(snapshotOf('postgres', before, T0 + 60_000), rates);
      const first = hour.observe(snapshotOf('postgres', after, T0 + H + 60_000), rates);
      const second = hour.current();
      await store.saveRollups([first!, second!]);
      const episode: TrackedFinding = {
        finding: raised,
        status: 'resolved',
        firstSeen: T0 + 60_000,
        lastSeen: T0 + H + 30_000,
        resolvedAt: T0 + H + 90_000,
        occurrences: 240,
        severityChanges: [{ at: T0 + 60_000, from: null, to: 'warning' }],
        worst: { severity: 'warning', at: T0 + 60_000, summary: raised.summary, evidence: raised.evidence },
      };
      // the first hour: the finding is open at its end
      await store.saveFindings([{ ...episode, status: 'active', resolvedAt: null, lastSeen: T0 + H - 1 }]);
      const build = (from: number, id: string) =>
        buildReport(store, {
          id,
          kind: 'custom',
          from,
          to: from + H,
          now: from + H,
          baseline: null,
          history: [],
        });
      const broken = await build(T0, 'custom-1');
      expect(validateReport(broken)).toBeNull();
      const a = broken.targets[0]?.audit;
      expect(a).toMatchObject({
        status: 'warning',
        sources: [],
        logged: [],
        notLogged: ['ddl', 'roles', 'connections'],
        retentionDays: null,
        targetRetentionDays: 180,
        findingId: 'audit-posture:db:audit-log',
        at: '2026-11-01T00:00:00Z',
      });
      expect(a?.fix?.statements).toContain("ALTER SYSTEM SET log_statement = 'ddl';");
      // the only warning: the verdict names it
      expect(broken.targets[0]?.status).toBe('warning');
      expect(broken.targets[0]?.reason).toMatch(/are not logged/);
      const md = renderMarkdown(broken);
      expect(md).toContain('### Audit posture\n\nWARNING (read 2026-11-01T00:00:00Z)');
      expect(md).toContain('- not logged: DDL, role and privilege changes, logins');
      expect(md).toMatch(
        /- retention: unknown, kept outside the server: logging_collector is off.*\(asked: 180 days\)/,
      );
      const html = renderHtml(broken);
      expect(html).toContain('<section class="audit"><h3>Audit posture</h3>');
      expect(html).toContain('<span class="badge warning">WARNING</span>');

      // the second hour: resolved early in it, the reading says what is logged and kept
      await store.saveFindings([episode]);
      const fixed = await build(T0 + H, 'custom-2');
      expect(validateReport(fixed)).toBeNull();
      expect(fixed.targets[0]?.audit).toEqual({
        at: '2026-11-01T01:00:00Z',
        status: 'ok',
        sources: ['log_statement=ddl', 'log_connections', 'log_disconnections'],
        logged: ['ddl', 'roles', 'connections'],
        notLogged: [],
        retentionDays: 365,
        retention:
          'postgresql-%j.log truncated on rotation every 1 days: each name comes back after 365 days',
        targetRetentionDays: null,
        findingId: null,
        fix: null,
        runbook: null,
      });
      expect(fixed.targets[0]?.findings.resolved.map((f) => f.kind)).toEqual(['audit-posture']);
      expect(renderMarkdown(fixed)).toContain(
        '### Audit posture\n\nOK (read 2026-11-01T01:00:00Z)\n\n- logged: DDL, role and privilege changes, logins (log_statement=ddl; log_connections; log_disconnections)\n- retention: 365 days: postgresql-%j.log',
      );
    } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('audit posture on MariaDB (own server)', () => {
  let server: TestMysqlServer;
  let monitorUrl: string;

  beforeAll(async () => {
    server = await startLocalMariadb({ performanceSchema: false });
    monitorUrl = await createMonitorUser(server, `${NAME}_mon`);
  }, 60_000);

  afterAll(async () => {
    await server?.destroy();
  });

  it('without server_audit: warning; with the fix (INSTALL SONAME, events): DDL and logins logged to its file, info on retention', async () => {
    const session = await connectMysql(
      { name: 'maria', engine: 'mysql', dsn: monitorUrl, poolerDsn: null },
      LIMITS,
      log,
    );
    try {
      const before = await sampleAudit(session);
      expect(before.settings['plugin:SERVER_AUDIT']).toBeUndefined();
      expect(before.logs).toEqual({ ddl: false, roles: false, writes: false, connections: false });
      const [raised] = advise('mysql', before);
      expect(raised).toMatchObject({ kind: 'audit-posture', severity: 'warning' });
      expect(raised?.summary).toMatch(/nothing audits this server/);
      expect(raised?.fix?.statements).toContain("INSTALL SONAME 'server_audit';");

      for (const statement of runnable(raised!)) await server.exec(statement);
      const after = await sampleAudit(session);
      expect(after.settings['plugin:SERVER_AUDIT']).toBe('ACTIVE');
      expect(after.settings.server_audit_events).toBe('CONNECT,QUERY_DDL,QUERY_DCL');
      expect(after.logs).toEqual({ ddl: true, roles: true, writes: false, connections: true });
      expect(after.sources).toEqual(['server_audit (events CONNECT,QUERY_DDL,QUERY_DCL)']);
      expect(after.retentionDays).toBeNull();
      expect(after.retention).toMatch(
        /^unknown: server_audit keeps 1000 files of 100 MB \(rotated by size\)/,
      );
      const [info] = advise('mysql', after);
      expect(info).toMatchObject({ severity: 'info' });
      expect(info?.evidence.notLogged).toEqual([]);
      expect(info?.summary).toMatch(/cannot be shown kept 180 days/);

      // the events really reach the audit file: a DDL statement and the monitor's login
      await server.exec(`CREATE DATABASE ${NAME}`);
      await server.exec(`CREATE TABLE ${NAME}.t (id INT)`);
      const reconnect = await connectMysql(
        { name: 'maria2', engine: 'mysql', dsn: monitorUrl, poolerDsn: null },
        LIMITS,
        log,
      );
      await reconnect.close();
      const [row] = await server.exec('SELECT @@datadir AS datadir');
      const file = readFileSync(join(String(row?.datadir), 'server_audit.log'), 'utf8');
      expect(file).toContain(`CREATE TABLE ${NAME}.t (id INT)`);
      expect(file).toMatch(new RegExp(`${NAME}_mon,[^,]*,\\d+,\\d*,CONNECT`));
    } finally {
      await session.close();
    }
  }, 60_000);
});
