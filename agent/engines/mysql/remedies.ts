import type { FixAction, NeutralSetting, SetSettingAction } from '../../findings/actions.js';
import type { EngineRemedies, RenderedAction, SettingInfo } from '../engine.js';

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
};
