import { ascii, indexOf, parseTimestamp } from '../bytes.js';
import { type EventSink, type LineParser, newEvent, type SlowEvent } from '../event.js';
import type { SkipCounter } from '../skips.js';
import { parseDurationMessage } from './postgres-stderr.js';

// PostgreSQL 15+ jsonlog: one JSON object per line. Only lines whose message is a duration
// record are decoded; other valid records are passed over without a JSON.parse.

const DURATION = ascii('"message":"duration: ');

interface JsonRecord {
  timestamp?: string;
  user?: string;
  dbname?: string;
  remote_host?: string;
  error_severity?: string;
  message?: string;
  detail?: string;
}

export class PostgresJsonParser implements LineParser {
  private readonly ev: SlowEvent = newEvent('postgres');

  constructor(
    private readonly sink: EventSink,
    private readonly skips: SkipCounter,
  ) {}

  line(buf: Uint8Array, start: number, end: number, offset: number): void {
    while (end > start && (buf[end - 1] === 0x0d || buf[end - 1] === 0x20)) end--;
    if (start === end) return;
    if (buf[start] !== 0x7b || buf[end - 1] !== 0x7d) {
      this.skips.skip('not a jsonlog record', 1, offset);
      return;
    }
    if (indexOf(buf, start, end, DURATION) < 0) return;
    let rec: JsonRecord;
    try {
      rec = JSON.parse(
        Buffer.from(buf.buffer, buf.byteOffset + start, end - start).toString('utf8'),
      ) as JsonRecord;
    } catch {
      this.skips.skip('invalid JSON', 1, offset);
      return;
    }
    if (rec.error_severity !== 'LOG' || typeof rec.message !== 'string') return;
    const msg = Buffer.from(rec.message, 'utf8');
    const ev = this.ev;
    if (!parseDurationMessage(ev, msg, 0, msg.length)) return;
    if (typeof rec.timestamp === 'string') {
      const t = Buffer.from(rec.timestamp);
      ev.at = parseTimestamp(t, 0, t.length, true);
    } else {
      ev.at = Number.NaN;
    }
    ev.user = rec.user ?? null;
    ev.database = rec.dbname ?? null;
    ev.host = rec.remote_host ?? null;
    ev.params =
      typeof rec.detail === 'string' && rec.detail.startsWith('parameters: ') ? rec.detail.slice(12) : null;
    ev.offset = offset;
    this.sink.event(ev);
  }

  flush(): void {}
}
