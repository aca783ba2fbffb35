import { AgentError } from '../errors.js';
import type { SqlConnection } from './sql.js';

// Versioned schema migrations, run at every start. Never edit a migration that has shipped:
// add the next version. The DDL is written once for both backends (types both accept:
// BIGINT, DOUBLE PRECISION, TEXT). Two agents starting together on one store are serialized:
// PostgreSQL by a transaction-scoped advisory lock, SQLite by BEGIN IMMEDIATE + busy_timeout.

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

/** pg_advisory_xact_lock key of dbdiag's migrations (any constant; "dbdg" in ASCII). */
export const MIGRATION_LOCK_KEY = 0x64626467;

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'findings, rollups, settings, server versions, records',
    sql: `
CREATE TABLE dbdiag_findings (
  id TEXT NOT NULL,
  first_seen BIGINT NOT NULL,
  target TEXT NOT NULL,
  kind TEXT NOT NULL,
  object TEXT NOT NULL,
  status TEXT NOT NULL,
  severity TEXT NOT NULL,
  last_seen BIGINT NOT NULL,
  resolved_at BIGINT,
  occurrences BIGINT NOT NULL,
  summary TEXT NOT NULL,
  finding TEXT NOT NULL,
  severity_changes TEXT NOT NULL,
  worst TEXT NOT NULL,
  PRIMARY KEY (id, first_seen)
);
CREATE INDEX dbdiag_findings_status ON dbdiag_findings (status, target);
CREATE INDEX dbdiag_findings_last_seen ON dbdiag_findings (last_seen);
CREATE TABLE dbdiag_finding_events (
  id TEXT NOT NULL,
  first_seen BIGINT NOT NULL,
  target TEXT NOT NULL,
  kind TEXT NOT NULL,
  type TEXT NOT NULL,
  at BIGINT NOT NULL,
  severity TEXT NOT NULL,
  summary TEXT NOT NULL
);
CREATE INDEX dbdiag_finding_events_id ON dbdiag_finding_events (id, first_seen, at);
CREATE INDEX dbdiag_finding_events_at ON dbdiag_finding_events (at);
CREATE TABLE dbdiag_rollups (
  target TEXT NOT NULL,
  hour BIGINT NOT NULL,
  samples BIGINT NOT NULL,
  up_samples BIGINT NOT NULL,
  connections TEXT,
  max_connections BIGINT,
  saturation_max DOUBLE PRECISION,
  saturation_warning_minutes DOUBLE PRECISION NOT NULL,
  cache_hits DOUBLE PRECISION NOT NULL,
  cache_reads DOUBLE PRECISION NOT NULL,
  cache_hit_ratio DOUBLE PRECISION,
  server_version TEXT,
  PRIMARY KEY (target, hour)
);
CREATE INDEX dbdiag_rollups_hour ON dbdiag_rollups (hour);
CREATE TABLE dbdiag_rollup_statements (
  target TEXT NOT NULL,
  hour BIGINT NOT NULL,
  query_id TEXT NOT NULL,
  calls DOUBLE PRECISION NOT NULL,
  total_seconds DOUBLE PRECISION NOT NULL,
  mean_seconds DOUBLE PRECISION,
  row_count DOUBLE PRECISION NOT NULL,
  PRIMARY KEY (target, hour, query_id)
);
CREATE TABLE dbdiag_statement_texts (
  target TEXT NOT NULL,
  query_id TEXT NOT NULL,
  fingerprint TEXT NOT NULL,
  last_seen BIGINT NOT NULL,
  PRIMARY KEY (target, query_id)
);
CREATE TABLE dbdiag_rollup_tables (
  target TEXT NOT NULL,
  hour BIGINT NOT NULL,
  table_name TEXT NOT NULL,
  data_bytes DOUBLE PRECISION,
  index_bytes DOUBLE PRECISION,
  seq_scans DOUBLE PRECISION NOT NULL,
  seq_rows_read DOUBLE PRECISION NOT NULL,
  index_scans DOUBLE PRECISION NOT NULL,
  live_rows DOUBLE PRECISION,
  dead_rows DOUBLE PRECISION,
  PRIMARY KEY (target, hour, table_name)
);
CREATE TABLE dbdiag_setting_changes (
  target TEXT NOT NULL,
  name TEXT NOT NULL,
  at BIGINT NOT NULL,
  value TEXT,
  previous TEXT,
  PRIMARY KEY (target, name, at)
);
CREATE INDEX dbdiag_setting_changes_at ON dbdiag_setting_changes (at);
CREATE TABLE dbdiag_server_versions (
  target TEXT NOT NULL,
  version TEXT NOT NULL,
  first_seen BIGINT NOT NULL,
  last_seen BIGINT NOT NULL,
  PRIMARY KEY (target, version)
);
CREATE TABLE dbdiag_records (
  kind TEXT NOT NULL,
  id TEXT NOT NULL,
  target TEXT,
  at BIGINT NOT NULL,
  payload TEXT NOT NULL,
  PRIMARY KEY (kind, id)
);
CREATE INDEX dbdiag_records_at ON dbdiag_records (kind, at);
CREATE INDEX dbdiag_records_target ON dbdiag_records (kind, target, at);
`,
  },
  {
    version: 2,
    name: 'rollups summarised for reports: per-hour totals, daily statement sums, gauges (extra)',
    sql: `
ALTER TABLE dbdiag_rollups ADD COLUMN extra TEXT;
ALTER TABLE dbdiag_rollups ADD COLUMN statement_seconds DOUBLE PRECISION;
ALTER TABLE dbdiag_rollups ADD COLUMN table_bytes DOUBLE PRECISION;
UPDATE dbdiag_rollups SET
  statement_seconds = (SELECT SUM(s.total_seconds) FROM dbdiag_rollup_statements s
    WHERE s.target = dbdiag_rollups.target AND s.hour = dbdiag_rollups.hour),
  table_bytes = (SELECT SUM(COALESCE(t.data_bytes, 0) + COALESCE(t.index_bytes, 0)) FROM dbdiag_rollup_tables t
    WHERE t.target = dbdiag_rollups.target AND t.hour = dbdiag_rollups.hour);
CREATE TABLE dbdiag_rollup_statements_daily (
  target TEXT NOT NULL,
  day BIGINT NOT NULL,
  query_id TEXT NOT NULL,
  calls DOUBLE PRECISION NOT NULL,
  total_seconds DOUBLE PRECISION NOT NULL,
  row_count DOUBLE PRECISION NOT NULL,
  PRIMARY KEY (target, day, query_id)
);
INSERT INTO dbdiag_rollup_statements_daily (target, day, query_id, calls, total_seconds, row_count)
  SELECT target, hour - hour % 86400000, query_id, SUM(calls), SUM(total_seconds), SUM(row_count)
  FROM dbdiag_rollup_statements GROUP BY target, hour - hour % 86400000, query_id;
`,
  },
];

export const LATEST_SCHEMA_VERSION = Math.max(...MIGRATIONS.map((m) => m.version));

const CREATE_VERSIONS_TABLE = `CREATE TABLE IF NOT EXISTS dbdiag_schema_migrations (
  version BIGINT PRIMARY KEY,
  name TEXT NOT NULL,
  applied_at BIGINT NOT NULL
)`;

/** Applies the migrations this store lacks, in order, in one transaction; returns those applied. */
export async function migrate(
  db: SqlConnection,
  migrations: readonly Migration[] = MIGRATIONS,
  now: () => number = Date.now,
): Promise<number[]> {
  return db.transaction(async (tx) => {
    if (tx.dialect === 'postgres') await tx.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK_KEY]);
    await tx.exec(CREATE_VERSIONS_TABLE);
    const rows = await tx.query<{ version: number }>('SELECT version FROM dbdiag_schema_migrations');
    const applied = new Set(rows.map((r) => Number(r.version)));
    const known = Math.max(0, ...migrations.map((m) => m.version));
    const newest = Math.max(0, ...applied);
    if (newest > known) {
      throw new AgentError(
        'store-schema-newer',
        `the store's schema is version ${newest}, newer than this dbdiag knows (${known}): upgrade dbdiag or point it at another store`,
      );
    }
    const done: number[] = [];
    for (const m of [...migrations].sort((a, b) => a.version - b.version)) {
      if (applied.has(m.version)) continue;
      await tx.exec(m.sql);
      await tx.run('INSERT INTO dbdiag_schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)', [
        m.version,
        m.name,
        now(),
      ]);
      done.push(m.version);
    }
    return done;
  });
}

export async function schemaVersion(db: SqlConnection): Promise<number> {
  const rows = await db.query<{ v: number | null }>('SELECT MAX(version) AS v FROM dbdiag_schema_migrations');
  return Number(rows[0]?.v ?? 0);
}
