import { ENGINES } from '../engines/list.js';
import type { EngineName } from '../snapshot/signals.js';
import type { SandboxEngine, SandboxServer, SandboxServerOptions } from './server.js';

/**
 * The sandbox servers dbdiag can start, by engine, from the one list of engines
 * (agent/engines/list.ts): each engine's descriptor loads its sandbox-server.ts on first use, so
 * nothing here names an engine and a new engine adds nothing here.
 * More than one server (a primary with a replica, issue #16) is a method beside `start` in
 * SandboxEngine, built in each engine's sandbox-server.ts from its freshDataDir + launch*
 * helpers (a pg_basebackup copy of the primary on PostgreSQL; a second install pointed at the
 * primary on MariaDB).
 */
export const SANDBOX_ENGINE_NAMES: EngineName[] = ENGINES.map((engine) => engine.name);

const loaded = new Map<EngineName, SandboxEngine>();

/** The engine side of the sandbox (servers, sessions, error classes, fault steps), loaded once. */
export async function loadSandboxEngine(engine: EngineName): Promise<SandboxEngine> {
  let side = loaded.get(engine);
  if (side === undefined) {
    const descriptor = ENGINES.find((e) => e.name === engine);
    if (descriptor === undefined) throw new Error(`no such engine: ${engine}`);
    side = await descriptor.loadSandbox();
    loaded.set(engine, side);
  }
  return side;
}

/** Starts a throw-away server of the engine with the given settings. */
export async function startSandboxServer(
  engine: EngineName,
  options: SandboxServerOptions = {},
): Promise<SandboxServer> {
  return (await loadSandboxEngine(engine)).start(options);
}

/**
 * The engine side of a running server: sessions, error classes, fault steps. Its server was
 * started through this module (startSandboxServer / loadSandboxEngine), so it is loaded.
 */
export function sandboxEngineOf(server: Pick<SandboxServer, 'engine'>): SandboxEngine {
  const side = loaded.get(server.engine);
  if (side === undefined)
    throw new Error(
      `the ${server.engine} sandbox is not loaded: start its servers with startSandboxServer or loadSandboxEngine`,
    );
  return side;
}
