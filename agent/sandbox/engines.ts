import { mysqlSandbox } from '../engines/mysql/sandbox-server.js';
import { postgresSandbox } from '../engines/postgres/sandbox-server.js';
import type { EngineName } from '../snapshot/signals.js';
import type { SandboxEngine, SandboxServer, SandboxServerOptions } from './server.js';

/**
 * The sandbox servers dbdiag can start, by engine; the compiler checks that every EngineName
 * has one. A new engine adds its agent/engines/<engine>/sandbox-server.ts here.
 * More than one server (a primary with a replica, issue #16) is a method beside `start` in
 * SandboxEngine, built in each engine's sandbox-server.ts from its freshDataDir + launch*
 * helpers (a pg_basebackup copy of the primary on PostgreSQL; a second install pointed at the
 * primary on MariaDB).
 */
export const sandboxEngines = {
  postgres: postgresSandbox,
  mysql: mysqlSandbox,
} satisfies Record<EngineName, SandboxEngine>;

export const SANDBOX_ENGINE_NAMES = Object.keys(sandboxEngines) as EngineName[];

/** Starts a throw-away server of the engine with the given settings. */
export function startSandboxServer(
  engine: EngineName,
  options: SandboxServerOptions = {},
): Promise<SandboxServer> {
  return sandboxEngines[engine].start(options);
}

/** The engine side of a running server: sessions, error classes, fault steps. */
export function sandboxEngineOf(server: Pick<SandboxServer, 'engine'>): SandboxEngine {
  return sandboxEngines[server.engine];
}
