import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { stringify } from 'yaml';
import { freePort } from './free-port.js';
import { until } from './until.js';

// A real `dbdiag agent` process, as an operator starts it (a config file, the CLI), for the
// console's browser tests: its base URL, its stderr, and a clean stop.

export const ROOT = resolve(import.meta.dirname, '..', '..');

/** the one wait helper of the tests (test/support/until.ts), for the console tests that import it from here */
export { until };

/** Bundles the console into dist/web (what `npm run build:web` does). */
export function buildConsole(): void {
  const built = spawnSync(process.execPath, ['scripts/build-web.mjs'], { cwd: ROOT, encoding: 'utf8' });
  if (built.status !== 0) throw new Error(`build-web failed: ${built.stderr}`);
}

export interface AgentProcess {
  base: string;
  dir: string;
  configFile: string;
  log(): string;
  stop(): Promise<void>;
}

/**
 * Starts the agent on a free port with `config` (listen and dataDir are filled in) and waits for
 * /healthz. The config file and the state live in a temp dir removed by stop().
 */
export async function startAgentProcess(config: Record<string, unknown>): Promise<AgentProcess> {
  const dir = mkdtempSync(join(tmpdir(), 'dbdiag-agent-'));
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const configFile = join(dir, 'dbdiag.yml');
  writeFileSync(
    configFile,
    stringify({ listen: `127.0.0.1:${port}`, dataDir: join(dir, 'state'), ...config }),
  );
  let output = '';
  const child: ChildProcess = spawn(
    process.execPath,
    ['--import', 'tsx', 'agent/cli/main.ts', 'agent', '--config', configFile],
    { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  child.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString('utf8');
  });
  const log = () => output;
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      await new Promise<void>((done) => {
        child.once('exit', () => done());
        child.kill('SIGTERM');
      });
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await until(
      'the agent',
      async () => {
        if (child.exitCode !== null) throw new Error('exited');
        return (await fetch(`${base}/healthz`)).ok ? true : undefined;
      },
      60_000,
      log,
    );
  } catch (error) {
    await stop();
    throw error;
  }
  return { base, dir, configFile, log, stop };
}
