import type { Rates } from '../snapshot/rates.js';
import type { Snapshot } from '../snapshot/snapshot.js';

// What `dbdiag check` (and the reports) say was measured: the window's rates, and cumulative
// figures since the statistics were last reset, so that a database idle right now still shows
// what has been hurting it.

export interface StatementLine {
  id: string;
  fingerprint: string;
  calls: number;
  totalSeconds: number;
  meanSeconds: number | null;
  rowsExamined: number | null;
}

export interface TableScanLine {
  table: string;
  seqScans: number;
  seqRowsRead: number;
  indexScans: number;
}

export interface Measurements {
  target: string;
  engine: string;
  serverVersion: string | null;
  windowSeconds: number | null;
  connections: {
    used: number;
    max: number;
    reserved: number;
    saturationRatio: number | null;
    active: number;
    idle: number;
    idleInTransaction: number;
    waitingLock: number;
    oldestTransactionSeconds: number | null;
  } | null;
  cache: { intervalHitRatio: number | null; sinceResetHitRatio: number | null } | null;
  statements: {
    /** seconds since pg_stat_statements / the digest table was last reset, when known */
    resetAgeSeconds: number | null;
    window: StatementLine[];
    sinceReset: StatementLine[];
  } | null;
  tables: { resetAgeSeconds: number | null; window: TableScanLine[]; sinceReset: TableScanLine[] } | null;
  /** probes that ran this cycle (any status) */
  probeCount: number;
  unsupported: { probe: string; reason: string }[];
  errors: { probe: string; code: string | null; message: string | null }[];
  /** probes that ran but could read only part of what they read (a missing privilege; message: what and the GRANT) */
  partial: { probe: string; message: string }[];
}

/** Whether every probe read all it reads: no error, no partial data. */
export function complete(m: Pick<Measurements, 'errors' | 'partial'>): boolean {
  return m.errors.length === 0 && m.partial.length === 0;
}

/** Tables read by sequential scans, most rows read first. */
function heaviestSeqScans(tables: readonly TableScanLine[], top: number): TableScanLine[] {
  return tables
    .filter((t) => t.seqScans > 0)
    .sort((a, b) => b.seqRowsRead - a.seqRowsRead)
    .slice(0, top)
    .map((t) => ({
      table: t.table,
      seqScans: t.seqScans,
      seqRowsRead: t.seqRowsRead,
      indexScans: t.indexScans,
    }));
}

function age(now: number, at: number | null): number | null {
  return at === null ? null : Math.max(0, (now - at) / 1000);
}

export function measure(snapshot: Snapshot, rates: Rates, top: number): Measurements {
  const { connections: c, cache, statements, tables } = snapshot.signals;
  const probes = Object.values(snapshot.probes);
  return {
    target: snapshot.target,
    engine: snapshot.engine,
    serverVersion: snapshot.serverVersion,
    windowSeconds: rates.statements?.seconds ?? rates.cache?.seconds ?? null,
    connections: c
      ? {
          used: c.used,
          max: c.max,
          reserved: c.reserved,
          saturationRatio: c.max - c.reserved > 0 ? c.used / (c.max - c.reserved) : null,
          active: c.byState.active,
          idle: c.byState.idle,
          idleInTransaction: c.byState.idleInTransaction,
          waitingLock: c.byState.waitingLock,
          oldestTransactionSeconds: c.oldestTransactionSeconds,
        }
      : null,
    cache: cache
      ? {
          intervalHitRatio: rates.cache?.items.ratio ?? null,
          sinceResetHitRatio: cache.hits + cache.reads > 0 ? cache.hits / (cache.hits + cache.reads) : null,
        }
      : null,
    statements: statements
      ? {
          resetAgeSeconds: age(snapshot.at, statements.resetAt),
          window: (rates.statements?.items ?? []).slice(0, top).map((s) => ({
            id: s.id,
            fingerprint: s.fingerprint,
            calls: s.calls,
            totalSeconds: s.totalSeconds,
            meanSeconds: s.meanSeconds,
            rowsExamined: s.rowsExamined,
          })),
          sinceReset: [...statements.statements]
            .sort((a, b) => b.totalSeconds - a.totalSeconds)
            .slice(0, top)
            .map((s) => ({
              id: s.id,
              fingerprint: s.fingerprint,
              calls: s.calls,
              totalSeconds: s.totalSeconds,
              meanSeconds: s.calls > 0 ? s.totalSeconds / s.calls : null,
              rowsExamined: s.rowsExamined,
            })),
        }
      : null,
    tables: tables
      ? {
          resetAgeSeconds: age(snapshot.at, tables.resetAt),
          window: heaviestSeqScans(rates.tables?.items ?? [], top),
          sinceReset: heaviestSeqScans(tables.tables, top),
        }
      : null,
    probeCount: probes.filter((p) => p.status !== 'not-due').length,
    unsupported: probes
      .filter((p) => p.status === 'unsupported')
      .map((p) => ({ probe: p.probe, reason: p.message ?? 'not supported' })),
    errors: probes
      .filter((p) => p.status === 'error')
      .map((p) => ({ probe: p.probe, code: p.code, message: p.message })),
    partial: probes
      .filter((p) => p.status === 'partial')
      .map((p) => ({ probe: p.probe, message: p.message ?? 'partial data' })),
  };
}
