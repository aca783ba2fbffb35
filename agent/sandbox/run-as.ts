import { type ChildProcess, type SpawnOptions, spawn, spawnSync } from 'node:child_process';
import { chownSync, readdirSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';

// Sandboxes and tests run as root in CI, and database servers refuse to (PostgreSQL) or should not (MariaDB)
// run as root. Servers are started as an unprivileged account instead: spawn() with uid/gid,
// and their data directories chowned to it.

export interface RunAsUser {
  name: string;
  uid: number;
  gid: number;
}

function isRoot(): boolean {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}

function lookup(name: string): RunAsUser | null {
  const result = spawnSync('id', ['-u', name], { encoding: 'utf8' });
  if (result.status !== 0) return null;
  const gid = spawnSync('id', ['-g', name], { encoding: 'utf8' });
  return { name, uid: Number(result.stdout.trim()), gid: Number(gid.stdout.trim()) };
}

let cached: RunAsUser | null | undefined;

/**
 * The account servers run as: null when the tests do not run as root (then servers run as the
 * current user). Prefers the given names in order (e.g. 'postgres', 'mysql'), else 'nobody'.
 */
export function serverUser(preferred: readonly string[] = []): RunAsUser | null {
  if (!isRoot()) return null;
  if (cached !== undefined && preferred.length === 0) return cached;
  for (const name of [...preferred, 'nobody']) {
    const user = lookup(name);
    if (user !== null) {
      if (preferred.length === 0) cached = user;
      return user;
    }
  }
  throw new Error(
    `running as root and none of ${[...preferred, 'nobody'].join(', ')} exists to run servers as`,
  );
}

/** chown -R, so the server account owns the directory it writes to. No-op without a user. */
export function chownTree(path: string, user: RunAsUser | null): void {
  if (user === null) return;
  chownSync(path, user.uid, user.gid);
  for (const entry of readdirSync(path, { withFileTypes: true })) {
    const child = join(path, entry.name);
    if (entry.isDirectory()) chownTree(child, user);
    else chownSync(child, user.uid, user.gid);
  }
}

function asUserOptions(user: RunAsUser | null, options: SpawnOptions): SpawnOptions {
  if (user === null) return options;
  // HOME/USER of root would confuse tools that look for config files there.
  const env = { ...(options.env ?? process.env), HOME: '/tmp', USER: user.name, LOGNAME: user.name };
  return { ...options, uid: user.uid, gid: user.gid, env };
}

/** spawn() as the user (or as ourselves when user is null). */
export function spawnAs(
  user: RunAsUser | null,
  command: string,
  args: readonly string[],
  options: SpawnOptions = {},
): ChildProcess {
  return spawn(command, args, asUserOptions(user, options));
}

/** Runs a command to completion as the user; throws with its output when it fails. */
export async function runAs(
  user: RunAsUser | null,
  command: string,
  args: readonly string[],
  options: SpawnOptions = {},
): Promise<string> {
  const child = spawnAs(user, command, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (status) => resolve(status));
  });
  if (code !== 0) throw new Error(`${command} ${args.join(' ')} exited with ${code}:\n${output.trim()}`);
  return output;
}

/** The name of the account the tests run as, for messages. */
export function currentUserName(): string {
  return userInfo().username;
}
