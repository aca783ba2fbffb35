import type { CacheSignals, StatementSignals, StatementStat, TableSignals, TableStat } from './signals.js';
import type { Snapshot } from './snapshot.js';

// Counters become per-interval deltas here. A counter that went down means the server or its
// statistics were reset: the delta is then the current value (what accumulated since the
// reset), never a negative or absurd number.

export interface CacheRate {
  seconds: number;
  hits: number;
  reads: number;
  /** hits / (hits + reads) over the interval; null when the interval saw no reads at all */
  ratio: number | null;
}

export interface StatementRate {
  id: string;
  fingerprint: string;
  database: string | null;
  calls: number;
  totalSeconds: number;
  meanSeconds: number | null;
  rows: number;
  rowsExamined: number | null;
  noIndexUsedCalls: number | null;
  blocksHit: number | null;
  blocksRead: number | null;
}

export interface TableRate {
  table: string;
  seqScans: number;
  seqRowsRead: number;
  indexScans: number;
  heapBlocksHit: number | null;
  heapBlocksRead: number | null;
  indexBlocksHit: number | null;
  indexBlocksRead: number | null;
}

export interface IntervalRates<T> {
  /** when the later of the two samples was taken: tells a fresh rate from one carried over */
  at: number;
  seconds: number;
  /** true when at least one counter went backwards (reset) in this interval */
  resetSeen: boolean;
  items: T;
}

export interface Rates {
  cache: IntervalRates<CacheRate> | null;
  statements: IntervalRates<StatementRate[]> | null;
  tables: IntervalRates<TableRate[]> | null;
}

/** Delta of one counter; reset-safe. */
export function counterDelta(previous: number, current: number): { delta: number; reset: boolean } {
  if (current < previous) return { delta: current, reset: true };
  return { delta: current - previous, reset: false };
}

function nullableDelta(previous: number | null | undefined, current: number | null): number | null {
  if (current === null) return null;
  if (previous === null || previous === undefined) return current;
  return counterDelta(previous, current).delta;
}

function intervalSeconds(previousAt: number, currentAt: number): number | null {
  const seconds = (currentAt - previousAt) / 1000;
  return seconds > 0 ? seconds : null;
}

export function cacheRate(previous: CacheSignals, current: CacheSignals): IntervalRates<CacheRate> | null {
  const seconds = intervalSeconds(previous.at, current.at);
  if (seconds === null) return null;
  const hits = counterDelta(previous.hits, current.hits);
  const reads = counterDelta(previous.reads, current.reads);
  const resetSeen = hits.reset || reads.reset;
  // After a reset only the current counters are known: use them both, so the ratio stays consistent.
  const h = resetSeen ? current.hits : hits.delta;
  const r = resetSeen ? current.reads : reads.delta;
  const total = h + r;
  return {
    at: current.at,
    seconds,
    resetSeen,
    items: { seconds, hits: h, reads: r, ratio: total > 0 ? h / total : null },
  };
}

function statementDelta(
  previous: StatementStat | undefined,
  current: StatementStat,
): StatementRate & { reset: boolean } {
  // A statement absent before is new (or was evicted and came back): everything it has is new.
  const reset =
    previous !== undefined &&
    (current.calls < previous.calls || current.totalSeconds < previous.totalSeconds);
  const base = previous === undefined || reset ? undefined : previous;
  const calls = current.calls - (base?.calls ?? 0);
  const totalSeconds = current.totalSeconds - (base?.totalSeconds ?? 0);
  return {
    id: current.id,
    fingerprint: current.fingerprint,
    database: current.database,
    calls,
    totalSeconds,
    meanSeconds: calls > 0 ? totalSeconds / calls : null,
    rows: current.rows - (base?.rows ?? 0),
    rowsExamined: nullableDelta(base?.rowsExamined, current.rowsExamined),
    noIndexUsedCalls: nullableDelta(base?.noIndexUsedCalls, current.noIndexUsedCalls),
    blocksHit: nullableDelta(base?.blocksHit, current.blocksHit),
    blocksRead: nullableDelta(base?.blocksRead, current.blocksRead),
    reset,
  };
}

function statementKey(s: StatementStat): string {
  return `${s.id}\u0000${s.database ?? ''}\u0000${s.user ?? ''}`;
}

export function statementRates(
  previous: StatementSignals,
  current: StatementSignals,
): IntervalRates<StatementRate[]> | null {
  const seconds = intervalSeconds(previous.at, current.at);
  if (seconds === null) return null;
  const wholeReset =
    previous.resetAt !== current.resetAt && current.resetAt !== null && current.resetAt > previous.at;
  const before = new Map(wholeReset ? [] : previous.statements.map((s) => [statementKey(s), s]));
  let resetSeen = wholeReset;
  const items: StatementRate[] = [];
  for (const stat of current.statements) {
    const { reset, ...rate } = statementDelta(before.get(statementKey(stat)), stat);
    resetSeen ||= reset;
    if (rate.calls > 0 || rate.totalSeconds > 0) items.push(rate);
  }
  items.sort((a, b) => b.totalSeconds - a.totalSeconds);
  return { at: current.at, seconds, resetSeen, items };
}

function tableDelta(
  previous: TableStat | undefined,
  current: TableStat,
): { rate: TableRate; reset: boolean } {
  const reset =
    previous !== undefined &&
    (current.seqScans < previous.seqScans ||
      current.indexScans < previous.indexScans ||
      current.seqRowsRead < previous.seqRowsRead);
  const base = previous === undefined || reset ? undefined : previous;
  return {
    reset,
    rate: {
      table: current.table,
      seqScans: current.seqScans - (base?.seqScans ?? 0),
      seqRowsRead: current.seqRowsRead - (base?.seqRowsRead ?? 0),
      indexScans: current.indexScans - (base?.indexScans ?? 0),
      heapBlocksHit: nullableDelta(base?.heapBlocksHit, current.heapBlocksHit),
      heapBlocksRead: nullableDelta(base?.heapBlocksRead, current.heapBlocksRead),
      indexBlocksHit: nullableDelta(base?.indexBlocksHit, current.indexBlocksHit),
      indexBlocksRead: nullableDelta(base?.indexBlocksRead, current.indexBlocksRead),
    },
  };
}

export function tableRates(previous: TableSignals, current: TableSignals): IntervalRates<TableRate[]> | null {
  const seconds = intervalSeconds(previous.at, current.at);
  if (seconds === null) return null;
  const before = new Map(previous.tables.map((t) => [t.table, t]));
  let resetSeen = false;
  const items: TableRate[] = [];
  for (const table of current.tables) {
    const { rate, reset } = tableDelta(before.get(table.table), table);
    resetSeen ||= reset;
    items.push(rate);
  }
  return { at: current.at, seconds, resetSeen, items };
}

/**
 * Rates between two snapshots. A signal group sampled at the same time in both (a probe on a
 * slower schedule that was not due) yields null: the caller keeps the previous rate for it.
 */
export function computeRates(previous: Snapshot, current: Snapshot): Rates {
  const p = previous.signals;
  const c = current.signals;
  return {
    cache: p.cache && c.cache ? cacheRate(p.cache, c.cache) : null,
    statements: p.statements && c.statements ? statementRates(p.statements, c.statements) : null,
    tables: p.tables && c.tables ? tableRates(p.tables, c.tables) : null,
  };
}
