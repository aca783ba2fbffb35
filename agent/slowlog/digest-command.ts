import { accessSync, constants, statSync } from 'node:fs';
import type { WriteStream } from 'node:tty';
import type { FormatChoice } from './formats.js';
import { digestInputs } from './read.js';
import { digestJson, renderText } from './report.js';

// What `dbdiag digest` does, apart from argument parsing (agent/cli/digest.ts), so tests and
// the benchmark run it in-process.

export interface DigestRun {
  files: string[];
  format: FormatChoice;
  top: number;
  since?: number | undefined;
  until?: number | undefined;
  json: boolean;
  linePrefix?: string | undefined;
  maxClasses?: number | undefined;
  threads?: number | undefined;
  onProgress?: ((done: number, total: number | null) => void) | undefined;
}

/** The one-line problem with a log path before any reading starts, or null. */
export function inputProblem(path: string): string | null {
  if (path === '-') return null;
  let stat: ReturnType<typeof statSync>;
  try {
    stat = statSync(path);
  } catch {
    return `log file "${path}" does not exist: check the path`;
  }
  if (stat.isDirectory()) return `"${path}" is a directory: give the log files in it (e.g. ${path}/*.log)`;
  if (!stat.isFile()) return `"${path}" is not a regular file: feed it on stdin (dbdiag digest - < ${path})`;
  try {
    accessSync(path, constants.R_OK);
  } catch {
    return `log file "${path}" is not readable by this user: check its permissions`;
  }
  return null;
}

export async function runDigest(run: DigestRun): Promise<string> {
  for (const f of run.files) {
    const problem = inputProblem(f);
    if (problem !== null) throw new Error(problem);
  }
  const { digest, inputs } = await digestInputs(run.files, {
    format: run.format,
    linePrefix: run.linePrefix,
    since: run.since,
    until: run.until,
    maxClasses: run.maxClasses,
    threads: run.threads,
    onProgress: run.onProgress,
  });
  const state = digest.state();
  if (run.json) return `${JSON.stringify(digestJson(state, inputs))}\n`;
  // the text shows --top classes: only those are converted (and their samples redacted)
  return renderText(digestJson(state, inputs, run.top), run.top, state.classes.length);
}

/** Files under this size finish before a bar would be read. */
const BAR_MIN_BYTES = 32 * 1024 * 1024;

/** A one-line progress bar redrawn on a terminal at most 10 times a second. */
export function progressBar(tty: WriteStream): {
  update: (done: number, total: number | null) => void;
  done: () => void;
} {
  let last = 0;
  let drawn = false;
  const started = Date.now();
  return {
    update(done, total) {
      const now = Date.now();
      if (now - last < 100) return;
      if (total !== null && total < BAR_MIN_BYTES) return;
      last = now;
      drawn = true;
      const mb = done / 1048576;
      const rate = mb / Math.max(0.001, (now - started) / 1000);
      if (total === null) {
        tty.write(`\r${mb.toFixed(0)} MB read, ${rate.toFixed(0)} MB/s   `);
        return;
      }
      const width = 30;
      const frac = Math.min(1, done / total);
      const full = Math.round(frac * width);
      tty.write(
        `\r[${'#'.repeat(full)}${'.'.repeat(width - full)}] ${(frac * 100).toFixed(0)}%  ${mb.toFixed(0)}/${(total / 1048576).toFixed(0)} MB  ${rate.toFixed(0)} MB/s `,
      );
    },
    done() {
      if (drawn) tty.write('\r\x1b[K');
    },
  };
}
