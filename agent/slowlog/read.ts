import { closeSync, createReadStream, openSync, readSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import type { Readable } from 'node:stream';
import { pathToFileURL } from 'node:url';
import type { Worker } from 'node:worker_threads';
import { type DigestOptions, type DigestState, SlowLogDigest } from './digest.js';
import {
  boundaryOf,
  createParser,
  detectFormat,
  detectPrefix,
  type FormatChoice,
  type LogFormat,
  type ParserSpec,
  UnknownFormatParser,
} from './formats.js';
import { LineReader } from './line-reader.js';

// Reading logs into a digest: files of any size (read in fixed chunks), gzip files, stdin.
// A large plain file is cut into byte ranges read by worker threads, each starting and ending
// on an entry boundary; their digests merge exactly (counts, sums, sketches).

const CHUNK_BYTES = 4 * 1024 * 1024;
const SAMPLE_BYTES = 64 * 1024;
/** Below this a file is read on the main thread: starting workers costs more than it saves. */
const PARALLEL_MIN_BYTES = 64 * 1024 * 1024;

export interface ReadOptions extends DigestOptions {
  format?: FormatChoice;
  /** log_line_prefix of a stderr log; detected among common ones when omitted */
  linePrefix?: string;
  /** worker threads for large files; default: the machine's cores (1 disables) */
  threads?: number;
  /** files at least this large are split over worker threads (default 64 MiB) */
  parallelMinBytes?: number;
  /** called as bytes are read (compressed bytes for .gz), with the total when known */
  onProgress?: (done: number, total: number | null) => void;
}

export interface InputReport {
  path: string;
  format: LogFormat | 'unknown';
  prefix: string | null;
  bytes: number;
}

export interface DigestResult {
  digest: SlowLogDigest;
  inputs: InputReport[];
}

/** Reads a gzip stream; a cut or damaged .gz is an error naming the input, never an empty digest. */
async function readGzip<T>(label: string, read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? '';
    if (!code.startsWith('Z_')) throw error;
    throw new Error(`${label}: the gzip data is truncated or corrupt (${(error as Error).message})`, {
      cause: error,
    });
  }
}

/** zlib is loaded for .gz input only */
async function gunzip() {
  const { createGunzip } = await import('node:zlib');
  return createGunzip();
}

function isGzip(sample: Uint8Array): boolean {
  return sample.length >= 2 && sample[0] === 0x1f && sample[1] === 0x8b;
}

async function firstBytes(stream: Readable): Promise<{ sample: Buffer; rest: Readable }> {
  // read the head of a stream for detection, then hand back a stream that replays it
  const { PassThrough } = await import('node:stream');
  const out = new PassThrough({ highWaterMark: CHUNK_BYTES });
  const parts: Buffer[] = [];
  let have = 0;
  return new Promise((resolve, reject) => {
    let resolved = false;
    const done = () => {
      if (resolved) return;
      resolved = true;
      const sample = Buffer.concat(parts);
      out.write(sample);
      // pipe() does not forward errors: a gzip error after the head must reach the reader
      stream.once('error', (error) => out.destroy(error));
      stream.pipe(out);
      resolve({ sample, rest: out });
    };
    const onData = (chunk: Buffer) => {
      parts.push(chunk);
      have += chunk.length;
      if (have >= SAMPLE_BYTES) {
        stream.pause();
        stream.off('data', onData);
        stream.off('end', onEnd);
        done();
      }
    };
    const onEnd = () => {
      stream.off('data', onData);
      done();
      out.end();
    };
    stream.on('data', onData);
    stream.once('end', onEnd);
    stream.once('error', reject);
  });
}

function specFor(
  format: FormatChoice,
  sample: Uint8Array,
  linePrefix: string | undefined,
): ParserSpec | null {
  const f = format === 'auto' ? detectFormat(sample) : format;
  if (f === null) return null;
  return { format: f, prefix: f === 'postgres-stderr' ? (linePrefix ?? detectPrefix(sample)) : null };
}

/** Reads one stream to its end through the parser for `spec` into `digest`. */
export async function digestStream(
  stream: Readable,
  spec: ParserSpec | null,
  digest: SlowLogDigest,
  onBytes?: (n: number) => void,
): Promise<void> {
  const parser =
    spec === null ? new UnknownFormatParser(digest.skips) : createParser(spec, digest, digest.skips);
  const reader = new LineReader(parser, digest.skips);
  for await (const chunk of stream) {
    const buf = chunk as Buffer;
    reader.push(buf);
    onBytes?.(buf.length);
  }
  reader.end();
}

/** Reads buf-sized chunks of fd[start, end) (extending past end to the next boundary) into the digest. */
export function digestRange(
  path: string,
  start: number,
  end: number,
  spec: ParserSpec,
  digest: SlowLogDigest,
  onBytes?: (n: number) => void,
): void {
  const boundary = boundaryOf(spec.format);
  const parser = createParser(spec, digest, digest.skips);
  let started = start === 0;
  let skipPartial = false;
  // lines before this range's first boundary belong to the previous range
  const gate = {
    line(buf: Uint8Array, s: number, e: number, offset: number) {
      if (skipPartial) {
        skipPartial = false;
        return;
      }
      if (!started) {
        if (boundary === null || !boundary(buf, s, e)) return;
        started = true;
      }
      parser.line(buf, s, e, offset);
    },
    flush() {
      parser.flush();
    },
  };
  const gated = new LineReader(gate, digest.skips);
  gated.offset = start;
  if (boundary !== null) gated.stopAt = (buf, s, e, offset) => offset >= end && boundary(buf, s, e);
  const fd = openSync(path, 'r');
  try {
    const chunk = Buffer.allocUnsafe(CHUNK_BYTES);
    let pos = start;
    // a line starting before `start` is the previous range's: skip to the first full line
    if (start > 0) {
      const n = readSync(fd, chunk, 0, 1, start - 1);
      if (n === 1 && chunk[0] !== 0x0a) skipPartial = true;
    }
    while (!gated.stopped) {
      const n = readSync(fd, chunk, 0, CHUNK_BYTES, pos);
      if (n <= 0) break;
      gated.push(chunk, 0, n);
      onBytes?.(Math.min(n, Math.max(0, end - pos)));
      pos += n;
    }
    gated.end();
  } finally {
    closeSync(fd);
  }
}

interface WorkerJob {
  path: string;
  start: number;
  end: number;
  spec: ParserSpec;
  options: DigestOptions;
}

async function startWorker(workerData: WorkerJob): Promise<Worker> {
  // loaded here, as zlib for .gz: a small log (and `dbdiag digest`'s start) needs neither
  const { Worker } = await import('node:worker_threads');
  const self = import.meta.url;
  if (!self.endsWith('.ts')) return new Worker(new URL('./worker.js', self), { workerData });
  // running from source (tsx, vitest): register the TypeScript loader in the worker first
  // the ESM build of tsx's API (require.resolve finds the CJS one next to it)
  const api = JSON.stringify(
    pathToFileURL(
      createRequire(self)
        .resolve('tsx/esm/api')
        .replace(/\.cjs$/, '.mjs'),
    ).href,
  );
  const entry = JSON.stringify(new URL('./worker.ts', self).href);
  return new Worker(`import(${api}).then((m) => { m.register(); return import(${entry}); });`, {
    eval: true,
    workerData,
  });
}

async function digestParallel(
  path: string,
  size: number,
  spec: ParserSpec,
  threads: number,
  digest: SlowLogDigest,
  options: ReadOptions,
  onBytes: (n: number) => void,
): Promise<void> {
  const share = Math.ceil(size / threads);
  const jobs: Promise<DigestState>[] = [];
  for (let t = 0; t < threads; t++) {
    const job: WorkerJob = {
      path,
      start: t * share,
      end: Math.min(size, (t + 1) * share),
      spec,
      options: { maxClasses: digest.maxClasses, since: options.since, until: options.until },
    };
    jobs.push(
      startWorker(job).then(
        (worker) =>
          new Promise<DigestState>((resolve, reject) => {
            worker.on('message', (msg: { progress?: number; state?: DigestState }) => {
              if (msg.progress !== undefined) onBytes(msg.progress);
              if (msg.state !== undefined) resolve(msg.state);
            });
            worker.once('error', reject);
            worker.once('exit', (code) => {
              if (code !== 0) reject(new Error(`digest worker exited with code ${code}`));
            });
          }),
      ),
    );
  }
  for (const state of await Promise.all(jobs)) digest.mergeState(state);
}

/** Digests files ('-' for stdin) into one digest. */
export async function digestInputs(
  paths: readonly string[],
  options: ReadOptions = {},
): Promise<DigestResult> {
  const digest = new SlowLogDigest(options);
  const inputs: InputReport[] = [];
  let done = 0;
  const onBytes = (n: number, total: number | null) => {
    done += n;
    options.onProgress?.(done, total);
  };
  let total: number | null = 0;
  for (const p of paths) {
    if (p === '-' || total === null) total = null;
    else total += statSync(p).size;
  }
  for (const path of paths) {
    const format = options.format ?? 'auto';
    if (path === '-') {
      const spec = await readGzip('stdin', async () => {
        let { sample, rest } = await firstBytes(process.stdin);
        if (isGzip(sample)) ({ sample, rest } = await firstBytes(rest.pipe(await gunzip())));
        const detected = specFor(format, sample, options.linePrefix);
        await digestStream(rest, detected, digest, (n) => onBytes(n, total));
        return detected;
      });
      inputs.push({ path, format: spec?.format ?? 'unknown', prefix: spec?.prefix ?? null, bytes: done });
      continue;
    }
    const size = statSync(path).size;
    const head = Buffer.alloc(Math.min(SAMPLE_BYTES, size));
    const fd = openSync(path, 'r');
    try {
      readSync(fd, head, 0, head.length, 0);
    } finally {
      closeSync(fd);
    }
    if (isGzip(head)) {
      const spec = await readGzip(`"${path}"`, async () => {
        const { sample, rest } = await firstBytes(createReadStream(path).pipe(await gunzip()));
        const detected = specFor(format, sample, options.linePrefix);
        // progress counts decompressed bytes against the compressed size: report none
        await digestStream(rest, detected, digest, (n) => onBytes(n, null));
        return detected;
      });
      inputs.push({ path, format: spec?.format ?? 'unknown', prefix: spec?.prefix ?? null, bytes: size });
      continue;
    }
    const spec = specFor(format, head, options.linePrefix);
    inputs.push({ path, format: spec?.format ?? 'unknown', prefix: spec?.prefix ?? null, bytes: size });
    if (spec === null) {
      await digestStream(createReadStream(path, { highWaterMark: CHUNK_BYTES }), null, digest, (n) =>
        onBytes(n, total),
      );
      continue;
    }
    const threads = Math.max(1, Math.min(options.threads ?? availableParallelism(), 8));
    if (
      threads > 1 &&
      size >= (options.parallelMinBytes ?? PARALLEL_MIN_BYTES) &&
      boundaryOf(spec.format) !== null
    ) {
      await digestParallel(path, size, spec, threads, digest, options, (n) => onBytes(n, total));
    } else {
      digestRange(path, 0, size, spec, digest, (n) => onBytes(n, total));
    }
  }
  return { digest, inputs };
}
