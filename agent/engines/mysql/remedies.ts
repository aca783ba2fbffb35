import type { FixAction, NeutralSetting, SetSettingAction } from '../../findings/actions.js';
import type { AuditSignals } from '../../snapshot/signals.js';
import type { AuditGap, AuditRemedy, EngineRemedies, RenderedAction, SettingInfo } from '../engine.js';

// The one place MySQL/MariaDB index DDL and maintenance statements are written: fix actions
// rendered for people (fix.statements) and for the executor (apply.ts). Online forms: InnoDB
// online DDL (ALGORITHM=INPLACE, LOCK=NONE) behind a lock_wait_timeout; a table rebuild
// (what OPTIMIZE TABLE does for InnoDB) instead of VACUUM; settings with SET GLOBAL.

const PLAIN_IDENT = /^[A-Za-z_][A-Za-z0-9_$]*$/;

/** Quotes an identifier when it needs it. */
export function quoteIdent(name: string): string {
  return PLAIN_IDENT.test(name) ? name : `\`${name.replaceAll('`', '``')}\``;
}

/** "database.table" -> quoted, part by part. */
export function quoteQualified(name: string): string {
  return name.split('.').map(quoteIdent).join('.');
}

const ONLINE = 'ALGORITHM=INPLACE, LOCK=NONE';

function lockTimeout(seconds: number | undefined): string[] {
  return seconds === undefined ? [] : [`SET SESSION lock_wait_timeout = ${seconds};`];
}

interface SettingRule extends SettingInfo {
  /** what to know before changing it, beyond how it takes effect */
  risk: string;
  /** never set below this (a neutral value can be too tight for what this setting really does) */
  floor?: number;
}

const SETTINGS: Record<NeutralSetting, SettingRule> = {
  'max-connections': {
    name: 'max_connections',
    apply: 'online',
    risk: 'max_connections is dynamic on MySQL/MariaDB (no restart).',
  },
  'buffer-cache-bytes': {
    name: 'innodb_buffer_pool_size',
    apply: 'online',
    risk: 'Resizing the buffer pool online takes a short mutex per chunk; keep it under ~75% of RAM.',
  },
  // No timeout for idle-in-transaction alone: wait_timeout ends every idle session, so it is
  // never set below 5 minutes (an idle pooled connection is normal).
  'idle-in-transaction-timeout': { name: 'wait_timeout', apply: 'online', risk: '', floor: 300 },
  'statement-statistics': {
    name: 'performance_schema',
    apply: 'restart',
    risk: 'It takes some memory (~100-400 MB) and a few percent CPU.',
  },
};

function settingRisk(rule: SettingRule): string {
  const restart =
    rule.apply === 'restart'
      ? `WARNING: ${rule.name}=ON needs a server restart (every connection drops).`
      : '';
  return [restart, rule.risk].filter((r) => r !== '').join(' ');
}

function renderSetting(action: SetSettingAction): RenderedAction {
  const rule = SETTINGS[action.setting];
  const risk = settingRisk(rule);
  if (action.setting === 'statement-statistics') {
    return action.value === null
      ? { statements: ['performance_schema = OFF in my.cnf; restart'], risk: '' }
      : {
          statements: [
            '[mysqld]\nperformance_schema = ON\nperformance-schema-consumer-events-statements-history = ON',
            "UPDATE performance_schema.setup_consumers SET ENABLED = 'YES' WHERE NAME IN ('global_instrumentation', 'statements_digest');",
          ],
          risk,
        };
  }
  if (action.value === null)
    return { statements: [`SET GLOBAL ${rule.name} = DEFAULT;  -- and in my.cnf`], risk };
  const value =
    typeof action.value === 'number' && rule.floor !== undefined
      ? Math.max(rule.floor, action.value)
      : action.value;
  return {
    statements: [
      `SET GLOBAL ${rule.name} = ${value};  -- and ${rule.name} = ${value} under [mysqld] in my.cnf`,
    ],
    risk,
  };
}

function render(action: FixAction): RenderedAction {
  switch (action.type) {
    case 'create-index': {
      const table = quoteQualified(action.table);
      // re-creating an index read from the catalog: its key parts are DDL text already
      // a covering payload is trailing key columns on InnoDB (no INCLUDE); a prefix index keys
      // only the leading characters of a long column
      const columns = action.definition
        ? action.columns.join(', ')
        : [...action.columns, ...(action.include ?? [])]
            .map((c) => {
              if (c.includes('(')) return `(${c})`;
              const length = action.prefix?.[c];
              return length ? `${quoteIdent(c)}(${length})` : quoteIdent(c);
            })
            .join(', ');
      const unique = action.unique ? 'UNIQUE ' : '';
      // no partial indexes in MySQL: the predicate is shown, not silently dropped
      const where = action.where
        ? `  -- partial index (WHERE ${action.where}) not supported: indexes every row`
        : '';
      return {
        statements: [
          ...lockTimeout(action.lockTimeoutSeconds),
          `ALTER TABLE ${table} ADD ${unique}INDEX ${quoteIdent(action.name)} (${columns}), ${ONLINE};${where}`,
        ],
        risk: `Online DDL (${ONLINE}) does not block reads or writes; it takes a brief metadata lock at start and end.`,
      };
    }
    case 'drop-index':
      return {
        statements: [
          ...lockTimeout(action.lockTimeoutSeconds),
          `ALTER TABLE ${quoteQualified(action.table)} DROP INDEX ${quoteIdent(action.name)}, ${ONLINE};`,
        ],
        risk: `Online DDL (${ONLINE}): a brief metadata lock at start and end.`,
      };
    case 'analyze':
      return { statements: [`ANALYZE TABLE ${quoteQualified(action.table)};`], risk: '' };
    case 'vacuum':
    case 'optimize':
      // InnoDB purges dead rows itself; space inside the tablespace comes back only by a rebuild
      return {
        statements: [
          `ALTER TABLE ${quoteQualified(action.table)} ENGINE=InnoDB, ${ONLINE};  -- what OPTIMIZE TABLE does for InnoDB`,
        ],
        risk: 'Rebuilds the whole table (I/O, needs free disk of its size); online (LOCK=NONE) but takes a brief metadata lock at start and end: WARNING, run it off-peak.',
      };
    case 'set-setting':
      return renderSetting(action);
    case 'terminate-session': {
      const id = action.session === null ? '<trx_mysql_thread_id>' : String(action.session);
      return {
        statements: [
          `KILL ${action.cancelOnly ? 'QUERY ' : ''}${id};${action.note ? `  -- ${action.note}` : ''}`,
        ],
        risk: action.cancelOnly ? '' : 'Killing the session rolls back its transaction.',
      };
    }
    case 'pool-size':
      return {
        statements: [`Application connection pools (all instances together): at most ${action.maxTotal}`],
        risk: '',
      };
    case 'drop-replication-slot':
      // MySQL/MariaDB keep binary logs by expire_logs_days / binlog_expire_logs_seconds, not by slots
      return { statements: [], risk: 'MySQL/MariaDB have no replication slots: nothing to drop.' };
    case 'resume-replication':
      return {
        statements: [action.scope === 'replay' ? 'START REPLICA SQL_THREAD;' : 'START REPLICA;'],
        risk: 'The replica applies what it missed as fast as it can: reads routed to it stay stale until Seconds_Behind_Master is back to 0.',
      };
    case 'pooler-setting':
      return {
        statements: [
          action.setting === 'pool_mode' && action.value === 'transaction'
            ? 'Put a connection pooler with multiplexing (ProxySQL) in front of the database'
            : `Pooler: ${action.setting} = ${action.value}`,
        ],
        risk: '',
      };
  }
}

/** server_audit events that log the missing operations, added to those set (an empty list with logging off logs nothing). */
function serverAuditEvents(current: string, missing: AuditGap['missing']): string {
  const events = new Set(
    current
      .toUpperCase()
      .split(',')
      .map((e) => e.trim())
      .filter((e) => e !== ''),
  );
  const add: Record<AuditGap['missing'][number], string> = {
    ddl: 'QUERY_DDL',
    roles: 'QUERY_DCL',
    writes: 'QUERY_DML_NO_SELECT',
    connections: 'CONNECT',
  };
  for (const op of missing) events.add(add[op]);
  // the order the server shows them in (its set's order)
  const order = ['CONNECT', 'QUERY', 'TABLE', 'QUERY_DDL', 'QUERY_DML', 'QUERY_DCL', 'QUERY_DML_NO_SELECT'];
  return [...events].sort((a, b) => order.indexOf(a) - order.indexOf(b)).join(',');
}

/**
 * The audit fix. MariaDB: the server_audit plugin it ships, logging logins, DDL and GRANT/REVOKE
 * (SET GLOBAL now, the option file for the next start), its file rotated by size. MySQL: the
 * audit_log plugin of MySQL Enterprise / Percona Server (untested here: no MySQL 8 server runs
 * in the tests); Community MySQL has none.
 */
const OPERATIONS: Record<AuditGap['missing'][number], string> = {
  ddl: 'DDL',
  roles: 'GRANT/REVOKE and user/role changes',
  writes: 'data changes',
  connections: 'logins',
};

function auditFix(posture: AuditSignals, gap: AuditGap): AuditRemedy {
  const s = posture.settings;
  const missing = gap.missing.map((op) => OPERATIONS[op]).join(', ');
  const mariadb =
    /mariadb/i.test(s.version ?? '') ||
    s['plugin:SERVER_AUDIT'] !== undefined ||
    s.server_audit_logging !== undefined;
  const statements: string[] = [];
  const rollback: string[] = [];
  const risks: string[] = [];
  const steps: string[] = [];
  if (mariadb) {
    if (gap.missing.length > 0) {
      const events = serverAuditEvents(s.server_audit_events ?? '', gap.missing);
      if (s['plugin:SERVER_AUDIT'] !== 'ACTIVE') {
        statements.push("INSTALL SONAME 'server_audit';");
        rollback.push("UNINSTALL SONAME 'server_audit';");
      }
      statements.push(
        `SET GLOBAL server_audit_events = '${events}';`,
        'SET GLOBAL server_audit_logging = ON;',
      );
      statements.push(
        `-- and in the server's option file, [mariadb] section, so it survives a restart: plugin_load_add = server_audit, server_audit = FORCE_PLUS_PERMANENT, server_audit_logging = ON, server_audit_events = ${events}`,
      );
      rollback.push('SET GLOBAL server_audit_logging = OFF;');
      steps.push(`log ${missing} with the server_audit plugin (events ${events})`);
      risks.push(
        'server_audit writes every matching event to server_audit.log in the data directory; FORCE_PLUS_PERMANENT keeps it from being uninstalled at runtime',
      );
    }
    if (gap.retentionShort) {
      statements.push(
        'SET GLOBAL server_audit_file_rotate_size = 104857600;',
        'SET GLOBAL server_audit_file_rotations = 999;',
        `-- the server rotates by size only: copy the rotated files (server_audit.log.N) to storage that keeps them ${gap.targetDays} days, or SET GLOBAL server_audit_output_type = 'syslog' and keep ${gap.targetDays} days there`,
      );
      rollback.push(
        'SET GLOBAL server_audit_file_rotate_size = DEFAULT; SET GLOBAL server_audit_file_rotations = DEFAULT;',
      );
      steps.push(
        `keep the audit files ${gap.targetDays} days (up to 1,000 files of 100 MB on the server, and a copy where they are kept)`,
      );
      risks.push(
        'up to 100 GB of audit files in the data directory: size its disk, or lower the rotations once the copies are kept elsewhere',
      );
    }
  } else {
    if (gap.missing.length > 0) {
      if (s['plugin:AUDIT_LOG'] !== 'ACTIVE')
        statements.push(
          "INSTALL PLUGIN audit_log SONAME 'audit_log.so';  -- MySQL Enterprise (or its audit_log_filter_linux_install.sql) / Percona Server; Community MySQL has no audit plugin",
        );
      statements.push(
        '-- in the option file: audit_log_policy = ALL (or LOGINS plus QUERIES filtered to DDL and GRANT with audit_log_filter)',
      );
      rollback.push('UNINSTALL PLUGIN audit_log;');
      steps.push(`log ${missing} with the audit_log plugin`);
      risks.push('untested here (no MySQL 8 server in the tests): check the plugin of your edition');
    }
    if (gap.retentionShort) {
      statements.push(
        `SET GLOBAL audit_log_prune_seconds = ${gap.targetDays * 86_400};  -- MySQL Enterprise 8.0.24+`,
      );
      rollback.push('SET GLOBAL audit_log_prune_seconds = 0;');
      steps.push(`keep the audit files ${gap.targetDays} days`);
    }
  }
  return {
    summary: steps.length > 0 ? steps.join('; ') : 'nothing to change',
    statements,
    risk: risks.join('; '),
    rollback: rollback.length > 0 ? rollback.join(' ') : 'none needed',
  };
}

export const mysqlRemedies: EngineRemedies = {
  render,
  quoteQualified,
  setting: (setting) => ({
    name: SETTINGS[setting].name,
    apply: SETTINGS[setting].apply,
    risk: settingRisk(SETTINGS[setting]),
  }),
  diagnosis: {
    explain: (statement) => `EXPLAIN FORMAT=JSON ${statement};  -- replace ? with real values`,
    idleInTransactionSessions:
      "SELECT trx_mysql_thread_id, trx_started, trx_state FROM information_schema.innodb_trx WHERE trx_state = 'RUNNING' ORDER BY trx_started;",
    oldestTransactions:
      'SELECT trx_mysql_thread_id, trx_started, trx_state, trx_rows_modified, LEFT(trx_query, 200) FROM information_schema.innodb_trx ORDER BY trx_started LIMIT 5;',
    replicaStatus:
      'SHOW REPLICA STATUS;  -- on the replica: Slave_IO_Running, Slave_SQL_Running, Seconds_Behind_Master, Last_IO_Error, Last_SQL_Error (MySQL before 8.0.22: SHOW SLAVE STATUS)',
    primaryReplicas:
      'SHOW REPLICA HOSTS;  -- on the primary (MySQL before 8.0.22 / MariaDB before 10.5: SHOW SLAVE HOSTS); the lag itself is read on each replica',
    replicationSlots: '',
    skipFailedEvent:
      'STOP REPLICA; SET GLOBAL sql_slave_skip_counter = 1; START REPLICA;  -- WARNING: skips the failing event: the replica no longer has what the primary has (re-sync it, or fix the row by hand instead); with GTID on MySQL inject an empty transaction instead',
    slotRetentionCap: '',
    readRouting:
      'Route them to a replica: a read-only connection pool in the application (a second DSN pointing at the replica), or ProxySQL / MaxScale read-write split (ProxySQL: a mysql_query_rules entry matching the digest to the reader hostgroup)',
  },
  statementStatistics: {
    object: 'performance_schema',
    enableSummary: 'Turn on performance_schema and its statement digests',
  },
  audit: {
    fix: auditFix,
    diagnosis:
      "SELECT PLUGIN_NAME, PLUGIN_STATUS FROM information_schema.PLUGINS WHERE UPPER(PLUGIN_NAME) IN ('SERVER_AUDIT', 'AUDIT_LOG'); SHOW GLOBAL VARIABLES WHERE Variable_name LIKE 'server_audit%' OR Variable_name LIKE 'audit_log%' OR Variable_name IN ('general_log', 'log_output');",
  },
};
