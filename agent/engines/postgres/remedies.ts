import type { FixAction, NeutralSetting, SetSettingAction } from '../../findings/actions.js';
import type { AuditSignals } from '../../snapshot/signals.js';
import type {
  AuditGap,
  AuditRemedy,
  EngineRemedies,
  IndexSpec,
  RenderedAction,
  SettingInfo,
} from '../engine.js';
import { pgauditClasses } from './probes/audit.js';

// The one place PostgreSQL index DDL and maintenance statements are written: fix actions
// rendered for people (fix.statements), for the executor (apply.ts) and the what-if
// statements (what-if.ts). Online forms: CREATE/DROP INDEX CONCURRENTLY behind a lock_timeout,
// plain VACUUM (never FULL online), settings through ALTER SYSTEM.

const PLAIN_IDENT = /^[a-z_][a-z0-9_$]*$/;

/** Quotes an identifier when it needs it (folded to lower case otherwise). */
export function quoteIdent(name: string): string {
  return PLAIN_IDENT.test(name) ? name : `"${name.replaceAll('"', '""')}"`;
}

/** "schema.table" -> quoted, part by part. */
export function quoteQualified(name: string): string {
  return name.split('.').map(quoteIdent).join('.');
}

/**
 * Key columns as in the DDL: names quoted, expressions (anything with a parenthesis) wrapped,
 * each followed by its operator class when it has one (text_pattern_ops).
 */
function keyColumns(columns: readonly string[], opclass: Readonly<Record<string, string>> = {}): string {
  return columns
    .map((c) => {
      const key = c.includes('(') ? `(${c})` : quoteIdent(c);
      const op = opclass[c];
      return op ? `${key} ${quoteIdent(op)}` : key;
    })
    .join(', ');
}

/** The schema prefix of a qualified table ("public." for "public.t"), "" when unqualified. */
function schemaPrefix(table: string): string {
  return table.includes('.') ? `${table.split('.')[0]}.` : '';
}

export interface IndexDdlOptions {
  /** the index name; none: the server (or HypoPG) picks one */
  name?: string;
  unique?: boolean;
  /** CREATE INDEX CONCURRENTLY: does not block writes, cannot run in a transaction */
  concurrently?: boolean;
}

/** CREATE INDEX for a spec, without the trailing semicolon. */
export function indexDdl(spec: IndexSpec, options: IndexDdlOptions = {}): string {
  const unique = options.unique ? 'UNIQUE ' : '';
  const concurrently = options.concurrently ? 'CONCURRENTLY ' : '';
  const name = options.name === undefined ? '' : `${quoteIdent(options.name)} `;
  const where = spec.where ? ` WHERE ${spec.where}` : '';
  // INCLUDE (PostgreSQL 11+, below the supported minimum 13): payload for index-only scans
  const include = spec.include?.length ? ` INCLUDE (${spec.include.map(quoteIdent).join(', ')})` : '';
  return `CREATE ${unique}INDEX ${concurrently}${name}ON ${quoteQualified(spec.table)} (${keyColumns(spec.columns, spec.opclass)})${include}${where}`;
}

function quoteLiteral(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}

function lockTimeout(seconds: number | undefined): string[] {
  return seconds === undefined ? [] : [`SET lock_timeout = '${seconds}s';`];
}

interface SettingRule extends SettingInfo {
  unit: 'bytes' | 'seconds' | 'count' | 'text';
  /** what to know before changing it, beyond how it takes effect */
  risk: string;
}

const SETTINGS: Record<NeutralSetting, SettingRule> = {
  'max-connections': { name: 'max_connections', apply: 'restart', unit: 'count', risk: '' },
  'buffer-cache-bytes': {
    name: 'shared_buffers',
    apply: 'restart',
    unit: 'bytes',
    risk: 'Memory taken from the OS page cache; never above ~25-40% of RAM.',
  },
  'idle-in-transaction-timeout': {
    name: 'idle_in_transaction_session_timeout',
    apply: 'reload',
    unit: 'seconds',
    risk: '',
  },
  'statement-statistics': {
    name: 'shared_preload_libraries',
    apply: 'restart',
    unit: 'text',
    risk: 'Overhead is a few percent of CPU at most.',
  },
};

/** A value in the setting's unit, as postgresql.conf writes it ('1024MB', '60s', '5min'). */
function settingValue(rule: SettingRule, value: number | string): string {
  if (typeof value === 'string') return `'${value.replaceAll("'", "''")}'`;
  if (rule.unit === 'bytes') return `'${Math.round(value / (1024 * 1024))}MB'`;
  if (rule.unit === 'seconds') return value >= 300 && value % 60 === 0 ? `'${value / 60}min'` : `'${value}s'`;
  return String(value);
}

function settingRisk(rule: SettingRule): string {
  const restart =
    rule.apply === 'restart' ? `WARNING: ${rule.name} needs a server restart (every connection drops).` : '';
  return [restart, rule.risk].filter((r) => r !== '').join(' ');
}

function renderSetting(action: SetSettingAction): RenderedAction {
  const rule = SETTINGS[action.setting];
  const restart = action.apply === 'restart';
  const risk = settingRisk(rule);
  if (action.setting === 'statement-statistics') {
    // a library loaded at start, then the extension that reads it
    return action.value === null
      ? {
          statements: [
            'DROP EXTENSION pg_stat_statements;  -- then remove it from shared_preload_libraries; restart',
          ],
          risk: '',
        }
      : {
          statements: [
            "ALTER SYSTEM SET shared_preload_libraries = 'pg_stat_statements';  -- append to any existing list; restart required (skip if already loaded)",
            'CREATE EXTENSION IF NOT EXISTS pg_stat_statements;',
          ],
          risk,
        };
  }
  if (action.value === null) {
    const reset = `ALTER SYSTEM RESET ${rule.name};`;
    return {
      statements: [
        restart ? `${reset}  -- takes effect after a restart` : `${reset} SELECT pg_reload_conf();`,
      ],
      risk,
    };
  }
  const set = `ALTER SYSTEM SET ${rule.name} = ${settingValue(rule, action.value)};`;
  return {
    statements: [restart ? `${set}  -- takes effect after a restart` : `${set} SELECT pg_reload_conf();`],
    risk,
  };
}

const CREATE_INDEX_RISK =
  'CREATE INDEX CONCURRENTLY does not block reads or writes (it waits for running transactions, cannot run inside a transaction block; if it fails, drop the INVALID index it leaves).';

function render(action: FixAction): RenderedAction {
  switch (action.type) {
    case 'create-index': {
      const create = action.definition
        ? action.definition.replace(/^CREATE (UNIQUE )?INDEX/, 'CREATE $1INDEX CONCURRENTLY')
        : indexDdl(
            {
              table: action.table,
              columns: action.columns,
              ...(action.where ? { where: action.where } : {}),
              ...(action.include ? { include: action.include } : {}),
              ...(action.opclass ? { opclass: action.opclass } : {}),
            },
            { name: action.name, unique: action.unique === true, concurrently: true },
          );
      return {
        statements: [...lockTimeout(action.lockTimeoutSeconds), `${create};`],
        risk: CREATE_INDEX_RISK,
      };
    }
    case 'drop-index':
      return {
        statements: [
          ...lockTimeout(action.lockTimeoutSeconds),
          `DROP INDEX CONCURRENTLY ${action.ifExists ? 'IF EXISTS ' : ''}${quoteQualified(`${schemaPrefix(action.table)}${action.name}`)};`,
        ],
        risk: 'DROP INDEX CONCURRENTLY waits for running transactions and does not block reads or writes.',
      };
    case 'analyze':
      return { statements: [`ANALYZE ${quoteQualified(action.table)};`], risk: '' };
    case 'vacuum':
      return {
        statements: [`VACUUM (ANALYZE, VERBOSE) ${quoteQualified(action.table)};`],
        risk: 'Plain VACUUM takes no lock that blocks reads or writes; it adds I/O. (VACUUM FULL rewrites the table under an ACCESS EXCLUSIVE lock: do not use it online; use pg_repack.)',
      };
    case 'optimize':
      return {
        statements: [`VACUUM (FULL, ANALYZE) ${quoteQualified(action.table)};`],
        risk: 'WARNING: VACUUM FULL rewrites the table under an ACCESS EXCLUSIVE lock (no reads or writes until it ends); online, use pg_repack instead.',
      };
    case 'set-setting':
      return renderSetting(action);
    case 'terminate-session': {
      const pid = action.session === null ? '<pid>' : String(action.session);
      const fn = action.cancelOnly ? 'pg_cancel_backend' : 'pg_terminate_backend';
      return {
        statements: [`SELECT ${fn}(${pid});${action.note ? `  -- ${action.note}` : ''}`],
        risk: action.cancelOnly ? '' : 'Terminating the session rolls back its transaction.',
      };
    }
    case 'pool-size':
      return {
        statements: [`Application connection pools (all instances together): at most ${action.maxTotal}`],
        risk: '',
      };
    case 'drop-replication-slot':
      return {
        statements: [`SELECT pg_drop_replication_slot(${quoteLiteral(action.slot)});`],
        risk: 'The WAL it kept is recycled at the next checkpoint: its consumer (a replica or a logical decoding client) can no longer resume from where it stopped and must be rebuilt (pg_basebackup) or re-synchronised. An active slot cannot be dropped (stop its consumer first).',
      };
    case 'resume-replication':
      return {
        statements: [
          action.scope === 'replay'
            ? 'SELECT pg_wal_replay_resume();'
            : "SELECT pg_wal_replay_resume();  -- replay; the WAL receiver restarts by itself: if pg_stat_wal_receiver stays empty, check primary_conninfo and the replica's log",
        ],
        risk: 'Replay catches up as fast as the replica can apply: queries on the replica may be cancelled by recovery conflicts meanwhile.',
      };
    case 'pooler-setting':
      return {
        statements: [
          action.setting === 'pool_mode' && action.value === 'transaction'
            ? 'Put PgBouncer in transaction mode (pool_mode = transaction) in front of the database, default_pool_size ~ 2 x CPU cores'
            : `PgBouncer: ${action.setting} = ${action.value}`,
        ],
        risk: '',
      };
  }
}

/** log_filename whose name comes back after at least `days` (with truncation on a daily rotation), or null past a year. */
function cyclingLogFilename(days: number): string | null {
  if (days <= 7) return 'postgresql-%a.log';
  if (days <= 28) return 'postgresql-%d.log';
  if (days <= 365) return 'postgresql-%j.log';
  return null;
}

/**
 * The audit fix: log DDL and role changes (pgaudit's ddl and role classes when pgaudit is
 * preloaded, else log_statement = 'ddl', which covers GRANT / REVOKE / CREATE ROLE too), log
 * connections, and keep the collector's files for the target days (a name that comes back
 * after a year, truncated on a daily rotation). All reload-only except logging_collector.
 */
function auditFix(posture: AuditSignals, gap: AuditGap): AuditRemedy {
  const s = posture.settings;
  const statements: string[] = [];
  const rollback: string[] = [];
  const risks: string[] = [];
  const steps: string[] = [];
  const pgaudit = posture.sources.some((x) => x.startsWith('pgaudit')) || s['pgaudit.log'] !== undefined;
  if (gap.missing.includes('ddl') || gap.missing.includes('roles')) {
    if (pgaudit) {
      const classes = pgauditClasses(s['pgaudit.log']);
      classes.add('ddl');
      classes.add('role');
      statements.push(`ALTER SYSTEM SET pgaudit.log = ${quoteLiteral([...classes].sort().join(', '))};`);
      rollback.push('ALTER SYSTEM RESET pgaudit.log;');
      steps.push('log DDL and role changes with pgaudit');
    } else {
      statements.push("ALTER SYSTEM SET log_statement = 'ddl';");
      rollback.push('ALTER SYSTEM RESET log_statement;');
      steps.push("log DDL, GRANT/REVOKE and role changes (log_statement = 'ddl')");
      risks.push(
        'log_statement writes the statement text: CREATE/ALTER ROLE ... PASSWORD with a clear-text password lands in the log (send passwords already hashed, or use pgaudit)',
      );
    }
  }
  if (gap.missing.includes('connections')) {
    statements.push('ALTER SYSTEM SET log_connections = on;', 'ALTER SYSTEM SET log_disconnections = on;');
    rollback.push('ALTER SYSTEM RESET log_connections;', 'ALTER SYSTEM RESET log_disconnections;');
    steps.push('log connections');
    risks.push('one log line per connection and disconnection: a busy pool without a pooler logs a lot');
  }
  if (gap.retentionShort) {
    const filename = cyclingLogFilename(gap.targetDays);
    if (filename !== null) {
      if (s.logging_collector !== 'on') {
        statements.push(
          'ALTER SYSTEM SET logging_collector = on;  -- WARNING: takes effect at the next server restart',
        );
        rollback.push('ALTER SYSTEM RESET logging_collector;');
        risks.push('WARNING: logging_collector needs a server restart');
      }
      statements.push(
        `ALTER SYSTEM SET log_filename = ${quoteLiteral(filename)};`,
        'ALTER SYSTEM SET log_truncate_on_rotation = on;',
        "ALTER SYSTEM SET log_rotation_age = '1d';",
      );
      rollback.push(
        'ALTER SYSTEM RESET log_filename;',
        'ALTER SYSTEM RESET log_truncate_on_rotation;',
        'ALTER SYSTEM RESET log_rotation_age;',
      );
      steps.push(
        `keep ${gap.targetDays} days of log files on the server (${filename}, one a day, overwritten after a year at most)`,
      );
      risks.push(
        `the server keeps up to a year of daily log files in log_directory (${s.log_directory ?? 'log'}): size its disk for it, or ship them and keep ${gap.targetDays} days where they land`,
      );
    } else
      steps.push(
        `keep the log ${gap.targetDays} days where it is shipped (the server's own rotation keeps a year at most)`,
      );
  }
  if (statements.length > 0) statements.push('SELECT pg_reload_conf();');
  if (rollback.length > 0) rollback.push('SELECT pg_reload_conf();');
  return {
    summary: steps.length > 0 ? `${steps.join('; ')}` : 'nothing to change',
    statements,
    risk: risks.join('; '),
    rollback: rollback.length > 0 ? rollback.join(' ') : 'none needed',
  };
}

export const postgresRemedies: EngineRemedies = {
  render,
  quoteQualified,
  setting: (setting) => ({
    name: SETTINGS[setting].name,
    apply: SETTINGS[setting].apply,
    risk: settingRisk(SETTINGS[setting]),
  }),
  diagnosis: {
    explain: (statement) => `EXPLAIN (ANALYZE, BUFFERS) ${statement};  -- replace $n with real values`,
    idleInTransactionSessions:
      "SELECT pid, usename, application_name, client_addr, now() - state_change AS idle_for, left(query, 200) FROM pg_stat_activity WHERE state LIKE 'idle in transaction%' ORDER BY state_change;",
    oldestTransactions:
      'SELECT pid, usename, application_name, state, now() - xact_start AS open_for, left(query, 200) FROM pg_stat_activity WHERE xact_start IS NOT NULL AND pid <> pg_backend_pid() ORDER BY xact_start LIMIT 5;',
    replicaStatus:
      'SELECT pg_is_wal_replay_paused() AS paused, pg_last_wal_receive_lsn(), pg_last_wal_replay_lsn(), now() - pg_last_xact_replay_timestamp() AS last_replayed_ago, (SELECT status FROM pg_stat_wal_receiver) AS receiver;  -- on the replica',
    primaryReplicas:
      'SELECT application_name, client_addr, state, pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn) AS lag_bytes, replay_lag FROM pg_stat_replication;  -- on the primary',
    replicationSlots:
      'SELECT slot_name, slot_type, active, wal_status, pg_size_pretty(pg_wal_lsn_diff(pg_current_wal_lsn(), restart_lsn)) AS retained, safe_wal_size FROM pg_replication_slots;  -- on the primary',
    skipFailedEvent: '',
    slotRetentionCap:
      "ALTER SYSTEM SET max_slot_wal_keep_size = '20GB'; SELECT pg_reload_conf();  -- PostgreSQL 13+: a slot past it is invalidated (its replica must be rebuilt) instead of filling the disk; size it below the free space of pg_wal",
    readRouting:
      'Route them to a replica: a read-only connection pool in the application (a second DSN pointing at the replica, used by the read-only code paths), or a proxy that splits by statement (Pgpool-II, HAProxy with a read port); PgBouncer pools but does not split reads from writes',
  },
  statementStatistics: { object: 'pg_stat_statements', enableSummary: 'Load and create pg_stat_statements' },
  audit: {
    fix: auditFix,
    diagnosis:
      "SELECT name, setting, unit FROM pg_settings WHERE name IN ('log_statement', 'log_connections', 'log_disconnections', 'shared_preload_libraries', 'logging_collector', 'log_destination', 'log_directory', 'log_filename', 'log_rotation_age', 'log_truncate_on_rotation') OR name LIKE 'pgaudit.%' ORDER BY name;",
  },
};
