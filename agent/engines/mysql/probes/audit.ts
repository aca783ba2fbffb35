import type { AuditedOperations, AuditSignals } from '../../../snapshot/signals.js';
import type { ProbeOutcome } from '../../engine.js';
import type { Row } from '../connection.js';
import type { ProbeContext } from '../context.js';

// The audit posture: which audit plugin is loaded and what it logs, and how long the server's
// own rotation keeps its file. information_schema.PLUGINS and SHOW GLOBAL VARIABLES need no
// privilege.
//   MariaDB: the server_audit plugin (INSTALL SONAME 'server_audit'): server_audit_logging,
//     server_audit_events (empty = every event: CONNECT, QUERY, TABLE; or a list of CONNECT,
//     QUERY, TABLE, QUERY_DDL, QUERY_DML, QUERY_DML_NO_SELECT, QUERY_DCL), its file rotated by
//     size (server_audit_file_rotate_size) into server_audit_file_rotations files.
//   MySQL: the audit_log plugin (MySQL Enterprise, Percona Server): audit_log_policy (ALL,
//     LOGINS, QUERIES, NONE), audit_log_prune_seconds (8.0.24+) is its retention. No MySQL 8
//     server runs in this repository's tests: this branch is untested.
//   Both: general_log (every statement and login; never rotated by the server).
// A file rotated by size keeps as many days as traffic allows: the server does not show how
// many, and neither does syslog output (the receiving service decides) — retention is unknown.

export const AUDIT_PLUGINS_SQL = `/* dbdiag:audit */ SELECT PLUGIN_NAME AS plugin_name, PLUGIN_STATUS AS plugin_status
FROM information_schema.PLUGINS WHERE UPPER(PLUGIN_NAME) IN ('SERVER_AUDIT', 'AUDIT_LOG')`;

export const AUDIT_VARIABLES_SQL = `/* dbdiag:audit */ SHOW GLOBAL VARIABLES WHERE Variable_name LIKE 'server\\_audit\\_%'
  OR Variable_name LIKE 'audit\\_log\\_%' OR Variable_name IN ('general_log', 'log_output', 'version')`;

const NOTHING: AuditedOperations = { ddl: false, roles: false, writes: false, connections: false };

function on(value: string | undefined): boolean {
  return value !== undefined && ['on', '1', 'true', 'yes'].includes(value.toLowerCase());
}

/** What server_audit logs with these events ('' = every event). */
export function serverAuditOperations(events: string): AuditedOperations {
  const list = events
    .toUpperCase()
    .split(',')
    .map((e) => e.trim())
    .filter((e) => e !== '');
  const all = list.length === 0;
  const has = (...names: string[]) => all || names.some((n) => list.includes(n));
  return {
    ddl: has('QUERY', 'QUERY_DDL'),
    roles: has('QUERY', 'QUERY_DCL'),
    writes: has('QUERY', 'QUERY_DML', 'QUERY_DML_NO_SELECT'),
    connections: has('CONNECT'),
  };
}

function union(a: AuditedOperations, b: AuditedOperations): AuditedOperations {
  return {
    ddl: a.ddl || b.ddl,
    roles: a.roles || b.roles,
    writes: a.writes || b.writes,
    connections: a.connections || b.connections,
  };
}

/** The posture from the plugins' status and the variables (pure: the probe's rows in, the signal's parts out). */
export function mysqlAuditPosture(
  settings: Readonly<Record<string, string>>,
): Omit<AuditSignals, 'at' | 'settings'> {
  let logs = NOTHING;
  const sources: string[] = [];
  const retention: { days: number | null; text: string }[] = [];
  const outside = 'unknown, kept outside the server';
  if (settings['plugin:SERVER_AUDIT'] === 'ACTIVE' && on(settings.server_audit_logging)) {
    const events = settings.server_audit_events ?? '';
    logs = union(logs, serverAuditOperations(events));
    sources.push(`server_audit (events ${events === '' ? 'all' : events})`);
    const rotations = Number(settings.server_audit_file_rotations ?? '0');
    const size = Number(settings.server_audit_file_rotate_size ?? '0');
    if ((settings.server_audit_output_type ?? 'file').toLowerCase() === 'syslog')
      retention.push({
        days: null,
        text: `${outside}: server_audit writes to syslog (the receiving log service decides)`,
      });
    else if (rotations === 0)
      retention.push({
        days: null,
        text: `${outside}: server_audit_file_rotations = 0, ${settings.server_audit_file_path ?? 'server_audit.log'} is never rotated (removed only outside the server)`,
      });
    else
      retention.push({
        days: null,
        text: `unknown: server_audit keeps ${rotations + 1} files of ${Math.round(size / 1024 / 1024)} MB (rotated by size), as many days as traffic allows`,
      });
  }
  if (settings['plugin:AUDIT_LOG'] === 'ACTIVE') {
    const policy = (settings.audit_log_policy ?? 'ALL').toUpperCase();
    const ops: AuditedOperations = {
      ddl: policy === 'ALL' || policy === 'QUERIES',
      roles: policy === 'ALL' || policy === 'QUERIES',
      writes: policy === 'ALL' || policy === 'QUERIES',
      connections: policy === 'ALL' || policy === 'LOGINS',
    };
    logs = union(logs, ops);
    if (policy !== 'NONE') sources.push(`audit_log (policy ${policy})`);
    const prune = Number(settings.audit_log_prune_seconds ?? '0');
    retention.push(
      prune > 0
        ? { days: Math.round((prune / 86_400) * 100) / 100, text: `audit_log_prune_seconds = ${prune}` }
        : {
            days: null,
            text: `${outside}: audit_log files are not pruned by the server (audit_log_prune_seconds = 0)`,
          },
    );
  }
  if (on(settings.general_log)) {
    logs = union(logs, { ddl: true, roles: true, writes: true, connections: true });
    sources.push(`general_log (${settings.log_output ?? 'FILE'})`);
    retention.push({ days: null, text: `${outside}: the general log is never rotated by the server` });
  }
  // the longest a source keeps its trail is what an audit can count on
  const shown = retention.filter((r) => r.days !== null).sort((a, b) => (b.days ?? 0) - (a.days ?? 0))[0];
  const chosen = shown ??
    retention[0] ?? { days: null, text: 'none: nothing is logged (no audit plugin, general_log off)' };
  return { sources, logs, retentionDays: chosen.days, retention: chosen.text };
}

export async function sampleAudit(ctx: ProbeContext): Promise<ProbeOutcome> {
  const at = ctx.now();
  const settings: Record<string, string> = {};
  for (const row of await ctx.query<Row>(AUDIT_PLUGINS_SQL))
    settings[`plugin:${String(row.plugin_name).toUpperCase()}`] = String(row.plugin_status);
  for (const row of await ctx.query<Row>(AUDIT_VARIABLES_SQL)) {
    const name = row.Variable_name ?? row.VARIABLE_NAME;
    if (name !== undefined && name !== null) settings[String(name)] = String(row.Value ?? row.VALUE ?? '');
  }
  const audit: AuditSignals = { at, ...mysqlAuditPosture(settings), settings };
  return { status: 'ok', signals: { audit } };
}
