import type { SqlDialect } from './fingerprint.js';

// One logged statement, as a parser hands it to the aggregator. Parsers reuse one mutable
// event and one statement buffer, so the hot path allocates nothing per statement; the
// aggregator copies out only what it keeps (a new class, a new worst sample).
export interface SlowEvent {
  dialect: SqlDialect;
  /** statement bytes: stmt[0, stmtLength) */
  stmt: Uint8Array;
  stmtLength: number;
  seconds: number;
  /** NaN when the log does not say */
  lockSeconds: number;
  rowsSent: number;
  rowsExamined: number;
  /** epoch ms; NaN when the log does not say */
  at: number;
  database: string | null;
  user: string | null;
  host: string | null;
  /** PostgreSQL extended protocol: the `parameters:` detail ("$1 = '5', $2 = 'x'") */
  params: string | null;
  /** byte offset of the entry in its input, for skip reports */
  offset: number;
}

export interface EventSink {
  event(ev: SlowEvent): void;
}

/** What every parser does: take lines (byte ranges), and flush at the end of input. */
export interface LineParser {
  line(buf: Uint8Array, start: number, end: number, offset: number): void;
  /** the input ended (or, when following, went quiet): finish the pending entry */
  flush(): void;
}

export function newEvent(dialect: SqlDialect): SlowEvent {
  return {
    dialect,
    stmt: new Uint8Array(4096),
    stmtLength: 0,
    seconds: 0,
    lockSeconds: Number.NaN,
    rowsSent: Number.NaN,
    rowsExamined: Number.NaN,
    at: Number.NaN,
    database: null,
    user: null,
    host: null,
    params: null,
    offset: 0,
  };
}

/** Appends src[start,end) to the event's statement, growing its buffer up to `cap`; false if over. */
export function appendStmt(ev: SlowEvent, src: Uint8Array, start: number, end: number, cap: number): boolean {
  const len = end - start;
  const need = ev.stmtLength + len;
  if (need > cap) return false;
  if (need > ev.stmt.length) {
    const grown = new Uint8Array(Math.min(cap, Math.max(need, ev.stmt.length * 2)));
    grown.set(ev.stmt.subarray(0, ev.stmtLength));
    ev.stmt = grown;
  }
  // one native copy: a byte loop here runs in V8's interpreter for most of a short digest
  if (len === 1) ev.stmt[ev.stmtLength] = src[start]!;
  else ev.stmt.set(src.subarray(start, end), ev.stmtLength);
  ev.stmtLength = need;
  return true;
}
