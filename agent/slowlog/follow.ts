import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { type FileHandle, open, stat } from 'node:fs/promises';
import type { SlowLogSignals } from '../snapshot/signals.js';
import { type ClassStats, type ObservationListener, SlowLogDigest } from './digest.js';
import type { LineParser } from './event.js';
import { createParser, detectFormat, detectPrefix, type FormatChoice, type ParserSpec } from './formats.js';
import { LineReader } from './line-reader.js';
import { toSlowLogSignals } from './signals.js';

// Following a live slow log like `tail -F`: poll the path, read what was appended, notice
// rotation (the path now names another file: finish the old one, start the new one at 0) and
// truncation (the file got shorter: start again at 0).
//
// Restarts never re-read old data: with `statePath`, the file identity (device + inode) and the
// offset read so far are saved after every read, and a restart resumes there when the file is
// still the same one and not shorter; otherwise (no state, or another file) following starts at
// the end of the file, so statements logged before the agent started are not counted again.

const CHUNK_BYTES = 1024 * 1024;
/** bytes read per poll at most, so one poll never blocks the event loop for long */
const MAX_BYTES_PER_POLL = 64 * 1024 * 1024;

export interface FollowOptions {
  path: string;
  format?: FormatChoice;
  linePrefix?: string;
  /** milliseconds between polls (default 1000) */
  pollMs?: number;
  /** file where the position is saved across restarts (optional) */
  statePath?: string;
}

interface SavedState {
  dev: number;
  ino: number;
  offset: number;
}

export class SlowLogFollower {
  private fh: FileHandle | null = null;
  private dev = -1;
  private ino = -1;
  private position = 0;
  private reader: LineReader | null = null;
  private parser: LineParser | null = null;
  private timer: NodeJS.Timeout | null = null;
  private polling: Promise<void> | null = null;
  private readonly chunk = Buffer.allocUnsafe(CHUNK_BYTES);

  constructor(
    private readonly options: FollowOptions,
    private readonly digest: SlowLogDigest,
  ) {}

  /** Opens the file (at its end, or at the saved position) and starts polling. */
  async start(): Promise<void> {
    await this.openCurrent(true);
    const every = this.options.pollMs ?? 1000;
    const tick = () => {
      this.timer = setTimeout(async () => {
        await this.poll();
        if (this.timer !== null) tick();
      }, every);
      this.timer.unref();
    };
    tick();
  }

  async stop(): Promise<void> {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    if (this.polling !== null) await this.polling;
    await this.fh?.close();
    this.fh = null;
  }

  /** One read cycle: what start()'s timer runs; tests call it directly. */
  poll(): Promise<void> {
    if (this.polling === null) {
      this.polling = this.pollOnce().finally(() => {
        this.polling = null;
      });
    }
    return this.polling;
  }

  private async openCurrent(atStart: boolean): Promise<void> {
    let st: Awaited<ReturnType<typeof stat>>;
    try {
      st = await stat(this.options.path);
    } catch {
      return; // not there yet: a later poll opens it, from its start
    }
    this.fh = await open(this.options.path, 'r');
    this.dev = st.dev;
    this.ino = st.ino;
    this.position = 0;
    if (atStart) {
      const saved = this.loadState();
      if (saved !== null && saved.dev === st.dev && saved.ino === st.ino && saved.offset <= st.size) {
        this.position = saved.offset;
      } else {
        this.position = st.size;
      }
    }
    this.reader = null;
    this.parser = null;
  }

  private loadState(): SavedState | null {
    const p = this.options.statePath;
    if (p === undefined || !existsSync(p)) return null;
    try {
      const s = JSON.parse(readFileSync(p, 'utf8')) as SavedState;
      return typeof s.offset === 'number' && typeof s.ino === 'number' ? s : null;
    } catch {
      return null;
    }
  }

  private saveState(): void {
    const p = this.options.statePath;
    if (p === undefined) return;
    writeFileSync(
      p,
      JSON.stringify({ dev: this.dev, ino: this.ino, offset: this.position } satisfies SavedState),
    );
  }

  /** The parser is made on the first bytes of the file (format detection needs them). */
  private async ensureReader(): Promise<LineReader | null> {
    if (this.reader !== null) return this.reader;
    if (this.fh === null) return null;
    const head = Buffer.alloc(64 * 1024);
    const { bytesRead } = await this.fh.read(head, 0, head.length, 0);
    if (bytesRead === 0) return null;
    const sample = head.subarray(0, bytesRead);
    const format = this.options.format ?? 'auto';
    const f = format === 'auto' ? detectFormat(sample) : format;
    if (f === null) return null; // not recognisable yet: try again when more is written
    const spec: ParserSpec = {
      format: f,
      prefix: f === 'postgres-stderr' ? (this.options.linePrefix ?? detectPrefix(sample)) : null,
    };
    this.parser = createParser(spec, this.digest, this.digest.skips);
    this.reader = new LineReader(this.parser, this.digest.skips);
    return this.reader;
  }

  private async pollOnce(): Promise<void> {
    if (this.fh === null) {
      await this.openCurrent(false);
      if (this.fh === null) return;
    }
    let st: Awaited<ReturnType<typeof stat>> | null = null;
    try {
      st = await stat(this.options.path);
    } catch {
      st = null; // removed: keep reading the open file until the new one appears
    }
    if (st !== null && (st.ino !== this.ino || st.dev !== this.dev)) {
      // rotated: drain the old file, then follow the new one from its start
      await this.readAvailable();
      this.reader?.end();
      await this.fh.close();
      this.fh = null;
      await this.openCurrent(false);
      await this.readAvailable();
      this.saveState();
      return;
    }
    const size = (await this.fh.stat()).size;
    if (size < this.position) {
      // truncated (copytruncate): what is there now is new
      this.reader?.end();
      this.reader = null;
      this.position = 0;
    }
    const read = await this.readAvailable();
    // a quiet poll: the last entry is complete, count it (flush is a no-op without one)
    if (read === 0) this.parser?.flush();
    this.saveState();
  }

  private async readAvailable(): Promise<number> {
    if (this.fh === null) return 0;
    const reader = await this.ensureReader();
    if (reader === null) return 0;
    let total = 0;
    while (total < MAX_BYTES_PER_POLL) {
      const { bytesRead } = await this.fh.read(this.chunk, 0, CHUNK_BYTES, this.position);
      if (bytesRead <= 0) break;
      reader.push(this.chunk, 0, bytesRead);
      this.position += bytesRead;
      total += bytesRead;
    }
    return total;
  }
}

export interface SlowLogTrackerOptions extends FollowOptions {
  /** classes kept before the cheapest fold into `other` (default 1000) */
  maxClasses?: number;
}

/**
 * What the agent runs per target that names a slow log: a follower feeding a bounded digest,
 * cumulative since the tracker started. signals() is the snapshot's `slowlog` signal;
 * onObservation() hands every counted statement (class id, seconds) to the exporter for
 * dbdiag_slow_queries_total{target,query_id} and the query-time histogram.
 */
export class SlowLogTracker {
  readonly digest: SlowLogDigest;
  private readonly follower: SlowLogFollower;

  constructor(readonly options: SlowLogTrackerOptions) {
    this.digest = new SlowLogDigest({ maxClasses: options.maxClasses ?? 1000 });
    this.follower = new SlowLogFollower(options, this.digest);
  }

  onObservation(listener: ObservationListener | null): void {
    this.digest.onObservation(listener);
  }

  start(): Promise<void> {
    return this.follower.start();
  }

  stop(): Promise<void> {
    return this.follower.stop();
  }

  /** Reads what was appended since the last poll (the timer does this every pollMs). */
  poll(): Promise<void> {
    return this.follower.poll();
  }

  /** Every class, with its quantile sketch (class.sketch.quantile(0.95), .cumulative(bounds)). */
  classes(): ClassStats[] {
    return this.digest.classes();
  }

  /** The snapshot signal; `top` folds classes past the first `top` (by total time) into `other`. */
  signals(top?: number, at: number = Date.now()): SlowLogSignals {
    return toSlowLogSignals(this.digest.classes(), this.options.path, at, this.digest.skips.lines, top);
  }
}
