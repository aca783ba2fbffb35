import { ascii, latin, numberEnd, parseNumber, startsWith } from '../bytes.js';
import { appendStmt, type EventSink, type LineParser, newEvent, type SlowEvent } from '../event.js';
import type { SkipCounter } from '../skips.js';
import { StringCache } from '../string-cache.js';
import { type LogLinePrefix, severityAt } from './log-line-prefix.js';
import { MAX_STATEMENT_BYTES } from './mysql.js';

// PostgreSQL stderr log with log_min_duration_statement: `<prefix>LOG:  duration: X ms
// statement: ...` (simple protocol) and `... execute <name>: ...` followed by `DETAIL:
// parameters: $1 = '...'` (extended protocol). Continuation lines of a message start with a tab.
// parse/bind durations are not counted: the execute line is the statement's execution.

const LOG = ascii('LOG:  ');
const DETAIL = ascii('DETAIL:  ');
const DURATION = ascii('duration: ');
const STATEMENT = ascii('statement: ');
const EXECUTE = ascii('execute ');
const PARAMETERS = ascii('parameters: ');
const MS = ascii(' ms');
const NEWLINE = ascii('\n');

/** Parses the message of a duration record into `ev`; false when it is not a statement's duration. */
export function parseDurationMessage(ev: SlowEvent, buf: Uint8Array, i: number, end: number): boolean {
  if (!startsWith(buf, i, end, DURATION)) return false;
  const ms = parseNumber(buf, i + DURATION.length, end);
  if (Number.isNaN(ms)) return false;
  let j = numberEnd;
  if (!startsWith(buf, j, end, MS)) return false;
  j += MS.length;
  while (j < end && buf[j] === 0x20) j++;
  if (startsWith(buf, j, end, STATEMENT)) {
    j += STATEMENT.length;
  } else if (startsWith(buf, j, end, EXECUTE)) {
    // execute <unnamed>: / execute S_1: / execute fetch from S_1/C_2:
    let k = j + EXECUTE.length;
    while (k + 1 < end && !(buf[k] === 0x3a && buf[k + 1] === 0x20)) k++;
    if (k + 1 >= end) return false;
    j = k + 2;
  } else {
    return false;
  }
  ev.seconds = ms / 1000;
  ev.stmtLength = 0;
  ev.params = null;
  return appendStmt(ev, buf, j, end, MAX_STATEMENT_BYTES);
}

export class PostgresStderrParser implements LineParser {
  private readonly ev: SlowEvent = newEvent('postgres');
  private pending = false;
  private tooLong = false;
  private readonly users = new StringCache();
  private readonly dbs = new StringCache();
  private readonly hosts = new StringCache();

  constructor(
    private readonly sink: EventSink,
    private readonly skips: SkipCounter,
    private readonly prefix: LogLinePrefix,
  ) {}

  line(buf: Uint8Array, start: number, end: number, offset: number): void {
    if (end > start && buf[end - 1] === 0x0d) end--;
    if (start < end && buf[start] === 0x09) {
      // continuation of the previous message
      if (this.pending && !this.tooLong) {
        const ev = this.ev;
        if (
          !appendStmt(ev, NEWLINE, 0, 1, MAX_STATEMENT_BYTES) ||
          !appendStmt(ev, buf, start + 1, end, MAX_STATEMENT_BYTES)
        ) {
          this.tooLong = true;
        }
      }
      return;
    }
    if (start === end) return;
    const p = this.prefix.match(buf, start, end);
    if (p < 0) {
      this.finish();
      this.skips.skip('line does not match log_line_prefix', 1, offset);
      return;
    }
    if (startsWith(buf, p, end, DETAIL)) {
      const m = p + DETAIL.length;
      if (this.pending && startsWith(buf, m, end, PARAMETERS))
        this.ev.params = latin(buf, m + PARAMETERS.length, end);
      return;
    }
    this.finish();
    if (!startsWith(buf, p, end, LOG)) return;
    const ev = this.ev;
    if (!parseDurationMessage(ev, buf, p + LOG.length, end)) {
      this.tooLong = false;
      return;
    }
    const f = this.prefix.fields;
    ev.at = f.at;
    ev.user = this.users.get(buf, f.userStart, f.userEnd);
    ev.database = this.dbs.get(buf, f.dbStart, f.dbEnd);
    ev.host = this.hosts.get(buf, f.hostStart, f.hostEnd);
    ev.offset = offset;
    this.pending = true;
    this.tooLong = false;
  }

  flush(): void {
    this.finish();
  }

  private finish(): void {
    if (!this.pending) return;
    this.pending = false;
    if (this.tooLong) {
      this.skips.skip(`statement longer than ${MAX_STATEMENT_BYTES} bytes`, 1, this.ev.offset);
      return;
    }
    this.sink.event(this.ev);
  }

  /** Where a worker may start or stop: a line that begins a message other than a DETAIL. */
  static isBoundary(buf: Uint8Array, start: number, end: number): boolean {
    if (start >= end || buf[start] === 0x09) return false;
    for (let i = start; i + 8 < end && i < start + 512; i++) {
      if (buf[i] === 0x3a && buf[i + 1] === 0x20 && buf[i + 2] === 0x20) {
        let s = i;
        while (s > start && buf[s - 1]! >= 0x41 && buf[s - 1]! <= 0x5a) s--;
        if (severityAt(buf, s, end) < 0) continue;
        return !startsWith(buf, s, end, DETAIL);
      }
    }
    return false;
  }
}
