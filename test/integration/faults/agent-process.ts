import { type ChildProcess, spawnSync } from 'node:child_process';
import { chmodSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { freePort } from '../../support/free-port.js';
import { type RunAsUser, spawnAs } from '../../support/run-as.js';

// `dbdiag agent` as an operator runs it: its own process, under an unprivileged account, with a
// config file. A fault that escaped (an unhandled rejection, an uncaught 'error' event) ends this
// process for real, which is what the fault suite checks: it never has to, and nothing here
// installs a handler that would hide it.

const ROOT = resolve(import.meta.dirname, '..', '..', '..');

export interface AgentProcess {
  readonly url: string;
  readonly pid: number;
  /** null while it runs */
  exitStatus(): { code: number | null; signal: NodeJS.Signals | null } | null;
  /** everything it wrote to stderr (pino JSON lines and any crash report) */
  output(): string;
  /** log entries (parsed pino lines) whose msg matches */
  logged(pattern: RegExp): { level: number; msg: string; [key: string]: unknown }[];
  /** SIGTERM and wait: the agent saves its state and exits 0 */
  stop(): Promise<number | null>;
}

export interface AgentProcessOptions {
  /** the account it runs as (null: the current one) */
  user: RunAsUser | null;
  /** where the config file is written (readable by the user) */
  dir: string;
  /** the config without `listen` (a free loopback port is chosen) */
  config: Record<string, unknown>;
  /** open-file limit (prlimit --nofile), to exhaust descriptors for real */
  maxOpenFiles?: number;
  /** a fixed port (a restarted agent keeps its address) */
  port?: number;
  /** DBDIAG_LOG_LEVEL (default info) */
  logLevel?: string;
}

export async function startAgentProcess(options: AgentProcessOptions): Promise<AgentProcess> {
  const port = options.port ?? (await freePort());
  const configPath = join(options.dir, `agent-${port}.json`);
  writeFileSync(configPath, JSON.stringify({ ...options.config, listen: `127.0.0.1:${port}` }, null, 2));
  chmodSync(configPath, 0o644);
  const node = [
    process.execPath,
    '--import',
    'tsx',
    join(ROOT, 'agent/cli/main.ts'),
    'agent',
    '--config',
    configPath,
  ];
  const [command, ...args] =
    options.maxOpenFiles === undefined
      ? node
      : ['prlimit', `--nofile=${options.maxOpenFiles}:${options.maxOpenFiles}`, '--', ...node];
  const child: ChildProcess = spawnAs(options.user, command as string, args, {
    cwd: ROOT,
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, DBDIAG_LOG_LEVEL: options.logLevel ?? 'info' },
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  let exit: { code: number | null; signal: NodeJS.Signals | null } | null = null;
  const exited = new Promise<void>((r) =>
    child.once('exit', (code, signal) => {
      exit = { code, signal };
      r();
    }),
  );
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 90_000;
  for (;;) {
    if (exit !== null) throw new Error(`the agent exited at start (${JSON.stringify(exit)}):\n${stderr}`);
    try {
      if ((await fetch(`${url}/healthz`)).ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`the agent did not answer /healthz in 90 s:\n${stderr}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    url,
    pid: child.pid ?? -1,
    exitStatus: () => exit,
    output: () => stderr,
    logged(pattern) {
      const entries = [];
      for (const line of stderr.split('\n')) {
        if (!line.startsWith('{')) continue;
        try {
          const entry = JSON.parse(line) as { level: number; msg: string };
          if (pattern.test(entry.msg)) entries.push(entry);
        } catch {
          // a partial line still being written
        }
      }
      return entries;
    },
    async stop() {
      if (exit === null) child.kill('SIGTERM');
      await exited;
      return (exit as { code: number | null } | null)?.code ?? null;
    },
  };
}

/** GET /metrics; throws when it does not answer 200 within 5 s. */
export async function scrape(agent: AgentProcess): Promise<string> {
  const res = await fetch(`${agent.url}/metrics`, { signal: AbortSignal.timeout(5000) });
  if (res.status !== 200) throw new Error(`/metrics answered ${res.status}`);
  return res.text();
}

/** The value of the series `name{labels...}` (labels given as `target="x"` strings), or null. */
export function series(text: string, name: string, ...labels: string[]): number | null {
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`)) continue;
    if (labels.every((l) => line.includes(l))) return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return null;
}

export interface SlowLogDoc {
  path: string;
  readable: boolean;
  problem: { reason: string; code: string | null; message: string; since: string } | null;
  stateProblem: { reason: string; code: string | null; message: string } | null;
  errors: Record<string, number>;
  offset: number;
}

export interface TargetDoc {
  name: string;
  up: boolean;
  downReason: string | null;
  lastSampleAt: string | null;
  probes: { probe: string; status: string; code: string | null; message: string | null }[];
  slowLog: SlowLogDoc | null;
}

export async function targetDoc(agent: AgentProcess, name: string): Promise<TargetDoc> {
  const res = await fetch(`${agent.url}/api/targets`, { signal: AbortSignal.timeout(5000) });
  const doc = (await res.json()) as { targets: TargetDoc[] };
  const found = doc.targets.find((t) => t.name === name);
  if (found === undefined) throw new Error(`no target ${name} in /api/targets`);
  return found;
}

/** Polls until `check` returns a value (not undefined); the last error/value is in the failure. */
export async function eventually<T>(
  what: string,
  check: () => Promise<T | undefined>,
  timeoutMs = 60_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** The agent is alive and wrote no crash report. */
export function assertAlive(agent: AgentProcess): void {
  const exit = agent.exitStatus();
  if (exit !== null)
    throw new Error(`the agent exited (${JSON.stringify(exit)}):\n${agent.output().slice(-4000)}`);
  if (/Unhandled|uncaught|triggerUncaughtException/i.test(agent.output()))
    throw new Error(`the agent reported an uncaught error:\n${agent.output().slice(-4000)}`);
}

/** Mounts a tmpfs of `size` at `dir` (root only); returns an unmount function. */
export function mountTinyTmpfs(dir: string, size: string, owner: RunAsUser | null): () => void {
  const opts = [`size=${size}`, 'mode=0755', ...(owner ? [`uid=${owner.uid}`, `gid=${owner.gid}`] : [])];
  const res = spawnSync('mount', ['-t', 'tmpfs', '-o', opts.join(','), 'tmpfs', dir], { encoding: 'utf8' });
  if (res.status !== 0) throw new Error(`mount -t tmpfs failed: ${res.stderr}`);
  return () => {
    spawnSync('umount', ['-l', dir]);
  };
}
