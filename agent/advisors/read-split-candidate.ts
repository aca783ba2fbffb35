import type { Finding } from '../findings/finding.js';
import type { StatementStat } from '../snapshot/signals.js';
import { type AdvisorInput, formatDuration, latest, makeFinding, remedies, round } from './context.js';

// Which reads could move to a replica: statements that only read, on tables whose load is
// mostly reads, that cost a real share of the primary's statement time; with the staleness
// they would have to tolerate (the lag measured now) and how to route them.
//
// "Never inside a transaction that writes": statement statistics (pg_stat_statements,
// performance_schema digests) do not record transaction boundaries, so this is decided from
// what they do show. Left out: (1) locking reads (FOR UPDATE / FOR SHARE / LOCK IN SHARE MODE):
// they exist only to protect a write in the same transaction; (2) a read called as often as a
// write on the same table (within PAIR_TOLERANCE): the read-then-write pair of one
// transaction ("SELECT the balance, UPDATE it"). What stays is a candidate the application owner
// confirms runs outside a writing transaction: the finding says so.

/** Calls within this share of a write's calls on the same table: treated as the same transaction's pair. */
const PAIR_TOLERANCE = 0.05;

export type StatementClass = 'read' | 'locking-read' | 'write' | 'other';

const WRITE_START = /^(insert|update|delete|merge|replace|upsert|copy|load)\b/;
const LOCKING = /\bfor\s+(no\s+key\s+)?update\b|\bfor\s+(key\s+)?share\b|\block\s+in\s+share\s+mode\b/;
// a data-modifying CTE, SELECT ... INTO a new table, sequence / advisory-lock functions
const WRITE_INSIDE =
  /\b(insert\s+into|update\s+[\w."`]+\s+set|delete\s+from)\b|\binto\s+(temp|temporary|unlogged\s+)?[\w."`]+\s+from\b|\b(nextval|setval|pg_advisory_\w*lock\w*|get_lock)\s*\(/;

function stripComments(sql: string): string {
  return sql.replace(/\/\*[\s\S]*?\*\//g, ' ').replace(/--[^\n]*/g, ' ');
}

export function classifyStatement(sql: string): StatementClass {
  const text = stripComments(sql).trim().toLowerCase().replace(/\s+/g, ' ');
  if (WRITE_START.test(text)) return 'write';
  if (!/^(select|with|\(\s*select)\b/.test(text)) return 'other';
  if (WRITE_INSIDE.test(text)) return 'write';
  return LOCKING.test(text) ? 'locking-read' : 'read';
}

/** Tables a statement names after FROM / JOIN / UPDATE / INTO, as bare lower-case names (schema dropped). */
export function statementTables(sql: string): string[] {
  const text = stripComments(sql).toLowerCase();
  const out = new Set<string>();
  for (const m of text.matchAll(
    /\b(?:from|join|update|into)\s+((?:[\w$]+|"[^"]+"|`[^`]+`)(?:\s*\.\s*(?:[\w$]+|"[^"]+"|`[^`]+`))*)/g,
  )) {
    const name =
      (m[1] ?? '')
        .split('.')
        .at(-1)
        ?.trim()
        .replace(/^["`]|["`]$/g, '') ?? '';
    if (name !== '' && !['select', 'lateral', 'unnest', 'generate_series'].includes(name)) out.add(name);
  }
  return [...out];
}

interface Classified {
  stat: StatementStat;
  kind: StatementClass;
  tables: string[];
}

interface TableMix {
  readCalls: number;
  writeCalls: number;
  writes: number[];
}

function tableMix(statements: readonly Classified[]): Map<string, TableMix> {
  const mix = new Map<string, TableMix>();
  for (const s of statements) {
    if (s.kind === 'other') continue;
    for (const table of s.tables) {
      const m = mix.get(table) ?? { readCalls: 0, writeCalls: 0, writes: [] };
      if (s.kind === 'read') m.readCalls += s.stat.calls;
      else {
        m.writeCalls += s.stat.calls;
        m.writes.push(s.stat.calls);
      }
      mix.set(table, m);
    }
  }
  return mix;
}

function readShare(m: TableMix): number {
  const total = m.readCalls + m.writeCalls;
  return total === 0 ? 0 : m.readCalls / total;
}

export function readSplitCandidate(input: AdvisorInput): Finding[] {
  const t = input.thresholds;
  const snapshot = latest(input);
  const replication = snapshot?.signals.replication;
  // a replica already serves reads only; the split is planned on a primary (or a lone server)
  if (replication?.role === 'replica') return [];
  const statements = snapshot?.signals.statements?.statements ?? [];
  const totalSeconds = statements.reduce((sum, s) => sum + s.totalSeconds, 0);
  if (totalSeconds <= 0) return [];
  const classified: Classified[] = statements.map((stat) => ({
    stat,
    kind: classifyStatement(stat.fingerprint),
    tables: statementTables(stat.fingerprint),
  }));
  const mix = tableMix(classified);
  const paired = (s: Classified) =>
    s.tables.some((table) =>
      (mix.get(table)?.writes ?? []).some((w) => Math.abs(w - s.stat.calls) <= PAIR_TOLERANCE * w),
    );
  const candidates = classified
    .filter(
      (s) =>
        s.kind === 'read' &&
        s.tables.length > 0 &&
        s.tables.every(
          (table) =>
            readShare(mix.get(table) ?? { readCalls: 0, writeCalls: 0, writes: [] }) >=
            t.readSplitMinReadShare,
        ) &&
        s.stat.totalSeconds / totalSeconds >= t.readSplitMinTimeShare &&
        !paired(s),
    )
    .sort((a, b) => b.stat.totalSeconds - a.stat.totalSeconds)
    .slice(0, t.readSplitMax);
  if (candidates.length === 0) return [];

  const lags = (replication?.replicas ?? []).flatMap((r) => (r.lagSeconds === null ? [] : [r.lagSeconds]));
  const staleness = lags.length === 0 ? null : Math.max(...lags);
  const share = candidates.reduce((sum, s) => sum + s.stat.totalSeconds, 0) / totalSeconds;
  const tables = [...new Set(candidates.flatMap((s) => s.tables))].sort();
  const r = remedies(input);
  const stalenessText =
    staleness === null
      ? 'no replica is measured yet: the staleness they must tolerate is the lag of the replica you add'
      : `they would read data up to ${formatDuration(staleness)} old (the replicas' lag now)`;
  return [
    makeFinding(input, 'read-split-candidate', {
      severity: 'info',
      object: 'read-split',
      summary: `${candidates.length} read-only statement(s) on mostly-read tables (${tables.join(', ')}) take ${Math.round(
        share * 100,
      )}% of the primary's statement time and could move to a replica; ${stalenessText}`,
      evidence: {
        primaryTimeShare: round(share, 3),
        stalenessSeconds: staleness === null ? null : round(staleness, 1),
        replicas: (replication?.replicas ?? []).map((x) => x.name),
        tables: tables.map((table) => {
          const m = mix.get(table);
          return {
            table,
            readShare: m ? round(readShare(m), 3) : null,
            readCalls: m?.readCalls ?? 0,
            writeCalls: m?.writeCalls ?? 0,
          };
        }),
        statements: candidates.map((s) => ({
          id: s.stat.id,
          fingerprint: s.stat.fingerprint.slice(0, 200),
          calls: s.stat.calls,
          primaryTimeShare: round(s.stat.totalSeconds / totalSeconds, 3),
          meanSeconds: s.stat.calls > 0 ? round(s.stat.totalSeconds / s.stat.calls, 5) : null,
        })),
        excluded:
          'writes; locking reads (FOR UPDATE / FOR SHARE); reads called as often as a write on the same table (a read-then-write transaction); reads of tables under the read share',
      },
      fix: {
        summary: `Send these reads to a replica (${staleness === null ? 'lag to be measured' : `tolerating ${formatDuration(staleness)} of staleness`}); keep every read inside a transaction that writes on the primary`,
        actions: [],
        statements: [
          r.diagnosis.readRouting,
          'Only reads the application runs outside a writing transaction (autocommit or read-only transactions): statement statistics do not show transaction boundaries, so confirm each with its owner',
          "Reads that must see the session's own writes (read-your-writes) stay on the primary, or wait until the replica has replayed past the write",
        ],
        risk: `Reads on the replica see data as old as its lag; when the replica breaks or falls behind, route them back to the primary (replica-lag and replication-broken findings tell when).`,
        rollback: 'Point the read pool back at the primary.',
      },
    }),
  ];
}
