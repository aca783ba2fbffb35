import type { Rates } from '../snapshot/rates.js';
import type { SlowLogSignals } from '../snapshot/signals.js';
import { BoundedCounters } from './accumulator.js';

export interface CounterLimits {
  statements: number;
  tables: number;
  slowQueryClasses: number;
}

/**
 * The exported counters of one target, fed with each cycle's fresh interval deltas (a rate
 * carried over from an earlier cycle is never added twice).
 */
export class TargetCounters {
  readonly queries: BoundedCounters;
  readonly tables: BoundedCounters;
  readonly slowQueries: BoundedCounters;
  /** fingerprints of the queries that have their own series, for dbdiag_query_info */
  readonly fingerprints = new Map<string, string>();
  /** buffer cache hits and disk reads summed over the intervals the agent saw */
  readonly cache = { hits: 0, reads: 0 };
  /** most per-table gauge series exported */
  readonly tableLimit: number;
  private lastCacheAt = 0;
  private lastStatementsAt = 0;
  private lastTablesAt = 0;
  private lastSlowLogAt = 0;
  /** cumulative count and time per slow-log class at the last update, for deltas */
  private readonly slowLogSeen = new Map<string, { count: number; seconds: number }>();

  constructor(limits: CounterLimits) {
    this.queries = new BoundedCounters(limits.statements);
    this.tables = new BoundedCounters(limits.tables);
    this.slowQueries = new BoundedCounters(limits.slowQueryClasses);
    this.tableLimit = limits.tables;
  }

  update(rates: Rates, slowlog?: SlowLogSignals): void {
    if (slowlog && slowlog.at > this.lastSlowLogAt) {
      this.lastSlowLogAt = slowlog.at;
      this.addSlowLog(slowlog);
    }
    const cache = rates.cache;
    if (cache && cache.at > this.lastCacheAt) {
      this.lastCacheAt = cache.at;
      this.cache.hits += cache.items.hits;
      this.cache.reads += cache.items.reads;
    }
    const statements = rates.statements;
    if (statements && statements.at > this.lastStatementsAt) {
      this.lastStatementsAt = statements.at;
      // items are sorted by interval time: the costliest get their own series first.
      this.queries.add(
        statements.items.map((s) => ({
          key: s.id,
          deltas: {
            calls: s.calls,
            seconds: s.totalSeconds,
            rows: s.rows,
            rowsExamined: s.rowsExamined,
            noIndexUsed: s.noIndexUsedCalls,
          },
        })),
      );
      const own = new Set(this.queries.keys());
      for (const s of statements.items) if (own.has(s.id)) this.fingerprints.set(s.id, s.fingerprint);
      for (const id of this.fingerprints.keys()) if (!own.has(id)) this.fingerprints.delete(id);
    }
    const tables = rates.tables;
    if (tables && tables.at > this.lastTablesAt) {
      this.lastTablesAt = tables.at;
      const ranked = [...tables.items].sort(
        (a, b) => b.seqRowsRead - a.seqRowsRead || b.seqScans - a.seqScans,
      );
      this.tables.add(
        ranked.map((t) => ({
          key: t.table,
          deltas: { seqScans: t.seqScans, seqRowsRead: t.seqRowsRead, indexScans: t.indexScans },
        })),
      );
    }
  }

  /** The digest is cumulative since the follower started: turn it into per-cycle deltas. */
  private addSlowLog(slowlog: SlowLogSignals): void {
    const deltas = slowlog.classes.map((c) => {
      const seen = this.slowLogSeen.get(c.id);
      this.slowLogSeen.set(c.id, { count: c.count, seconds: c.totalSeconds });
      // A class folded into `other` and back can shrink: count what it has, never negative.
      const grew = seen !== undefined && c.count >= seen.count;
      return {
        key: c.id,
        deltas: {
          count: grew ? c.count - seen.count : c.count,
          seconds: grew ? c.totalSeconds - seen.seconds : c.totalSeconds,
        },
      };
    });
    deltas.sort((a, b) => (b.deltas.seconds ?? 0) - (a.deltas.seconds ?? 0));
    this.slowQueries.add(deltas);
  }
}
