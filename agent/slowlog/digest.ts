import { decodeText, isUtf8Range, utf8CutEnd } from './bytes.js';
import type { SlowEvent } from './event.js';
import { Fingerprinter, type FingerprintResult, fingerprintId, type SqlDialect } from './fingerprint.js';
import { QuantileSketch } from './sketch.js';
import { SkipCounter, type SkipSummary } from './skips.js';

// The bounded aggregator: one class per fingerprint, at most `maxClasses` of them; when the cap
// is reached the classes with the least total time are folded into `other`, so memory stays
// flat whatever the log holds, and totals stay exact.

/** Sets of databases/users/hosts per class keep at most this many names. */
const MAX_NAMES = 16;
/** Fingerprints longer than this are kept as a prefix plus a hash of the whole. */
const MAX_FINGERPRINT_BYTES = 4096;
/** The worst sample is kept up to this many bytes. */
export const MAX_SAMPLE_BYTES = 64 * 1024;
export const OTHER_ID = 'other';

export interface DigestOptions {
  /** cap on distinct classes kept (default 2000) */
  maxClasses?: number;
  /** keep only events at or after (epoch ms) */
  since?: number;
  /** keep only events before (epoch ms) */
  until?: number;
}

export interface ClassStats {
  id: string;
  fingerprint: string;
  dialect: SqlDialect;
  count: number;
  totalSeconds: number;
  maxSeconds: number;
  minSeconds: number;
  lockSeconds: number;
  /** false when the log format has no row counts (PostgreSQL) */
  hasRows: boolean;
  rowsSent: number;
  rowsExamined: number;
  firstSeenAt: number | null;
  lastSeenAt: number | null;
  databases: string[];
  users: string[];
  hosts: string[];
  sketch: QuantileSketch;
  sample: string | null;
  sampleSeconds: number;
  sampleAt: number | null;
  sampleDatabase: string | null;
  sampleTruncated: boolean;
}

/** The transferable form of a digest (worker threads, persistence). */
export interface DigestState {
  classes: ClassStats[];
  skipped: SkipSummary;
  events: number;
  filtered: number;
  /** statements that were not valid UTF-8 and were read as Latin-1 */
  latin1: number;
}

export type ObservationListener = (classId: string, seconds: number) => void;

function newStats(id: string, fp: string, dialect: SqlDialect): ClassStats {
  return {
    id,
    fingerprint: fp,
    dialect,
    count: 0,
    totalSeconds: 0,
    maxSeconds: 0,
    minSeconds: Number.POSITIVE_INFINITY,
    lockSeconds: 0,
    hasRows: false,
    rowsSent: 0,
    rowsExamined: 0,
    firstSeenAt: null,
    lastSeenAt: null,
    databases: [],
    users: [],
    hosts: [],
    sketch: new QuantileSketch(),
    sample: null,
    sampleSeconds: -1,
    sampleAt: null,
    sampleDatabase: null,
    sampleTruncated: false,
  };
}

function addName(list: string[], name: string | null): void {
  if (name === null || name === '' || list.length >= MAX_NAMES) return;
  for (let i = 0; i < list.length; i++) if (list[i] === name) return;
  list.push(name);
}

/** Folds `b` into `a` (same class, or a class into `other`). */
export function mergeStats(a: ClassStats, b: ClassStats): void {
  a.count += b.count;
  a.totalSeconds += b.totalSeconds;
  a.maxSeconds = Math.max(a.maxSeconds, b.maxSeconds);
  a.minSeconds = Math.min(a.minSeconds, b.minSeconds);
  a.lockSeconds += b.lockSeconds;
  a.hasRows ||= b.hasRows;
  a.rowsSent += b.rowsSent;
  a.rowsExamined += b.rowsExamined;
  if (b.firstSeenAt !== null && (a.firstSeenAt === null || b.firstSeenAt < a.firstSeenAt))
    a.firstSeenAt = b.firstSeenAt;
  if (b.lastSeenAt !== null && (a.lastSeenAt === null || b.lastSeenAt > a.lastSeenAt))
    a.lastSeenAt = b.lastSeenAt;
  for (const n of b.databases) addName(a.databases, n);
  for (const n of b.users) addName(a.users, n);
  for (const n of b.hosts) addName(a.hosts, n);
  a.sketch.merge(b.sketch);
  if (b.sampleSeconds > a.sampleSeconds) {
    a.sample = b.sample;
    a.sampleSeconds = b.sampleSeconds;
    a.sampleAt = b.sampleAt;
    a.sampleDatabase = b.sampleDatabase;
    a.sampleTruncated = b.sampleTruncated;
  }
}

/** Replaces $n placeholders by the values of a `parameters: $1 = '5', $2 = NULL` detail. */
export function substituteParams(sql: string, params: string): string {
  const values = new Map<string, string>();
  const re = /\$(\d+) = ('(?:[^']|'')*'|NULL)/g;
  for (let m = re.exec(params); m !== null; m = re.exec(params)) values.set(m[1]!, m[2]!);
  if (values.size === 0) return sql;
  return sql.replace(/\$(\d+)\b/g, (whole, n: string) => values.get(n) ?? whole);
}

export class SlowLogDigest {
  readonly maxClasses: number;
  readonly skips = new SkipCounter();
  events = 0;
  /** events outside --since/--until */
  filtered = 0;
  /** statements that were not valid UTF-8, read as Latin-1 */
  latin1 = 0;
  private readonly since: number;
  private readonly until: number;
  /**
   * Classes by key: the dialect's letter and the fingerprint's bytes as Latin-1 (one character
   * per byte, so distinct bytes are distinct keys). V8 hashes and compares the key natively:
   * no per-byte loop of ours runs cold on the hot path.
   */
  private readonly table = new Map<string, ClassStats>();
  private other: ClassStats | null = null;
  private readonly fingerprinters: Record<SqlDialect, Fingerprinter> = {
    mysql: new Fingerprinter('mysql'),
    postgres: new Fingerprinter('postgres'),
  };
  private listener: ObservationListener | null = null;

  constructor(options: DigestOptions = {}) {
    this.maxClasses = Math.max(1, options.maxClasses ?? 2000);
    this.since = options.since ?? Number.NEGATIVE_INFINITY;
    this.until = options.until ?? Number.POSITIVE_INFINITY;
  }

  /** Called with (class id, seconds) for every event counted, e.g. to feed a histogram. */
  onObservation(listener: ObservationListener | null): void {
    this.listener = listener;
  }

  event(ev: SlowEvent): void {
    const at = ev.at;
    if (!Number.isNaN(at) && (at < this.since || at >= this.until)) {
      this.filtered++;
      return;
    }
    const fp = this.fingerprinters[ev.dialect].run(ev.stmt, 0, ev.stmtLength);
    if (fp.garbage > 0) {
      this.skips.skip('binary data in statement', 1, ev.offset);
      return;
    }
    if (fp.length === 0) {
      this.skips.skip('empty statement', 1, ev.offset);
      return;
    }
    const s = this.lookup(fp, ev.dialect);
    this.events++;
    if (!isUtf8Range(ev.stmt, 0, ev.stmtLength)) this.latin1++;
    const seconds = ev.seconds;
    s.count++;
    s.totalSeconds += seconds;
    if (seconds > s.maxSeconds) s.maxSeconds = seconds;
    if (seconds < s.minSeconds) s.minSeconds = seconds;
    if (!Number.isNaN(ev.lockSeconds)) s.lockSeconds += ev.lockSeconds;
    if (!Number.isNaN(ev.rowsExamined)) {
      s.hasRows = true;
      s.rowsExamined += ev.rowsExamined;
      if (!Number.isNaN(ev.rowsSent)) s.rowsSent += ev.rowsSent;
    }
    if (!Number.isNaN(at)) {
      if (s.firstSeenAt === null || at < s.firstSeenAt) s.firstSeenAt = at;
      if (s.lastSeenAt === null || at > s.lastSeenAt) s.lastSeenAt = at;
    }
    addName(s.databases, ev.database);
    addName(s.users, ev.user);
    addName(s.hosts, ev.host);
    s.sketch.add(seconds);
    if (seconds > s.sampleSeconds) this.takeSample(s, ev);
    if (this.listener !== null) this.listener(s.id, seconds);
  }

  private takeSample(s: ClassStats, ev: SlowEvent): void {
    const len = ev.stmtLength > MAX_SAMPLE_BYTES ? utf8CutEnd(ev.stmt, 0, MAX_SAMPLE_BYTES) : ev.stmtLength;
    let text = decodeText(ev.stmt, 0, len).trim();
    while (text.endsWith(';')) text = text.slice(0, -1).trimEnd();
    if (ev.params !== null) text = substituteParams(text, ev.params);
    s.sample = text;
    s.sampleSeconds = ev.seconds;
    s.sampleAt = !Number.isNaN(ev.at) ? ev.at : null;
    s.sampleDatabase = ev.database;
    s.sampleTruncated = len < ev.stmtLength;
  }

  private lookup(fp: FingerprintResult, dialect: SqlDialect): ClassStats {
    let bytes = fp.bytes;
    let length = fp.length;
    if (length > MAX_FINGERPRINT_BYTES) {
      // keep a prefix plus the hash of the whole as the identity
      const suffix = Buffer.from(` /* ${fnv(bytes, length).toString(16)}:${length} */`);
      const keep = utf8CutEnd(bytes, 0, MAX_FINGERPRINT_BYTES);
      const cut = Buffer.allocUnsafe(keep + suffix.length);
      cut.set(bytes.subarray(0, keep));
      cut.set(suffix, keep);
      bytes = cut;
      length = cut.length;
    }
    return this.find(bytes, length, dialect);
  }

  private find(bytes: Buffer, length: number, dialect: SqlDialect): ClassStats {
    const key = (dialect === 'mysql' ? 'm' : 'p') + bytes.toString('latin1', 0, length);
    const known = this.table.get(key);
    if (known !== undefined) return known;
    if (this.table.size >= this.maxClasses) {
      this.evict();
      return this.find(bytes, length, dialect);
    }
    const text = decodeText(bytes, 0, length);
    const stats = newStats(fingerprintId(text), text, dialect);
    this.table.set(key, stats);
    return stats;
  }

  /** Folds the least costly 10% of classes into `other`. */
  private evict(): void {
    const all = [...this.table];
    all.sort((a, b) => a[1].totalSeconds - b[1].totalSeconds);
    const n = Math.max(1, Math.floor(this.maxClasses / 10));
    if (this.other === null) this.other = newStats(OTHER_ID, OTHER_ID, all[0]?.[1].dialect ?? 'mysql');
    for (let i = 0; i < n && i < all.length; i++) mergeStats(this.other, all[i]![1]);
    // the kept classes in the same order as before: cheapest first
    this.table.clear();
    for (let i = n; i < all.length; i++) this.table.set(all[i]![0], all[i]![1]);
  }

  /** Every class (and `other` last, when it exists), most total time first. */
  classes(): ClassStats[] {
    const list = [...this.table.values()];
    list.sort((a, b) => b.totalSeconds - a.totalSeconds || b.count - a.count);
    if (this.other !== null) list.push(this.other);
    return list;
  }

  state(): DigestState {
    return {
      classes: this.classes(),
      skipped: this.skips.summary(),
      events: this.events,
      filtered: this.filtered,
      latin1: this.latin1,
    };
  }

  /** Adds a digest computed elsewhere (a worker's share of a file). */
  mergeState(state: DigestState): void {
    this.events += state.events;
    this.filtered += state.filtered;
    this.latin1 += state.latin1;
    this.skips.merge(state.skipped);
    for (const incoming of state.classes) {
      const s = rehydrate(incoming);
      if (s.id === OTHER_ID) {
        if (this.other === null) this.other = newStats(OTHER_ID, OTHER_ID, s.dialect);
        mergeStats(this.other, s);
        continue;
      }
      const bytes = Buffer.from(s.fingerprint, 'utf8');
      mergeStats(this.find(bytes, bytes.length, s.dialect), s);
    }
  }
}

function fnv(bytes: Uint8Array, length: number): number {
  let h = 0x811c9dc5;
  for (let k = 0; k < length; k++) h = Math.imul(h ^ bytes[k]!, 0x01000193);
  return h >>> 0;
}

/** Structured clone turns the sketch into a plain object: give it its methods back. */
function rehydrate(s: ClassStats): ClassStats {
  if (s.sketch instanceof QuantileSketch) return s;
  const plain = s.sketch as unknown as { counts: Uint32Array; zero: number; total: number };
  const sketch = new QuantileSketch(plain.counts);
  sketch.zero = plain.zero;
  sketch.total = plain.total;
  return { ...s, sketch };
}
