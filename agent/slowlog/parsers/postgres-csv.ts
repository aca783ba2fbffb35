import { parseTimestamp } from '../bytes.js';
import { type EventSink, type LineParser, newEvent, type SlowEvent } from '../event.js';
import type { SkipCounter } from '../skips.js';
import { StringCache } from '../string-cache.js';
import { parseDurationMessage } from './postgres-stderr.js';

// PostgreSQL csvlog: one record per log message, fields quoted with "" escapes, a record may
// span lines. Columns used: 0 log_time, 1 user_name, 2 database_name, 4 connection_from,
// 11 error_severity, 13 message, 14 detail (the parameters of an extended-protocol execute).

const MAX_RECORD_BYTES = 1024 * 1024;
const MAX_FIELDS = 32;

export class PostgresCsvParser implements LineParser {
  private readonly ev: SlowEvent = newEvent('postgres');
  private record = new Uint8Array(64 * 1024);
  private recordLen = 0;
  private recordLines = 0;
  private recordOffset = 0;
  private quotes = 0;
  private dropping = false;
  private readonly starts = new Int32Array(MAX_FIELDS);
  private readonly ends = new Int32Array(MAX_FIELDS);
  private scratch = new Uint8Array(4096);
  private readonly users = new StringCache();
  private readonly dbs = new StringCache();
  private readonly hosts = new StringCache();

  constructor(
    private readonly sink: EventSink,
    private readonly skips: SkipCounter,
  ) {}

  line(buf: Uint8Array, start: number, end: number, offset: number): void {
    if (this.recordLines === 0) this.recordOffset = offset;
    this.recordLines++;
    for (let i = start; i < end; i++) if (buf[i] === 0x22) this.quotes++;
    const len = end - start;
    if (!this.dropping) {
      if (this.recordLen + len + 1 > MAX_RECORD_BYTES) {
        this.dropping = true;
      } else {
        if (this.recordLen + len + 1 > this.record.length) {
          const grown = new Uint8Array(
            Math.min(MAX_RECORD_BYTES, Math.max(this.recordLen + len + 1, this.record.length * 2)),
          );
          grown.set(this.record.subarray(0, this.recordLen));
          this.record = grown;
        }
        if (this.recordLen > 0) this.record[this.recordLen++] = 0x0a;
        this.record.set(buf.subarray(start, end), this.recordLen);
        this.recordLen += len;
      }
    }
    if ((this.quotes & 1) === 0) this.finishRecord();
  }

  flush(): void {
    if (this.recordLines > 0) {
      this.skips.skip('unterminated csvlog record', this.recordLines, this.recordOffset);
      this.reset();
    }
  }

  private reset(): void {
    this.recordLen = 0;
    this.recordLines = 0;
    this.quotes = 0;
    this.dropping = false;
  }

  private finishRecord(): void {
    const lines = this.recordLines;
    const offset = this.recordOffset;
    if (this.dropping) {
      this.reset();
      this.skips.skip(`csvlog record longer than ${MAX_RECORD_BYTES} bytes`, lines, offset);
      return;
    }
    const rec = this.record;
    let n = this.recordLen;
    if (n > 0 && rec[n - 1] === 0x0d) n--;
    this.reset();
    if (n === 0) return;
    const fields = this.split(rec, n);
    if (fields < 14) {
      this.skips.skip('not a csvlog record', lines, offset);
      return;
    }
    const s = this.starts;
    const e = this.ends;
    // the message, unescaped ("" -> ") into a scratch buffer
    const msgLen = this.unquote(rec, s[13]!, e[13]!);
    const msg = this.scratch;
    if (!isLog(rec, s[11]!, e[11]!)) return;
    const ev = this.ev;
    if (!parseDurationMessage(ev, msg, 0, msgLen)) return;
    ev.at = parseTimestamp(rec, s[0]!, e[0]!, true);
    ev.user = this.users.get(rec, s[1]!, e[1]!);
    ev.database = this.dbs.get(rec, s[2]!, e[2]!);
    let he = e[4]!;
    for (let k = s[4]!; k < he; k++) if (rec[k] === 0x3a) he = k; // host:port
    ev.host = this.hosts.get(rec, s[4]!, he);
    ev.params = null;
    if (fields > 14 && e[14]! > s[14]!) {
      const dl = this.unquote(rec, s[14]!, e[14]!);
      const detail = Buffer.from(this.scratch.buffer, 0, dl).toString('utf8');
      if (detail.startsWith('parameters: ')) ev.params = detail.slice(12);
    }
    ev.offset = offset;
    this.sink.event(ev);
  }

  /** Splits the record into field ranges (quotes excluded); returns the field count. */
  private split(rec: Uint8Array, n: number): number {
    let f = 0;
    let i = 0;
    while (i <= n && f < MAX_FIELDS) {
      if (i < n && rec[i] === 0x22) {
        let j = i + 1;
        while (j < n) {
          if (rec[j] === 0x22) {
            if (j + 1 < n && rec[j + 1] === 0x22) {
              j += 2;
              continue;
            }
            break;
          }
          j++;
        }
        this.starts[f] = i + 1;
        this.ends[f] = j;
        f++;
        i = j + 2; // past the quote and the comma
      } else {
        let j = i;
        while (j < n && rec[j] !== 0x2c) j++;
        this.starts[f] = i;
        this.ends[f] = j;
        f++;
        i = j + 1;
      }
    }
    return f;
  }

  private unquote(rec: Uint8Array, s: number, e: number): number {
    if (this.scratch.length < e - s) this.scratch = new Uint8Array(Math.max(e - s, this.scratch.length * 2));
    const out = this.scratch;
    let o = 0;
    for (let i = s; i < e; i++) {
      out[o++] = rec[i]!;
      if (rec[i] === 0x22 && i + 1 < e && rec[i + 1] === 0x22) i++;
    }
    return o;
  }
}

function isLog(rec: Uint8Array, s: number, e: number): boolean {
  return e - s === 3 && rec[s] === 0x4c && rec[s + 1] === 0x4f && rec[s + 2] === 0x47;
}
