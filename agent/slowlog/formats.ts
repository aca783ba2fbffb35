import type { EventSink, LineParser } from './event.js';
import { COMMON_PREFIXES, LogLinePrefix } from './parsers/log-line-prefix.js';
import { MysqlSlowLogParser } from './parsers/mysql.js';
import { PostgresCsvParser } from './parsers/postgres-csv.js';
import { PostgresJsonParser } from './parsers/postgres-json.js';
import { PostgresStderrParser } from './parsers/postgres-stderr.js';
import type { SkipCounter } from './skips.js';

// Which parser reads a log, by name or by a look at its first bytes.

export const LOG_FORMATS = ['mysql', 'postgres-stderr', 'postgres-csv', 'postgres-json'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];
export type FormatChoice = LogFormat | 'auto';

export interface ParserSpec {
  format: LogFormat;
  /** log_line_prefix of a stderr log */
  prefix: string | null;
}

function lines(sample: Uint8Array): string[] {
  return Buffer.from(sample.buffer, sample.byteOffset, sample.length)
    .toString('latin1')
    .split('\n')
    .slice(0, 400);
}

const CSV_LINE = /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d+)? [^,]*,("[^"]*")?,("[^"]*")?,\d+,/;

/** The format of a log from its first bytes (decompressed), or null when none fits. */
export function detectFormat(sample: Uint8Array): LogFormat | null {
  const all = lines(sample);
  for (const line of all) {
    if (line.startsWith('# User@Host:') || line.startsWith('# Query_time:') || line.startsWith('# Time:'))
      return 'mysql';
    if (/^\S+, Version: .*started with:/.test(line)) return 'mysql';
  }
  for (const line of all) {
    if (line.startsWith('{') && line.includes('"error_severity"')) return 'postgres-json';
    if (CSV_LINE.test(line)) return 'postgres-csv';
  }
  for (const line of all)
    if (/\b(LOG|ERROR|FATAL|WARNING|DETAIL|STATEMENT): {2}/.test(line)) return 'postgres-stderr';
  return null;
}

/** The log_line_prefix that matches most lines of the sample, among the common ones. */
export function detectPrefix(sample: Uint8Array): string {
  const buf = Buffer.from(sample.buffer, sample.byteOffset, sample.length);
  let best = COMMON_PREFIXES[COMMON_PREFIXES.length - 1]!;
  let bestHits = 0;
  for (const candidate of COMMON_PREFIXES) {
    const prefix = new LogLinePrefix(candidate);
    let hits = 0;
    let s = 0;
    for (let n = 0; n < 400 && s < buf.length; n++) {
      let e = buf.indexOf(0x0a, s);
      if (e < 0) e = buf.length;
      if (e > s && buf[s] !== 0x09 && prefix.match(buf, s, e) >= 0) hits++;
      s = e + 1;
    }
    if (hits > bestHits) {
      best = candidate;
      bestHits = hits;
    }
  }
  return best;
}

export function createParser(spec: ParserSpec, sink: EventSink, skips: SkipCounter): LineParser {
  switch (spec.format) {
    case 'mysql':
      return new MysqlSlowLogParser(sink, skips);
    case 'postgres-stderr':
      return new PostgresStderrParser(sink, skips, new LogLinePrefix(spec.prefix ?? COMMON_PREFIXES[0]!));
    case 'postgres-csv':
      return new PostgresCsvParser(sink, skips);
    case 'postgres-json':
      return new PostgresJsonParser(sink, skips);
  }
}

/** A line where a worker may begin or end its share of a file; null when the format cannot be split. */
export function boundaryOf(
  format: LogFormat,
): ((buf: Uint8Array, start: number, end: number) => boolean) | null {
  switch (format) {
    case 'mysql':
      return MysqlSlowLogParser.isBoundary;
    case 'postgres-stderr':
      return PostgresStderrParser.isBoundary;
    case 'postgres-json':
      return (buf, start, end) => end > start && buf[start] === 0x7b;
    case 'postgres-csv':
      return null;
  }
}

/** Counts every line as skipped: a file whose format is unknown. */
export class UnknownFormatParser implements LineParser {
  constructor(private readonly skips: SkipCounter) {}
  line(_buf: Uint8Array, _start: number, _end: number, offset: number): void {
    this.skips.skip('unknown log format', 1, offset);
  }
  flush(): void {}
}
