import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// Every throw-away server lives in its own `dbdiag-<purpose>-XXXXXX` directory under the
// system's temp directory, with a marker file saying who made it and which server process runs
// in it. The owner removes it when it stops the server and again on process exit; what a
// killed process leaves behind (SIGKILL, a crash, a power cut) is found later by its marker —
// the owner's pid no longer runs — and removed, with its server process, by removeLeftovers().

export const SANDBOX_DIR_PREFIX = 'dbdiag-';
export const MARKER_FILE = '.dbdiag-sandbox.json';

export interface SandboxMarker {
  /** what the directory is for: 'test', 'demo', 'drill', ... */
  purpose: string;
  /** the engine of the server inside, once known */
  engine: string | null;
  /** the process that made the directory; when it no longer runs, the directory is a leftover */
  ownerPid: number;
  /** the database server process running in the directory, null while none runs */
  serverPid: number | null;
  createdAt: string;
}

export interface SandboxDir {
  readonly path: string;
  /** records the server process (or null once stopped) and the engine in the marker */
  mark(update: Partial<Pick<SandboxMarker, 'engine' | 'serverPid'>>): void;
  /** removes the directory and everything in it (idempotent) */
  remove(): void;
}

export interface Leftover {
  path: string;
  marker: SandboxMarker;
  /** the server process that was still running and was killed */
  killedPid: number | null;
}

/** Things to undo synchronously if the process exits with sandboxes still up. */
const onExit = new Set<() => void>();
let exitHookInstalled = false;

/**
 * Runs `undo` when the process exits (normal end, process.exit, an uncaught error) unless it
 * was unregistered first. Returns the unregister function. Must be synchronous: at 'exit' the
 * event loop is gone.
 */
export function undoOnExit(undo: () => void): () => void {
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.once('exit', () => {
      for (const fn of onExit) {
        try {
          fn();
        } catch {
          // one failed cleanup must not stop the others
        }
      }
    });
  }
  onExit.add(undo);
  return () => {
    onExit.delete(undo);
  };
}

function writeMarker(path: string, marker: SandboxMarker): void {
  writeFileSync(join(path, MARKER_FILE), `${JSON.stringify(marker, null, 2)}\n`, { mode: 0o644 });
}

/** Creates `<tmpdir>/dbdiag-<purpose>-XXXXXX` with its marker; removed at process exit unless removed before. */
export function createSandboxDir(purpose: string, root: string = tmpdir()): SandboxDir {
  const path = mkdtempSync(join(root, `${SANDBOX_DIR_PREFIX}${purpose}-`));
  const marker: SandboxMarker = {
    purpose,
    engine: null,
    ownerPid: process.pid,
    serverPid: null,
    createdAt: new Date().toISOString(),
  };
  writeMarker(path, marker);
  let removed = false;
  const remove = () => {
    if (removed) return;
    removed = true;
    unregister();
    rmSync(path, { recursive: true, force: true });
  };
  const unregister = undoOnExit(remove);
  return {
    path,
    mark(update) {
      if (removed) return;
      Object.assign(marker, update);
      writeMarker(path, marker);
    },
    remove,
  };
}

/** Whether the process runs; a zombie (dead, not reaped — PID 1 of a container may never reap it) does not. */
export function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    // EPERM: it runs, as another user
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  try {
    // /proc/<pid>/stat: "pid (comm) state ...": Z = zombie, X = dead
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^\d+ \(.*\) [ZX]/s.test(stat);
  } catch {
    return true; // no /proc: trust kill(0)
  }
}

function readMarker(path: string): SandboxMarker | null {
  try {
    const parsed = JSON.parse(readFileSync(join(path, MARKER_FILE), 'utf8')) as Partial<SandboxMarker>;
    if (typeof parsed.ownerPid !== 'number' || typeof parsed.purpose !== 'string') return null;
    return {
      purpose: parsed.purpose,
      engine: parsed.engine ?? null,
      ownerPid: parsed.ownerPid,
      serverPid: typeof parsed.serverPid === 'number' ? parsed.serverPid : null,
      createdAt: parsed.createdAt ?? '',
    };
  } catch {
    return null;
  }
}

/** Whether `pid` is a process whose command line names `dir` (so a recycled pid is never killed). */
function runsIn(pid: number, dir: string): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(dir);
  } catch {
    return false;
  }
}

/** Sandbox directories (with a marker) whose owner process no longer runs. Directories without a marker are never touched. */
export function findLeftovers(root: string = tmpdir()): Omit<Leftover, 'killedPid'>[] {
  const found: Omit<Leftover, 'killedPid'>[] = [];
  let names: string[];
  try {
    names = readdirSync(root);
  } catch {
    return found;
  }
  for (const name of names) {
    if (!name.startsWith(SANDBOX_DIR_PREFIX)) continue;
    const path = join(root, name);
    try {
      if (!statSync(path).isDirectory()) continue;
    } catch {
      continue;
    }
    const marker = readMarker(path);
    if (marker === null || isRunning(marker.ownerPid)) continue;
    found.push({ path, marker });
  }
  return found;
}

/**
 * Removes every leftover sandbox: kills its server process if it still runs (SIGKILL — the data
 * is throw-away) and deletes the directory. Returns what it removed, for the caller to say so.
 */
export async function removeLeftovers(root: string = tmpdir()): Promise<Leftover[]> {
  const removed: Leftover[] = [];
  for (const leftover of findLeftovers(root)) {
    const pid = leftover.marker.serverPid;
    let killedPid: number | null = null;
    if (pid !== null && isRunning(pid) && runsIn(pid, leftover.path)) {
      process.kill(pid, 'SIGKILL');
      killedPid = pid;
      const deadline = Date.now() + 5000;
      while (isRunning(pid) && runsIn(pid, leftover.path) && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 20));
      }
    }
    rmSync(leftover.path, { recursive: true, force: true });
    removed.push({ ...leftover, killedPid });
  }
  return removed;
}
