import {
  ascii,
  daysFromCivil,
  endsWith,
  indexOf,
  indexOfByte,
  numberEnd,
  parseNumber,
  parseTimestamp,
  skipSpaces,
  startsWith,
} from '../bytes.js';
import { appendStmt, type EventSink, type LineParser, newEvent, type SlowEvent } from '../event.js';
import type { SkipCounter } from '../skips.js';
import { StringCache } from '../string-cache.js';

// MySQL / MariaDB slow query log. An entry is a run of `#` header lines (# Time, # User@Host,
// # Query_time ..., MariaDB's # Thread_id/Schema, # Rows_affected, # Full_scan, # explain ...),
// then `use db;` and `SET timestamp=N;`, then the statement over one or more lines, ended by
// the next `#` header line or the end of input.

const TIME = ascii('# Time:');
const USER_HOST = ascii('# User@Host:');
const ADMIN = ascii('# administrator command:');
const USE = ascii('use ');
const SET_TIMESTAMP = ascii('SET timestamp=');
const TCP_PORT = ascii('Tcp port:');
const VERSION = ascii(', Version: ');
const STARTED_WITH = ascii('started with:');
const TIME_WORD = ascii('Time');
const COMMAND_ARGUMENT = ascii('Argument');
const ID = ascii('Id:');

/** A statement longer than this is skipped (bounded memory), like a line over the line cap. */
export const MAX_STATEMENT_BYTES = 4 * 1024 * 1024;

export class MysqlSlowLogParser implements LineParser {
  private readonly ev: SlowEvent = newEvent('mysql');
  private inEntry = false;
  private haveQueryTime = false;
  private stmtStarted = false;
  private tooLong = false;
  private entryLines = 0;
  /** a lone `# Time:` line (a worker's range ends between it and its entry) is not an entry */
  private entryHasBody = false;
  private entryOffset = 0;
  private timeFromSet = Number.NaN;
  private database: string | null = null;
  private entryDatabase: string | null = null;
  private readonly userHosts = new StringCache(parseUserHost);
  private readonly schemas = new StringCache();
  private user: string | null = null;
  private host: string | null = null;
  // the # Time: line, kept as bytes and parsed only when the entry has no SET timestamp
  private readonly timeLine = new Uint8Array(64);
  private timeLineLen = 0;

  constructor(
    private readonly sink: EventSink,
    private readonly skips: SkipCounter,
  ) {}

  line(buf: Uint8Array, start: number, end: number, offset: number): void {
    if (end > start && buf[end - 1] === 0x0d) end--;
    if (start < end && buf[start] === 0x23 && (end - start < 2 || buf[start + 1] === 0x20)) {
      this.header(buf, start, end, offset);
      return;
    }
    if (!this.inEntry) {
      if (end === start || this.isBanner(buf, start, end)) return;
      this.skips.skip('line outside any slow-log entry', 1, offset);
      return;
    }
    this.entryLines++;
    this.entryHasBody = true;
    if (!this.stmtStarted) {
      if (end === start) return;
      if (startsWith(buf, start, end, SET_TIMESTAMP)) {
        const t = parseNumber(buf, start + SET_TIMESTAMP.length, end);
        if (!Number.isNaN(t)) this.timeFromSet = t * 1000;
        return;
      }
      if (
        startsWith(buf, start, end, USE) &&
        buf[end - 1] === 0x3b &&
        indexOf(buf, start + 4, end, SPACE) < 0
      ) {
        let s = start + 4;
        let e = end - 1;
        if (buf[s] === 0x60 && buf[e - 1] === 0x60) {
          s++;
          e--;
        }
        const db = this.schemas.get(buf, s, e);
        this.database = db;
        this.entryDatabase = db;
        return;
      }
      if (this.isBanner(buf, start, end)) {
        this.finish();
        return;
      }
      this.stmtStarted = true;
    } else if (this.isBanner(buf, start, end)) {
      this.finish();
      return;
    }
    this.append(buf, start, end, true);
  }

  private append(buf: Uint8Array, start: number, end: number, newline: boolean): void {
    if (this.tooLong) return;
    const ev = this.ev;
    if (newline && ev.stmtLength > 0 && !appendStmt(ev, NEWLINE, 0, 1, MAX_STATEMENT_BYTES))
      this.tooLong = true;
    if (!appendStmt(ev, buf, start, end, MAX_STATEMENT_BYTES)) this.tooLong = true;
  }

  private isBanner(buf: Uint8Array, start: number, end: number): boolean {
    // mariadbd/mysqld write these three lines when they (re)open the log
    if (startsWith(buf, start, end, TCP_PORT)) return true;
    // `Time  Id Command  Argument`, with spaces (MySQL) or tabs (MariaDB)
    if (startsWith(buf, start, end, TIME_WORD) && indexOf(buf, start, end, COMMAND_ARGUMENT) >= 0)
      return true;
    // `/usr/sbin/mariadbd, Version: ... started with:`, or without a path (`mariadbd, Version:`,
    // when the server was started by name): one word, then ", Version: ". With no space
    // before it, ", Version: " can only sit just before the line's first space: look there
    // only (a statement line is not searched to its end).
    let space = start;
    while (space < end && buf[space] !== 0x20) space++;
    const version = space - 1;
    if (version <= start || !startsWith(buf, version, end, VERSION)) return false;
    return buf[start] === 0x2f || endsWith(buf, start, end, STARTED_WITH);
  }

  private header(buf: Uint8Array, start: number, end: number, offset: number): void {
    if (this.stmtStarted) this.finish();
    if (!this.inEntry) {
      this.inEntry = true;
      this.entryOffset = offset;
    }
    this.entryLines++;
    // the third byte tells the header lines apart before any comparison
    const third = end - start > 2 ? buf[start + 2] : -1;
    if (third === 0x54 && startsWith(buf, start, end, TIME)) {
      const s = skipSpaces(buf, start + TIME.length, end);
      const n = Math.min(end - s, this.timeLine.length);
      for (let k = 0; k < n; k++) this.timeLine[k] = buf[s + k]!;
      this.timeLineLen = n;
      return;
    }
    this.entryHasBody = true;
    if (third === 0x55 && startsWith(buf, start, end, USER_HOST)) {
      this.userHost(buf, start + USER_HOST.length, end);
      return;
    }
    if (third === 0x61 && startsWith(buf, start, end, ADMIN)) {
      // pt-query-digest reports these as "administrator command: Quit"
      let e = end;
      while (e > start && (buf[e - 1] === 0x3b || buf[e - 1] === 0x20)) e--;
      this.append(buf, start + 2, e, false);
      this.stmtStarted = true;
      return;
    }
    this.pairs(buf, start + 2, end);
  }

  /** `Key: value  Key: value` pairs of a header line. */
  private pairs(buf: Uint8Array, i: number, end: number): void {
    const ev = this.ev;
    while (i < end) {
      i = skipSpaces(buf, i, end);
      const keyStart = i;
      // a key runs to a ':' before the next space; words and values are skipped to the next
      // space by V8's own search (a header line is not walked byte by byte; the next space is
      // at most the next line's "# ")
      const space = indexOfByte(buf, 0x20, i, end);
      const wordEnd = space < 0 ? end : space;
      let colon = i;
      while (colon < wordEnd && buf[colon] !== 0x3a) colon++;
      if (colon === wordEnd) {
        // not a key: skip this word
        i = wordEnd;
        continue;
      }
      const keyLen = colon - keyStart;
      i = skipSpaces(buf, colon + 1, end);
      const k0 = buf[keyStart];
      if (keyLen === 10 && k0 === 0x51) {
        ev.seconds = parseNumber(buf, i, end); // Query_time
        if (!Number.isNaN(ev.seconds)) this.haveQueryTime = true;
        i = numberEnd;
      } else if (keyLen === 9 && k0 === 0x4c) {
        ev.lockSeconds = parseNumber(buf, i, end); // Lock_time
        i = numberEnd;
      } else if (keyLen === 9 && k0 === 0x52 && buf[keyStart + 5] === 0x73) {
        ev.rowsSent = parseNumber(buf, i, end); // Rows_sent
        i = numberEnd;
      } else if (keyLen === 13 && k0 === 0x52 && buf[keyStart + 5] === 0x65) {
        ev.rowsExamined = parseNumber(buf, i, end); // Rows_examined
        i = numberEnd;
      } else if (keyLen === 6 && k0 === 0x53 && buf[keyStart + 1] === 0x63) {
        // MariaDB "Schema: db" (empty when none)
        const s = i;
        const e = indexOfByte(buf, 0x20, i, end);
        i = e < 0 ? end : e;
        if (i > s) this.entryDatabase = this.schemas.get(buf, s, i);
      } else {
        const e = indexOfByte(buf, 0x20, i, end);
        i = e < 0 ? end : e;
      }
    }
  }

  private userHost(buf: Uint8Array, i: number, end: number): void {
    i = skipSpaces(buf, i, end);
    const id = indexOf(buf, i, end, ID);
    let e = id >= 0 ? id : end;
    while (e > i && buf[e - 1] === 0x20) e--;
    const parsed = this.userHosts.get(buf, i, e);
    this.user = parsed?.user ?? null;
    this.host = parsed?.host ?? null;
  }

  flush(): void {
    this.finish();
  }

  /** Where a worker may start or stop reading: a line that begins an entry. */
  static isBoundary(buf: Uint8Array, start: number, end: number): boolean {
    return startsWith(buf, start, end, TIME) || startsWith(buf, start, end, USER_HOST);
  }

  private finish(): void {
    if (!this.inEntry) return;
    const ev = this.ev;
    if (!this.entryHasBody) {
      // nothing but a # Time: line
    } else if (this.tooLong) {
      this.skips.skip(
        `statement longer than ${MAX_STATEMENT_BYTES} bytes`,
        this.entryLines,
        this.entryOffset,
      );
    } else if (!this.haveQueryTime) {
      this.skips.skip('entry without # Query_time', this.entryLines, this.entryOffset);
    } else if (ev.stmtLength === 0) {
      this.skips.skip('entry without a statement (truncated)', this.entryLines, this.entryOffset);
    } else {
      ev.at = !Number.isNaN(this.timeFromSet)
        ? this.timeFromSet
        : this.timeLineLen > 0
          ? parseHeaderTime(this.timeLine, 0, this.timeLineLen)
          : Number.NaN;
      ev.database = this.entryDatabase ?? this.database;
      ev.user = this.user;
      ev.host = this.host;
      ev.offset = this.entryOffset;
      this.sink.event(ev);
    }
    this.inEntry = false;
    this.entryHasBody = false;
    this.haveQueryTime = false;
    this.stmtStarted = false;
    this.tooLong = false;
    this.entryLines = 0;
    this.timeFromSet = Number.NaN;
    this.entryDatabase = null;
    ev.stmtLength = 0;
    ev.seconds = 0;
    ev.lockSeconds = Number.NaN;
    ev.rowsSent = Number.NaN;
    ev.rowsExamined = Number.NaN;
  }
}

function digit2(buf: Uint8Array, i: number): number {
  return (buf[i]! - 0x30) * 10 + (buf[i + 1]! - 0x30);
}

interface UserHost {
  user: string | null;
  host: string | null;
}

/** `user[priv_user] @ host [ip]` */
function parseUserHost(text: string): UserHost {
  const m = /^([^[\s]*)(?:\[[^\]]*\])?\s*@\s*([^\s[]*)\s*(?:\[([^\]]*)\])?/.exec(text);
  return { user: m?.[1] || null, host: m?.[2] || m?.[3] || null };
}

const NEWLINE = ascii('\n');
const SPACE = ascii(' ');

/** `2024-01-02T03:04:05.123456Z` (MySQL 5.7+) or `240102  3:04:05` (MariaDB, local time read as UTC). */
function parseHeaderTime(buf: Uint8Array, i: number, end: number): number {
  const iso = parseTimestamp(buf, i, end, false);
  if (!Number.isNaN(iso)) return iso;
  if (end - i < 13) return Number.NaN;
  const y = 2000 + digit2(buf, i);
  const mo = digit2(buf, i + 2);
  const day = digit2(buf, i + 4);
  let j = skipSpaces(buf, i + 6, end);
  const h = parseNumber(buf, j, end);
  j = numberEnd + 1;
  const mi = parseNumber(buf, j, end);
  j = numberEnd + 1;
  const s = parseNumber(buf, j, end);
  if (
    !(
      mo >= 1 &&
      mo <= 12 &&
      day >= 1 &&
      day <= 31 &&
      !Number.isNaN(h) &&
      !Number.isNaN(mi) &&
      !Number.isNaN(s)
    )
  )
    return Number.NaN;
  return (daysFromCivil(y, mo, day) * 86400 + h * 3600 + mi * 60 + s) * 1000;
}
