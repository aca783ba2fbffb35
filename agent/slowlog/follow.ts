import type { Stats } from 'node:fs';
import { type FileHandle, mkdir, open, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Logger } from '../log.js';
import { Backoff } from '../runtime/backoff.js';
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
// A fault never escapes a poll: a log that is missing, unreadable (a rotation that left it
// 0640 root), replaced by a directory or failing to read is recorded in status(), logged once
// when it starts and once when it clears, and retried with backoff. The read position is kept
// through the fault, so once the file can be read again nothing appended meanwhile is lost.
//
// Restarts never re-read old data and never lose new data: with `statePath`, the log path, the
// file identity (device + inode) and the offset read so far are saved (write + rename, so a full
// disk leaves the previous state intact). A restart resumes at the saved offset when the file is
// the same one and not shorter, reads it from 0 when the path names another file (rotated while
// the agent was down), and starts at the end only when no state was saved for this path.

const CHUNK_BYTES = 1024 * 1024;
/** bytes read per poll at most, so one poll never blocks the event loop for long */
const MAX_BYTES_PER_POLL = 64 * 1024 * 1024;
/** retry delays while the log cannot be read: 1 s doubling to 30 s */
const RETRY_INITIAL_MS = 1000;
const RETRY_MAX_MS = 30_000;

/** Why the log is not being read (or why the resume state cannot be saved). */
export const SLOWLOG_FAULTS = [
  'missing',
  'unreadable',
  'not-a-file',
  'read-failed',
  'state-write-failed',
] as const;
export type SlowLogFault = (typeof SLOWLOG_FAULTS)[number];

export interface SlowLogProblem {
  reason: SlowLogFault;
  /** errno code (ENOENT, EACCES, EISDIR, EIO, ENOSPC...) when the system gave one */
  code: string | null;
  message: string;
  /** when this problem started (epoch ms) */
  since: number;
}

export interface SlowLogStatus {
  path: string;
  /** the log is open and was read at the last attempt */
  readable: boolean;
  /** why the log is not being read; null while it is */
  problem: SlowLogProblem | null;
  /** why the resume state cannot be saved (the log may still be read); null when saved or not configured */
  stateProblem: SlowLogProblem | null;
  /** failed attempts since the agent started, by reason (for dbdiag_slowlog_errors_total) */
  errors: Readonly<Record<SlowLogFault, number>>;
  /** bytes of the current file read so far */
  offset: number;
  /** last successful read attempt (epoch ms) */
  lastReadAt: number | null;
  /** when the next attempt is due while the log cannot be read (epoch ms) */
  nextRetryAt: number | null;
}

export interface FollowOptions {
  path: string;
  format?: FormatChoice;
  linePrefix?: string;
  /** milliseconds between polls (default 1000) */
  pollMs?: number;
  /** file where the position is saved across restarts (optional) */
  statePath?: string;
  /** where faults and recoveries are logged (once per change) */
  log?: Logger;
}

interface SavedState {
  path: string;
  dev: number;
  ino: number;
  offset: number;
}

/** Which file is followed and how far it was read. */
interface Cursor {
  dev: number;
  ino: number;
  offset: number;
}

class FollowFault extends Error {
  constructor(
    readonly reason: SlowLogFault,
    readonly code: string | null,
    message: string,
  ) {
    super(message);
  }
}

function errnoCode(error: unknown): string | null {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  return typeof code === 'string' ? code : null;
}

/** Classifies a file-system error by its errno, never by its text. */
function asFault(error: unknown, path: string): FollowFault {
  if (error instanceof FollowFault) return error;
  const code = errnoCode(error);
  const detail = error instanceof Error ? error.message : String(error);
  switch (code) {
    case 'ENOENT':
    case 'ENOTDIR':
      return new FollowFault('missing', code, `slow log ${path} does not exist`);
    case 'EACCES':
    case 'EPERM':
      return new FollowFault('unreadable', code, `slow log ${path} is not readable by this user (${code})`);
    case 'EISDIR':
      return new FollowFault('not-a-file', code, `slow log ${path} is a directory, not a file`);
    default:
      return new FollowFault('read-failed', code, `cannot read slow log ${path}: ${detail}`);
  }
}

function noErrors(): Record<SlowLogFault, number> {
  return Object.fromEntries(SLOWLOG_FAULTS.map((f) => [f, 0])) as Record<SlowLogFault, number>;
}

export class SlowLogFollower {
  private fh: FileHandle | null = null;
  private cursor: Cursor | null = null;
  /** whether the path was ever looked at successfully (exists or not): until then, a restart may resume */
  private sawPath = false;
  private reader: LineReader | null = null;
  private parser: LineParser | null = null;
  private timer: NodeJS.Timeout | null = null;
  private polling: Promise<void> | null = null;
  private stopped = false;
  private readonly chunk = Buffer.allocUnsafe(CHUNK_BYTES);
  private readonly backoff = new Backoff(RETRY_INITIAL_MS, RETRY_MAX_MS);
  private problem: SlowLogProblem | null = null;
  private stateProblem: SlowLogProblem | null = null;
  private readonly errors = noErrors();
  private lastReadAt: number | null = null;
  private nextRetryAt: number | null = null;
  private savedJson: string | null = null;

  constructor(
    private readonly options: FollowOptions,
    private readonly digest: SlowLogDigest,
  ) {}

  /**
   * Opens the file (at its end, or at the saved position) and starts polling. Never rejects:
   * a log that cannot be read yet is reported in status() and retried.
   */
  async start(): Promise<void> {
    this.stopped = false;
    await this.poll();
    this.schedule();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    if (this.polling !== null) await this.polling;
    await this.closeFile();
    await this.saveState();
  }

  status(): SlowLogStatus {
    return {
      path: this.options.path,
      readable: this.fh !== null && this.problem === null,
      problem: this.problem,
      stateProblem: this.stateProblem,
      errors: { ...this.errors },
      offset: this.cursor?.offset ?? 0,
      lastReadAt: this.lastReadAt,
      nextRetryAt: this.problem === null ? null : this.nextRetryAt,
    };
  }

  /** One read cycle: what start()'s timer runs; tests call it directly. Never rejects. */
  poll(): Promise<void> {
    if (this.polling === null) {
      this.polling = this.pollOnce().finally(() => {
        this.polling = null;
      });
    }
    return this.polling;
  }

  private schedule(): void {
    if (this.stopped) return;
    const delay =
      this.problem === null
        ? (this.options.pollMs ?? 1000)
        : Math.max(0, (this.nextRetryAt ?? 0) - Date.now());
    this.timer = setTimeout(() => {
      void this.poll().then(() => this.schedule());
    }, delay);
    this.timer.unref();
  }

  private async pollOnce(): Promise<void> {
    const now = Date.now();
    try {
      await this.follow();
      this.cleared(now);
    } catch (error) {
      await this.faulted(asFault(error, this.options.path), now);
    }
    await this.saveState();
  }

  private cleared(now: number): void {
    this.lastReadAt = now;
    this.nextRetryAt = null;
    this.backoff.succeeded();
    if (this.problem !== null) {
      this.options.log?.info(
        { path: this.options.path, offset: this.cursor?.offset ?? 0, after: this.problem.reason },
        `slow log ${this.options.path} is readable again: following it from offset ${this.cursor?.offset ?? 0}`,
      );
      this.problem = null;
    }
  }

  private async faulted(fault: FollowFault, now: number): Promise<void> {
    this.errors[fault.reason] += 1;
    // A handle that failed to read is reopened on the next attempt (same file, same offset).
    if (fault.reason === 'read-failed') await this.closeFile();
    const delay = this.backoff.failed(now);
    this.nextRetryAt = now + delay;
    if (this.problem?.reason !== fault.reason || this.problem.message !== fault.message) {
      this.options.log?.warn(
        { path: this.options.path, reason: fault.reason, code: fault.code, retryInMs: Math.round(delay) },
        `${fault.message}; retrying with backoff`,
      );
      this.problem = { reason: fault.reason, code: fault.code, message: fault.message, since: now };
    }
  }

  private async closeFile(): Promise<void> {
    const fh = this.fh;
    this.fh = null;
    await fh?.close().catch(() => undefined);
  }

  /** Drops the parser state of the file that was followed: what comes next is another file. */
  private resetReader(): void {
    this.reader?.end();
    this.reader = null;
    this.parser = null;
  }

  /** One attempt: find the file the path names, open it if needed, read what was appended. */
  private async follow(): Promise<void> {
    const { path } = this.options;
    // The first look decides where following starts (saved offset or end); a path that could
    // not even be looked at (directory not searchable) leaves that decision for later.
    const initial = !this.sawPath;
    let st: Stats | null;
    try {
      st = await stat(path);
    } catch (error) {
      if (errnoCode(error) !== 'ENOENT') throw error;
      st = null;
    }
    this.sawPath = true;
    if (st === null) {
      // removed or renamed away: finish the open file, wait for the new one (read from its start)
      await this.readAvailable();
      throw new FollowFault('missing', 'ENOENT', `slow log ${path} does not exist`);
    }
    const same = this.cursor !== null && this.cursor.dev === st.dev && this.cursor.ino === st.ino;
    if (!same && this.fh !== null) {
      // rotated (or replaced): drain the old file first
      await this.readAvailable();
      this.resetReader();
      await this.closeFile();
    }
    if (!st.isFile()) {
      // the cursor stays: the same file moved back continues at its offset, another starts at 0
      throw new FollowFault(
        'not-a-file',
        st.isDirectory() ? 'EISDIR' : null,
        `slow log ${path} is a ${st.isDirectory() ? 'directory' : 'special file'}, not a file`,
      );
    }
    if (this.cursor === null) {
      this.cursor = initial ? await this.resumeFrom(st) : { dev: st.dev, ino: st.ino, offset: 0 };
    } else if (!same) {
      this.resetReader();
      this.cursor = { dev: st.dev, ino: st.ino, offset: 0 };
    }
    if (this.fh === null) {
      // The cursor is set before opening: a file unreadable now is read from this offset later.
      const fh = await open(path, 'r');
      const opened = await fh.stat();
      this.fh = fh;
      if (opened.dev !== this.cursor.dev || opened.ino !== this.cursor.ino) {
        // replaced between stat and open: the opened file is new
        this.resetReader();
        this.cursor = { dev: opened.dev, ino: opened.ino, offset: 0 };
      }
    }
    const size = (await this.fh.stat()).size;
    if (size < this.cursor.offset) {
      // truncated (copytruncate): what is there now is new
      this.resetReader();
      this.cursor.offset = 0;
    }
    const read = await this.readAvailable();
    // a quiet poll: the last entry is complete, count it (flush is a no-op without one)
    if (read === 0) this.parser?.flush();
  }

  /** Where following starts when the agent starts: the saved offset, 0 or the end of the file. */
  private async resumeFrom(st: Stats): Promise<Cursor> {
    const saved = await this.loadState();
    if (saved === null) return { dev: st.dev, ino: st.ino, offset: st.size };
    if (saved.dev === st.dev && saved.ino === st.ino && saved.offset <= st.size) {
      return { dev: st.dev, ino: st.ino, offset: saved.offset };
    }
    // rotated or truncated while the agent was down: everything in this file is new to us
    return { dev: st.dev, ino: st.ino, offset: 0 };
  }

  private async loadState(): Promise<SavedState | null> {
    const p = this.options.statePath;
    if (p === undefined) return null;
    let text: string;
    try {
      text = await readFile(p, 'utf8');
    } catch (error) {
      if (errnoCode(error) !== 'ENOENT')
        this.options.log?.warn(
          { statePath: p, code: errnoCode(error) },
          `cannot read the slow-log state file ${p}: starting at the end of the log`,
        );
      return null;
    }
    try {
      const s = JSON.parse(text) as Partial<SavedState>;
      if (
        s.path !== this.options.path ||
        typeof s.offset !== 'number' ||
        typeof s.ino !== 'number' ||
        typeof s.dev !== 'number'
      )
        return null;
      this.savedJson = text;
      return { path: s.path, dev: s.dev, ino: s.ino, offset: s.offset };
    } catch {
      this.options.log?.warn(
        { statePath: p },
        `slow-log state file ${p} is not valid JSON: starting at the end of the log`,
      );
      return null;
    }
  }

  /** Saves the cursor when it moved: write a temporary file, then rename it over the old one. */
  private async saveState(): Promise<void> {
    const p = this.options.statePath;
    if (p === undefined || this.cursor === null) return;
    const json = JSON.stringify({
      path: this.options.path,
      dev: this.cursor.dev,
      ino: this.cursor.ino,
      offset: this.cursor.offset,
    } satisfies SavedState);
    if (json === this.savedJson) return;
    const now = Date.now();
    try {
      await mkdir(dirname(p), { recursive: true });
      const tmp = `${p}.tmp`;
      await writeFile(tmp, json);
      await rename(tmp, p);
      this.savedJson = json;
      if (this.stateProblem !== null) {
        this.options.log?.info({ statePath: p }, `slow-log state file ${p} is written again`);
        this.stateProblem = null;
      }
    } catch (error) {
      this.errors['state-write-failed'] += 1;
      const code = errnoCode(error);
      const message = `cannot save the slow-log position to ${p} (${code ?? (error instanceof Error ? error.message : String(error))}): a restart now would start at the end of the log`;
      if (this.stateProblem?.message !== message) {
        this.options.log?.warn({ statePath: p, code }, message);
        this.stateProblem = { reason: 'state-write-failed', code, message, since: now };
      }
    }
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

  private async readAvailable(): Promise<number> {
    if (this.fh === null || this.cursor === null) return 0;
    const reader = await this.ensureReader();
    if (reader === null) return 0;
    let total = 0;
    while (total < MAX_BYTES_PER_POLL) {
      const { bytesRead } = await this.fh.read(this.chunk, 0, CHUNK_BYTES, this.cursor.offset);
      if (bytesRead <= 0) break;
      reader.push(this.chunk, 0, bytesRead);
      this.cursor.offset += bytesRead;
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

  /** Whether the log is being read, and why not (see SlowLogStatus). */
  status(): SlowLogStatus {
    return this.follower.status();
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
