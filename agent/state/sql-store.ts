import type { FindingKind, Severity } from '../findings/finding.js';
import type { TrackedFinding } from '../findings/tracker.js';
import { migrate, schemaVersion } from './migrations.js';
import type { SqlConnection } from './sql.js';
import type {
  ExportedTable,
  FindingEvent,
  FindingQuery,
  HourlyRollup,
  JsonValue,
  PruneResult,
  RecordKind,
  RecordQuery,
  Retention,
  RollupExtra,
  RollupQuery,
  RollupSummary,
  RollupSummaryQuery,
  ServerVersionSeen,
  SettingChange,
  StatementHour,
  Store,
  StoredRecord,
  StoreInfo,
  TableHour,
} from './store.js';

// One Store over either backend: the same SQL text runs on SQLite and PostgreSQL (upserts with
// ON CONFLICT ... DO UPDATE, both have it), so one test suite proves both.

const DAY_MS = 24 * 3600 * 1000;

const dayOf = (at: number): number => at - (at % DAY_MS);
const DEFAULT_LIMIT = 1000;

/** Every table, children before parents where it matters (export order, info). */
export const STORE_TABLES = [
  'dbdiag_schema_migrations',
  'dbdiag_findings',
  'dbdiag_finding_events',
  'dbdiag_rollups',
  'dbdiag_rollup_statements',
  'dbdiag_rollup_statements_daily',
  'dbdiag_rollup_tables',
  'dbdiag_statement_texts',
  'dbdiag_setting_changes',
  'dbdiag_server_versions',
  'dbdiag_records',
] as const;

export interface BackendHooks {
  backend: Store['backend'];
  location: string;
  /** bytes the store takes on disk */
  sizeBytes(): Promise<number | null>;
  /** give space back after a prune */
  reclaim(db: SqlConnection): Promise<void>;
}

interface FindingRow {
  id: string;
  first_seen: number;
  status: string;
  last_seen: number;
  resolved_at: number | null;
  occurrences: number;
  finding: string;
  severity_changes: string;
  worst: string;
}

function trackedFromRow(row: FindingRow): TrackedFinding {
  return {
    finding: JSON.parse(row.finding),
    status: row.status === 'resolved' ? 'resolved' : 'active',
    firstSeen: Number(row.first_seen),
    lastSeen: Number(row.last_seen),
    resolvedAt: row.resolved_at === null ? null : Number(row.resolved_at),
    occurrences: Number(row.occurrences),
    severityChanges: JSON.parse(row.severity_changes),
    worst: JSON.parse(row.worst),
  };
}

const num = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

/** WHERE clause builder for $n parameters. */
class Where {
  readonly parts: string[] = [];
  readonly params: unknown[] = [];
  add(sql: string, value: unknown): void {
    this.params.push(value);
    this.parts.push(sql.replace('?', `$${this.params.length}`));
  }
  get text(): string {
    return this.parts.length > 0 ? ` WHERE ${this.parts.join(' AND ')}` : '';
  }
  next(value: unknown): string {
    this.params.push(value);
    return `$${this.params.length}`;
  }
}

export async function createSqlStore(db: SqlConnection, hooks: BackendHooks): Promise<Store> {
  await migrate(db);

  const store: Store = {
    backend: hooks.backend,
    location: hooks.location,

    async saveFindings(findings) {
      if (findings.length === 0) return;
      await db.transaction(async (tx) => {
        for (const t of findings) {
          await tx.run(
            `INSERT INTO dbdiag_findings (id, first_seen, target, kind, object, status, severity, last_seen,
               resolved_at, occurrences, summary, finding, severity_changes, worst)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
             ON CONFLICT (id, first_seen) DO UPDATE SET status = excluded.status, severity = excluded.severity,
               last_seen = excluded.last_seen, resolved_at = excluded.resolved_at, occurrences = excluded.occurrences,
               summary = excluded.summary, finding = excluded.finding, severity_changes = excluded.severity_changes,
               worst = excluded.worst`,
            [
              t.finding.id,
              t.firstSeen,
              t.finding.target,
              t.finding.kind,
              t.finding.object,
              t.status,
              t.finding.severity,
              t.lastSeen,
              t.resolvedAt,
              t.occurrences,
              t.finding.summary,
              JSON.stringify(t.finding),
              JSON.stringify(t.severityChanges),
              JSON.stringify(t.worst),
            ],
          );
        }
      });
    },

    async appendFindingEvents(events) {
      if (events.length === 0) return;
      await db.transaction(async (tx) => {
        for (const e of events) {
          await tx.run(
            `INSERT INTO dbdiag_finding_events (id, first_seen, target, kind, type, at, severity, summary)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
            [e.id, e.firstSeen, e.target, e.kind, e.type, e.at, e.severity, e.summary],
          );
        }
      });
    },

    async findings(query: FindingQuery = {}) {
      const where = new Where();
      if (query.status) where.add('status = ?', query.status);
      if (query.since !== undefined) where.add('last_seen >= ?', query.since);
      if (query.target) where.add('target = ?', query.target);
      if (query.kind) where.add('kind = ?', query.kind);
      const limit = where.next(query.limit ?? DEFAULT_LIMIT);
      const rows = await db.query<FindingRow>(
        `SELECT id, first_seen, status, last_seen, resolved_at, occurrences, finding, severity_changes, worst
         FROM dbdiag_findings${where.text} ORDER BY last_seen DESC, id LIMIT ${limit}`,
        where.params,
      );
      return rows.map(trackedFromRow);
    },

    async findingEvents(id, firstSeen) {
      const where = new Where();
      where.add('id = ?', id);
      if (firstSeen !== undefined) where.add('first_seen = ?', firstSeen);
      const rows = await db.query<Record<string, unknown>>(
        `SELECT id, first_seen, target, kind, type, at, severity, summary FROM dbdiag_finding_events${where.text}
         ORDER BY at, first_seen`,
        where.params,
      );
      return rows.map(
        (r): FindingEvent => ({
          id: String(r.id),
          firstSeen: Number(r.first_seen),
          target: String(r.target),
          kind: r.kind as FindingKind,
          type: r.type as FindingEvent['type'],
          at: Number(r.at),
          severity: r.severity as Severity,
          summary: String(r.summary),
        }),
      );
    },

    async saveRollups(rollups) {
      if (rollups.length === 0) return;
      await db.transaction(async (tx) => {
        for (const r of rollups) {
          await tx.run(
            `INSERT INTO dbdiag_rollups (target, hour, samples, up_samples, connections, max_connections, saturation_max,
               saturation_warning_minutes, cache_hits, cache_reads, cache_hit_ratio, server_version, extra,
               statement_seconds, table_bytes)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)
             ON CONFLICT (target, hour) DO UPDATE SET samples = excluded.samples, up_samples = excluded.up_samples,
               connections = excluded.connections, max_connections = excluded.max_connections,
               saturation_max = excluded.saturation_max, saturation_warning_minutes = excluded.saturation_warning_minutes,
               cache_hits = excluded.cache_hits, cache_reads = excluded.cache_reads,
               cache_hit_ratio = excluded.cache_hit_ratio, server_version = excluded.server_version,
               extra = excluded.extra, statement_seconds = excluded.statement_seconds,
               table_bytes = excluded.table_bytes`,
            [
              r.target,
              r.hour,
              r.samples,
              r.upSamples,
              r.connections === null ? null : JSON.stringify(r.connections),
              r.maxConnections,
              r.saturationMax,
              r.saturationWarningMinutes,
              r.cacheHits,
              r.cacheReads,
              r.cacheHitRatio,
              r.serverVersion,
              r.extra ? JSON.stringify(r.extra) : null,
              r.statements.reduce((sum, x) => sum + x.totalSeconds, 0),
              r.tables.length > 0
                ? r.tables.reduce((sum, t) => sum + (t.dataBytes ?? 0) + (t.indexBytes ?? 0), 0)
                : null,
            ],
          );
          await tx.run('DELETE FROM dbdiag_rollup_statements WHERE target = $1 AND hour = $2', [
            r.target,
            r.hour,
          ]);
          for (const s of r.statements) {
            await tx.run(
              `INSERT INTO dbdiag_rollup_statements (target, hour, query_id, calls, total_seconds, mean_seconds, row_count)
               VALUES ($1, $2, $3, $4, $5, $6, $7)`,
              [r.target, r.hour, s.queryId, s.calls, s.totalSeconds, s.meanSeconds, s.rows],
            );
            if (s.fingerprint !== null) {
              await tx.run(
                `INSERT INTO dbdiag_statement_texts (target, query_id, fingerprint, last_seen) VALUES ($1, $2, $3, $4)
                 ON CONFLICT (target, query_id) DO UPDATE SET fingerprint = excluded.fingerprint, last_seen = excluded.last_seen`,
                [r.target, s.queryId, s.fingerprint, r.hour],
              );
            }
          }
          await tx.run('DELETE FROM dbdiag_rollup_tables WHERE target = $1 AND hour = $2', [
            r.target,
            r.hour,
          ]);
          for (const t of r.tables) {
            await tx.run(
              `INSERT INTO dbdiag_rollup_tables (target, hour, table_name, data_bytes, index_bytes, seq_scans, seq_rows_read,
                 index_scans, live_rows, dead_rows)
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
              [
                r.target,
                r.hour,
                t.table,
                t.dataBytes,
                t.indexBytes,
                t.seqScans,
                t.seqRowsRead,
                t.indexScans,
                t.liveRows,
                t.deadRows,
              ],
            );
          }
          // the day's statement sums, re-made from its hours (what reports over weeks read)
          const day = dayOf(r.hour);
          await tx.run('DELETE FROM dbdiag_rollup_statements_daily WHERE target = $1 AND day = $2', [
            r.target,
            day,
          ]);
          await tx.run(
            `INSERT INTO dbdiag_rollup_statements_daily (target, day, query_id, calls, total_seconds, row_count)
             SELECT target, $2, query_id, SUM(calls), SUM(total_seconds), SUM(row_count)
             FROM dbdiag_rollup_statements WHERE target = $1 AND hour >= $2 AND hour < $3
             GROUP BY target, query_id`,
            [r.target, day, day + DAY_MS],
          );
        }
      });
    },

    async rollups(query: RollupQuery = {}) {
      const where = new Where();
      if (query.target) where.add('target = ?', query.target);
      if (query.from !== undefined) where.add('hour >= ?', query.from);
      if (query.to !== undefined) where.add('hour < ?', query.to);
      const heads = await db.query<Record<string, unknown>>(
        `SELECT * FROM dbdiag_rollups${where.text} ORDER BY target, hour`,
        where.params,
      );
      if (heads.length === 0) return [];
      const scoped = (alias: string) =>
        where.parts.map((p) => p.replace(/^(target|hour)/, `${alias}.$1`)).join(' AND ');
      const childWhere = where.parts.length > 0 ? ` WHERE ${scoped('s')}` : '';
      const statements = await db.query<Record<string, unknown>>(
        `SELECT s.target, s.hour, s.query_id, s.calls, s.total_seconds, s.mean_seconds, s.row_count, x.fingerprint
         FROM dbdiag_rollup_statements s
         LEFT JOIN dbdiag_statement_texts x ON x.target = s.target AND x.query_id = s.query_id${childWhere}
         ORDER BY s.total_seconds DESC`,
        where.params,
      );
      const tables = await db.query<Record<string, unknown>>(
        `SELECT * FROM dbdiag_rollup_tables t${where.parts.length > 0 ? ` WHERE ${scoped('t')}` : ''}
         ORDER BY t.data_bytes IS NULL, t.data_bytes DESC, t.table_name`,
        where.params,
      );
      const key = (r: Record<string, unknown>) => `${r.target}\u0000${Number(r.hour)}`;
      const byHour = new Map<string, HourlyRollup>();
      for (const h of heads) {
        byHour.set(key(h), {
          target: String(h.target),
          hour: Number(h.hour),
          samples: Number(h.samples),
          upSamples: Number(h.up_samples),
          connections: h.connections === null ? null : JSON.parse(String(h.connections)),
          maxConnections: num(h.max_connections),
          saturationMax: num(h.saturation_max),
          saturationWarningMinutes: Number(h.saturation_warning_minutes),
          cacheHits: Number(h.cache_hits),
          cacheReads: Number(h.cache_reads),
          cacheHitRatio: num(h.cache_hit_ratio),
          serverVersion: h.server_version === null ? null : String(h.server_version),
          statements: [],
          tables: [],
          ...(h.extra === null || h.extra === undefined ? {} : { extra: parseExtra(h.extra) }),
        });
      }
      for (const s of statements) {
        byHour.get(key(s))?.statements.push({
          queryId: String(s.query_id),
          fingerprint: s.fingerprint === null || s.fingerprint === undefined ? null : String(s.fingerprint),
          calls: Number(s.calls),
          totalSeconds: Number(s.total_seconds),
          meanSeconds: num(s.mean_seconds),
          rows: Number(s.row_count),
        } satisfies StatementHour);
      }
      for (const t of tables) {
        byHour.get(key(t))?.tables.push({
          table: String(t.table_name),
          dataBytes: num(t.data_bytes),
          indexBytes: num(t.index_bytes),
          seqScans: Number(t.seq_scans),
          seqRowsRead: Number(t.seq_rows_read),
          indexScans: Number(t.index_scans),
          liveRows: num(t.live_rows),
          deadRows: num(t.dead_rows),
        } satisfies TableHour);
      }
      // 'other' last, whatever its time
      for (const r of byHour.values()) {
        r.statements.sort(
          (a, b) =>
            Number(a.queryId === 'other') - Number(b.queryId === 'other') || b.totalSeconds - a.totalSeconds,
        );
      }
      return [...byHour.values()];
    },

    async rollupSummaries(query: RollupSummaryQuery) {
      // Everything summed by the database: a month of 10 targets is ~7,000 hours with ~50
      // statements and ~50 tables each; reading them row by row took seconds (bench:report).
      const where = new Where();
      if (query.target) where.add('target = ?', query.target);
      where.add('hour >= ?', query.from);
      where.add('hour < ?', query.to);
      const summaries = new Map<string, RollupSummary>();
      const summary = (target: string): RollupSummary => {
        let s = summaries.get(target);
        if (!s) {
          s = { target, hours: [], statements: [] };
          summaries.set(target, s);
        }
        return s;
      };
      // whole days from the daily sums, the hours at either edge from the hourly rows
      const firstDay = Math.ceil(query.from / DAY_MS) * DAY_MS;
      const endDay = dayOf(query.to);
      const parts = new Where();
      const targetPart = query.target ? ` AND target = ${parts.next(query.target)}` : '';
      let union: string;
      if (firstDay < endDay) {
        const [a, b, c, d] = [query.from, firstDay, endDay, query.to].map((v) => parts.next(v));
        union = `SELECT target, query_id, calls, total_seconds, row_count FROM dbdiag_rollup_statements_daily
                 WHERE day >= ${b} AND day < ${c}${targetPart}
               UNION ALL
               SELECT target, query_id, calls, total_seconds, row_count FROM dbdiag_rollup_statements
                 WHERE ((hour >= ${a} AND hour < ${b}) OR (hour >= ${c} AND hour < ${d}))${targetPart}`;
      } else {
        const [a, d] = [query.from, query.to].map((v) => parts.next(v));
        union = `SELECT target, query_id, calls, total_seconds, row_count FROM dbdiag_rollup_statements
                 WHERE hour >= ${a} AND hour < ${d}${targetPart}`;
      }
      const sums = await db.query<Record<string, unknown>>(
        `SELECT s.target, s.query_id, s.calls, s.total_seconds, s.row_count, x.fingerprint
         FROM (SELECT target, query_id, SUM(calls) AS calls, SUM(total_seconds) AS total_seconds,
                 SUM(row_count) AS row_count
               FROM (${union}) u GROUP BY target, query_id) s
         LEFT JOIN dbdiag_statement_texts x ON x.target = s.target AND x.query_id = s.query_id
         ORDER BY s.target, s.total_seconds DESC, s.query_id`,
        parts.params,
      );
      for (const r of sums) {
        summary(String(r.target)).statements.push({
          queryId: String(r.query_id),
          fingerprint: r.fingerprint === null || r.fingerprint === undefined ? null : String(r.fingerprint),
          calls: Number(r.calls),
          totalSeconds: Number(r.total_seconds),
          rows: Number(r.row_count),
        });
      }
      if (query.hours === false) return [...summaries.values()];
      const heads = await db.query<Record<string, unknown>>(
        `SELECT target, hour, connections, max_connections, saturation_max, saturation_warning_minutes, cache_hits,
           cache_reads, cache_hit_ratio, server_version, extra, statement_seconds, table_bytes
         FROM dbdiag_rollups${where.text} ORDER BY target, hour`,
        where.params,
      );
      for (const h of heads) {
        const connections =
          h.connections === null ? null : (JSON.parse(String(h.connections)) as HourlyRollup['connections']);
        summary(String(h.target)).hours.push({
          hour: Number(h.hour),
          connectionsPeak: connections ? connections.used.peak : null,
          maxConnections: num(h.max_connections),
          saturationMax: num(h.saturation_max),
          saturationWarningMinutes: Number(h.saturation_warning_minutes),
          cacheHits: Number(h.cache_hits),
          cacheReads: Number(h.cache_reads),
          cacheHitRatio: num(h.cache_hit_ratio),
          serverVersion: h.server_version === null ? null : String(h.server_version),
          statementSeconds: num(h.statement_seconds) ?? 0,
          tableBytes: num(h.table_bytes),
          extra: parseExtra(h.extra),
        });
      }
      return [...summaries.values()].sort((a, b) => a.target.localeCompare(b.target));
    },

    async saveSettingChanges(changes) {
      if (changes.length === 0) return;
      await db.transaction(async (tx) => {
        for (const c of changes) {
          await tx.run(
            `INSERT INTO dbdiag_setting_changes (target, name, at, value, previous) VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (target, name, at) DO UPDATE SET value = excluded.value, previous = excluded.previous`,
            [c.target, c.name, c.at, c.value, c.previous],
          );
        }
      });
    },

    async settingChanges(query = {}) {
      const where = new Where();
      if (query.target) where.add('target = ?', query.target);
      if (query.since !== undefined) where.add('at >= ?', query.since);
      if (query.name) where.add('name = ?', query.name);
      const rows = await db.query<Record<string, unknown>>(
        `SELECT target, name, at, value, previous FROM dbdiag_setting_changes${where.text} ORDER BY at DESC, name`,
        where.params,
      );
      return rows.map(
        (r): SettingChange => ({
          target: String(r.target),
          name: String(r.name),
          at: Number(r.at),
          value: r.value === null ? null : String(r.value),
          previous: r.previous === null ? null : String(r.previous),
        }),
      );
    },

    async currentSettings(target) {
      const rows = await db.query<{ name: string; value: string | null }>(
        `SELECT c.name, c.value FROM dbdiag_setting_changes c
         JOIN (SELECT name, MAX(at) AS at FROM dbdiag_setting_changes WHERE target = $1 GROUP BY name) m
           ON m.name = c.name AND m.at = c.at
         WHERE c.target = $1`,
        [target],
      );
      const out: Record<string, string> = {};
      for (const r of rows) if (r.value !== null) out[r.name] = r.value;
      return out;
    },

    async saveServerVersion(seen: ServerVersionSeen) {
      await db.run(
        `INSERT INTO dbdiag_server_versions (target, version, first_seen, last_seen) VALUES ($1, $2, $3, $4)
         ON CONFLICT (target, version) DO UPDATE SET last_seen = excluded.last_seen`,
        [seen.target, seen.version, seen.firstSeen, seen.lastSeen],
      );
    },

    async serverVersions(target) {
      const where = new Where();
      if (target) where.add('target = ?', target);
      const rows = await db.query<Record<string, unknown>>(
        `SELECT target, version, first_seen, last_seen FROM dbdiag_server_versions${where.text} ORDER BY target, first_seen`,
        where.params,
      );
      return rows.map((r) => ({
        target: String(r.target),
        version: String(r.version),
        firstSeen: Number(r.first_seen),
        lastSeen: Number(r.last_seen),
      }));
    },

    async putRecords(records) {
      if (records.length === 0) return;
      await db.transaction(async (tx) => {
        for (const r of records) {
          await tx.run(
            `INSERT INTO dbdiag_records (kind, id, target, at, payload) VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (kind, id) DO UPDATE SET target = excluded.target, at = excluded.at, payload = excluded.payload`,
            [r.kind, r.id, r.target, r.at, JSON.stringify(r.payload)],
          );
        }
      });
    },

    async records(kind: RecordKind, query: RecordQuery = {}) {
      const where = new Where();
      where.add('kind = ?', kind);
      if (query.target) where.add('target = ?', query.target);
      if (query.since !== undefined) where.add('at >= ?', query.since);
      if (query.until !== undefined) where.add('at < ?', query.until);
      const limit = where.next(query.limit ?? DEFAULT_LIMIT);
      const rows = await db.query<Record<string, unknown>>(
        `SELECT kind, id, target, at, payload FROM dbdiag_records${where.text} ORDER BY at DESC, id LIMIT ${limit}`,
        where.params,
      );
      return rows.map(recordFromRow);
    },

    async record(kind, id) {
      const rows = await db.query<Record<string, unknown>>(
        'SELECT kind, id, target, at, payload FROM dbdiag_records WHERE kind = $1 AND id = $2',
        [kind, id],
      );
      return rows[0] ? recordFromRow(rows[0]) : null;
    },

    schemaVersion: () => schemaVersion(db),

    async prune(retention: Retention, now: number): Promise<PruneResult> {
      const removed: Record<string, number> = {};
      const cut = (days: number) => now - days * DAY_MS;
      await db.transaction(async (tx) => {
        const findingsCut = cut(retention.findings);
        removed.dbdiag_finding_events = await tx.run(
          `DELETE FROM dbdiag_finding_events WHERE at < $1 AND NOT EXISTS (
             SELECT 1 FROM dbdiag_findings f WHERE f.id = dbdiag_finding_events.id
               AND f.first_seen = dbdiag_finding_events.first_seen AND f.status = 'active')`,
          [findingsCut],
        );
        removed.dbdiag_findings = await tx.run(
          "DELETE FROM dbdiag_findings WHERE status = 'resolved' AND last_seen < $1",
          [findingsCut],
        );
        const rollupCut = cut(retention.rollups);
        removed.dbdiag_rollup_statements = await tx.run(
          'DELETE FROM dbdiag_rollup_statements WHERE hour < $1',
          [rollupCut],
        );
        removed.dbdiag_rollup_statements_daily = await tx.run(
          'DELETE FROM dbdiag_rollup_statements_daily WHERE day < $1',
          [dayOf(rollupCut)],
        );
        removed.dbdiag_rollup_tables = await tx.run('DELETE FROM dbdiag_rollup_tables WHERE hour < $1', [
          rollupCut,
        ]);
        removed.dbdiag_rollups = await tx.run('DELETE FROM dbdiag_rollups WHERE hour < $1', [rollupCut]);
        removed.dbdiag_statement_texts = await tx.run(
          'DELETE FROM dbdiag_statement_texts WHERE last_seen < $1',
          [rollupCut],
        );
        // The latest value of each setting stays whatever its age: it is the baseline of the next change.
        removed.dbdiag_setting_changes = await tx.run(
          `DELETE FROM dbdiag_setting_changes WHERE at < $1 AND at < (
             SELECT MAX(l.at) FROM dbdiag_setting_changes l
             WHERE l.target = dbdiag_setting_changes.target AND l.name = dbdiag_setting_changes.name)`,
          [cut(retention.settings)],
        );
        let records = 0;
        for (const kind of Object.keys(retention) as (keyof Retention)[]) {
          if (kind === 'findings' || kind === 'rollups' || kind === 'settings') continue;
          records += await tx.run('DELETE FROM dbdiag_records WHERE kind = $1 AND at < $2', [
            kind,
            cut(retention[kind]),
          ]);
        }
        removed.dbdiag_records = records;
      });
      return { removed };
    },

    async vacuum() {
      await hooks.reclaim(db);
    },

    async info(): Promise<StoreInfo> {
      const tables = [];
      for (const table of STORE_TABLES) {
        const rows = await db.query<{ n: number }>(`SELECT COUNT(*) AS n FROM ${table}`);
        tables.push({ table, rows: Number(rows[0]?.n ?? 0) });
      }
      const targets = await db.query<{ target: string }>(
        `SELECT target FROM dbdiag_rollups UNION SELECT target FROM dbdiag_findings ORDER BY 1`,
      );
      const span = await db.query<{ lo: number | null; hi: number | null }>(
        'SELECT MIN(hour) AS lo, MAX(hour) AS hi FROM dbdiag_rollups',
      );
      return {
        backend: hooks.backend,
        location: hooks.location,
        schemaVersion: await schemaVersion(db),
        sizeBytes: await hooks.sizeBytes(),
        tables,
        targets: targets.map((t) => t.target),
        oldestRollupHour: num(span[0]?.lo),
        newestRollupHour: num(span[0]?.hi),
      };
    },

    async exportAll(): Promise<ExportedTable[]> {
      const out: ExportedTable[] = [];
      for (const table of STORE_TABLES) {
        out.push({ table, rows: await db.query<Record<string, unknown>>(`SELECT * FROM ${table}`) });
      }
      return out;
    },

    close: () => db.close(),
  };
  return store;
}

function parseExtra(value: unknown): RollupExtra | null {
  return value === null || value === undefined ? null : (JSON.parse(String(value)) as RollupExtra);
}

function recordFromRow(r: Record<string, unknown>): StoredRecord {
  return {
    kind: r.kind as RecordKind,
    id: String(r.id),
    target: r.target === null ? null : String(r.target),
    at: Number(r.at),
    payload: JSON.parse(String(r.payload)) as JsonValue,
  };
}
