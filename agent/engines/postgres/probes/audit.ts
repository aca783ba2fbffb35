import type { AuditedOperations, AuditSignals } from '../../../snapshot/signals.js';
import { type PgProbe, type PgProbeContext, unsupported } from '../probe.js';
import { sqlForVersion, type VersionedSql, versionLabel } from '../sql-version.js';

// The audit posture: what the server writes to its log about the operations an audit asks for
// (schema changes, role and privilege changes, data changes, logins) and how long the log
// collector's own rotation keeps it. pg_settings is readable by pg_monitor (it holds
// pg_read_all_settings); pgaudit.* settings exist only when the library is loaded.
//
// Retention is read from the collector's settings only: with log_truncate_on_rotation on and a
// log_filename whose only fields cycle (%a day of the week: 7 files; %d day of the month: 28 to
// 31; %j day of the year: a year), the server overwrites the file of the same name after one
// cycle. A name that never repeats (%Y...), no truncation, no collector (stderr to the service
// manager) or syslog: the server keeps nothing itself — how long the logs live is decided
// outside it, and the probe says "unknown".

export const AUDIT_SETTING_NAMES = [
  'log_statement',
  'log_connections',
  'log_disconnections',
  'log_min_duration_statement',
  'shared_preload_libraries',
  'logging_collector',
  'log_destination',
  'log_directory',
  'log_filename',
  'log_rotation_age',
  'log_rotation_size',
  'log_truncate_on_rotation',
] as const;

export const AUDIT_SQL: VersionedSql = {
  130000: `/* dbdiag:audit */ SELECT name, setting, unit
FROM pg_settings
WHERE name = ANY($1::text[]) OR name LIKE 'pgaudit.%'`,
};

const DAY = 86_400;

/** strftime fields of log_filename, by how long until a name comes back (seconds) and the unit each names (seconds). */
const CYCLIC_FIELDS: Record<string, { cycle: number; unit: number }> = {
  a: { cycle: 7 * DAY, unit: DAY },
  A: { cycle: 7 * DAY, unit: DAY },
  u: { cycle: 7 * DAY, unit: DAY },
  w: { cycle: 7 * DAY, unit: DAY },
  // the day of the month: the file of the 1st comes back after 28 to 31 days
  d: { cycle: 28 * DAY, unit: DAY },
  e: { cycle: 28 * DAY, unit: DAY },
  j: { cycle: 365 * DAY, unit: DAY },
  b: { cycle: 365 * DAY, unit: 31 * DAY },
  B: { cycle: 365 * DAY, unit: 31 * DAY },
  h: { cycle: 365 * DAY, unit: 31 * DAY },
  m: { cycle: 365 * DAY, unit: 31 * DAY },
  U: { cycle: 365 * DAY, unit: 7 * DAY },
  W: { cycle: 365 * DAY, unit: 7 * DAY },
  V: { cycle: 365 * DAY, unit: 7 * DAY },
  H: { cycle: DAY, unit: 3600 },
  I: { cycle: DAY / 2, unit: 3600 },
  k: { cycle: DAY, unit: 3600 },
  l: { cycle: DAY / 2, unit: 3600 },
  p: { cycle: DAY, unit: DAY / 2 },
  M: { cycle: 3600, unit: 60 },
  S: { cycle: 60, unit: 1 },
};

/** fields that make every name unique (years, epoch seconds, full dates) */
const UNIQUE_FIELDS = new Set(['Y', 'y', 'G', 'g', 'C', 's', 'F', 'D', 'c', 'x']);

function on(value: string | undefined): boolean {
  return value === 'on' || value === 'true' || value === '1';
}

function seconds(value: string | undefined, unitFactor: number): number {
  const n = Number(value ?? Number.NaN);
  return Number.isFinite(n) ? n * unitFactor : 0;
}

/** "7 days", "1 h", "30 min" */
function span(s: number): string {
  if (s >= DAY) return `${Math.round((s / DAY) * 10) / 10} days`;
  if (s >= 3600) return `${Math.round((s / 3600) * 10) / 10} h`;
  return `${Math.round(s / 60)} min`;
}

/**
 * Days the log collector's own rotation keeps a log file, or null with the reason when the
 * server does not decide it. `rotationAgeSeconds`: log_rotation_age in seconds (0: off).
 */
export function pgLogRetention(
  settings: Readonly<Record<string, string>>,
  rotationAgeSeconds: number,
): { days: number | null; text: string } {
  const outside = 'unknown, kept outside the server';
  const destination = settings.log_destination ?? 'stderr';
  const fileDestinations = destination
    .split(',')
    .map((d) => d.trim())
    .filter((d) => ['stderr', 'csvlog', 'jsonlog'].includes(d));
  if (fileDestinations.length === 0)
    return {
      days: null,
      text: `${outside}: log_destination = ${destination} (the receiving log service decides)`,
    };
  if (!on(settings.logging_collector))
    return {
      days: null,
      text: `${outside}: logging_collector is off, the log goes to the server's stderr (the service manager or its redirection decides)`,
    };
  const filename = settings.log_filename ?? '';
  if (!on(settings.log_truncate_on_rotation))
    return {
      days: null,
      text: `${outside}: log_truncate_on_rotation is off, the server never overwrites ${filename} (removed only outside the server)`,
    };
  if (rotationAgeSeconds <= 0)
    return {
      days: null,
      text: `${outside}: log_rotation_age is 0, no time-based rotation overwrites ${filename}`,
    };
  const fields = [...filename.matchAll(/%(.)/g)].map((m) => m[1] ?? '').filter((f) => f !== '%');
  if (fields.some((f) => UNIQUE_FIELDS.has(f)))
    return {
      days: null,
      text: `${outside}: log_filename ${filename} never repeats, the server never overwrites a file (removed only outside the server)`,
    };
  const known = fields.flatMap((f) => (CYCLIC_FIELDS[f] ? [CYCLIC_FIELDS[f]] : []));
  if (known.length === 0)
    return {
      days: Math.round((rotationAgeSeconds / DAY) * 100) / 100,
      text: `one file, ${filename}, truncated every ${span(rotationAgeSeconds)} (log_rotation_age)`,
    };
  const cycle = Math.max(...known.map((k) => k.cycle));
  const unit = Math.min(...known.map((k) => k.unit));
  if (rotationAgeSeconds < unit)
    return {
      days: Math.round((rotationAgeSeconds / DAY) * 100) / 100,
      text: `log_rotation_age (${span(rotationAgeSeconds)}) is shorter than the finest field of ${filename}: each file is truncated before its period ends`,
    };
  const kept = Math.max(cycle, rotationAgeSeconds);
  return {
    days: Math.round((kept / DAY) * 100) / 100,
    text: `${filename} truncated on rotation every ${span(rotationAgeSeconds)}: each name comes back after ${
      cycle === 28 * DAY ? '28 to 31 days' : span(kept)
    }`,
  };
}

/** The pgaudit.log classes in effect ('all' stands for every class; '-class' removes one). */
export function pgauditClasses(value: string | undefined): Set<string> {
  const classes = new Set<string>();
  const all = ['read', 'write', 'function', 'role', 'ddl', 'misc', 'misc_set'];
  for (const raw of (value ?? '').toLowerCase().split(',')) {
    const item = raw.trim();
    if (item === '' || item === 'none') continue;
    const remove = item.startsWith('-');
    const name = remove ? item.slice(1) : item;
    for (const c of name === 'all' ? all : [name]) {
      if (remove) classes.delete(c);
      else classes.add(c);
    }
  }
  return classes;
}

/** What the settings log: log_statement, log_connections and pgaudit when it is preloaded. */
export function pgAuditedOperations(settings: Readonly<Record<string, string>>): {
  logs: AuditedOperations;
  sources: string[];
} {
  const statement = (settings.log_statement ?? 'none').toLowerCase();
  // GRANT, REVOKE and CREATE/ALTER/DROP ROLE are in log_statement's ddl class
  const ddl = ['ddl', 'mod', 'all'].includes(statement);
  const sources: string[] = [];
  if (statement !== 'none') sources.push(`log_statement=${statement}`);
  const logs: AuditedOperations = {
    ddl,
    roles: ddl,
    writes: statement === 'mod' || statement === 'all',
    connections: on(settings.log_connections),
  };
  // log_min_duration_statement = 0 logs every statement with its duration (DDL and GRANT included); above 0, only slow ones
  if (settings.log_min_duration_statement === '0') {
    logs.ddl = true;
    logs.roles = true;
    logs.writes = true;
    sources.push('log_min_duration_statement=0');
  }
  if (logs.connections) sources.push('log_connections');
  if (on(settings.log_disconnections)) sources.push('log_disconnections');
  // shared_preload_libraries is hidden from a role without pg_read_all_settings (pg_monitor has it): then pgaudit.log tells
  const preloaded =
    settings.shared_preload_libraries === undefined ||
    settings.shared_preload_libraries
      .split(',')
      .map((l) => l.trim().replace(/^"|"$/g, ''))
      .includes('pgaudit');
  if (preloaded && settings['pgaudit.log'] !== undefined) {
    const classes = pgauditClasses(settings['pgaudit.log']);
    if (classes.size > 0) sources.push(`pgaudit.log=${settings['pgaudit.log']}`);
    // pgaudit's ddl class leaves out what its role class logs
    logs.ddl ||= classes.has('ddl');
    logs.roles ||= classes.has('role');
    logs.writes ||= classes.has('write');
  }
  return { logs, sources };
}

interface Row {
  name: string;
  setting: string;
  unit: string | null;
}

const TIME_UNITS: Record<string, number> = { s: 1, min: 60, h: 3600, d: DAY, ms: 1e-3 };

export function createAuditProbe(): PgProbe {
  return {
    async run(context: PgProbeContext) {
      const sql = sqlForVersion(AUDIT_SQL, context.versionNum);
      if (sql === null) return unsupported(`PostgreSQL ${versionLabel(context.versionNum)} is older than 13`);
      const at = Date.now();
      const rows = await context.query<Row>(sql, [AUDIT_SETTING_NAMES]);
      const settings: Record<string, string> = {};
      let rotationAgeSeconds = 0;
      for (const row of rows) {
        settings[row.name] = row.setting;
        if (row.name === 'log_rotation_age')
          rotationAgeSeconds = seconds(row.setting, TIME_UNITS[row.unit ?? 'min'] ?? 60);
      }
      const { logs, sources } = pgAuditedOperations(settings);
      const retention = pgLogRetention(settings, rotationAgeSeconds);
      const audit: AuditSignals = {
        at,
        sources,
        logs,
        retentionDays: retention.days,
        retention: retention.text,
        settings,
      };
      return { status: 'ok', signals: { audit } };
    },
  };
}
