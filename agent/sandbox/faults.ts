import { sandboxEngineOf } from './engines.js';
import type { ConnectOptions, SandboxServer, SandboxSession } from './server.js';

// Fault primitives on a sandbox server, the same for every engine: hold connection slots, leave
// sessions idle in a transaction, hold a table lock, terminate sessions; stopping, killing and
// restarting the server are methods of SandboxServer itself. Each primitive returns a handle
// whose release() undoes it (idempotent), so a drill or a test can always clean up.

export interface HeldSessions {
  readonly sessions: readonly SandboxSession[];
  /** true when the server refused a connection before `count` were open (it is full) */
  readonly refused: boolean;
  /** closes every session (never throws) */
  release(): Promise<void>;
}

async function closeAll(sessions: SandboxSession[]): Promise<void> {
  await Promise.all(sessions.splice(0).map((s) => s.close()));
}

function held(sessions: SandboxSession[], refused: boolean): HeldSessions {
  return { sessions, refused, release: () => closeAll(sessions) };
}

/**
 * Opens `count` sessions and keeps them (Infinity: until the server refuses one as full).
 * A refusal for a full server ends the filling quietly (`refused`); any other error closes
 * what was opened and throws.
 */
export async function holdConnections(
  server: SandboxServer,
  count: number,
  as: ConnectOptions = {},
): Promise<HeldSessions> {
  const engine = sandboxEngineOf(server);
  const sessions: SandboxSession[] = [];
  while (sessions.length < count) {
    try {
      sessions.push(await server.connect(as));
    } catch (error) {
      if (engine.classifyError(error) === 'too-many-connections') return held(sessions, true);
      await closeAll(sessions);
      throw error;
    }
  }
  return held(sessions, false);
}

/** Takes every slot an ordinary session can take: holdConnections until the server refuses one. */
export function fillConnections(server: SandboxServer, as: ConnectOptions = {}): Promise<HeldSessions> {
  return holdConnections(server, Number.POSITIVE_INFINITY, as);
}

/**
 * Opens the next session that frees, retrying while the server is full (for `waitMs`): to take
 * a slot back the moment somebody (e.g. the agent) loses theirs.
 */
export async function grabFreedSlot(
  server: SandboxServer,
  as: ConnectOptions = {},
  waitMs = 5000,
): Promise<SandboxSession> {
  const engine = sandboxEngineOf(server);
  const deadline = Date.now() + waitMs;
  for (;;) {
    try {
      return await server.connect(as);
    } catch (error) {
      if (engine.classifyError(error) !== 'too-many-connections' || Date.now() > deadline) throw error;
      await new Promise((r) => setTimeout(r, 10));
    }
  }
}

/**
 * `count` sessions each in an open transaction that has read `table` (or run SELECT 1) and
 * then does nothing: a connection leak as an application with a forgotten COMMIT makes it.
 */
export async function idleInTransaction(
  server: SandboxServer,
  count: number,
  options: ConnectOptions & { table?: string } = {},
): Promise<HeldSessions> {
  const { table, ...as } = options;
  const engine = sandboxEngineOf(server);
  const sessions: SandboxSession[] = [];
  try {
    for (let i = 0; i < count; i++) {
      const session = await server.connect(as);
      sessions.push(session);
      await engine.faults.idleInTransaction(session, table);
    }
  } catch (error) {
    await closeAll(sessions);
    throw error;
  }
  return held(sessions, false);
}

/**
 * A connection leak until the server is full: sessions each left idle in a transaction that
 * read `table`, opened until the server refuses one, then for `topUpMs` more every slot another
 * client frees is taken too (the leak keeps growing as the application's pool does).
 */
export async function leakConnections(
  server: SandboxServer,
  options: ConnectOptions & { table?: string; topUpMs?: number } = {},
): Promise<HeldSessions> {
  const { table, topUpMs = 500, ...as } = options;
  const engine = sandboxEngineOf(server);
  const sessions: SandboxSession[] = [];
  const until = Date.now() + 60_000;
  let fullSince: number | null = null;
  try {
    while (Date.now() < until) {
      let session: SandboxSession;
      try {
        session = await server.connect(as);
      } catch (error) {
        if (engine.classifyError(error) !== 'too-many-connections') throw error;
        fullSince ??= Date.now();
        if (Date.now() - fullSince >= topUpMs) return held(sessions, true);
        await new Promise((r) => setTimeout(r, 20));
        continue;
      }
      sessions.push(session);
      await engine.faults.idleInTransaction(session, table);
    }
  } catch (error) {
    await closeAll(sessions);
    throw error;
  }
  return held(sessions, fullSince !== null);
}

/** One session in a transaction that keeps its snapshot of `table`: vacuum / purge cannot clean behind it. */
export async function holdSnapshot(
  server: SandboxServer,
  table: string,
  as: ConnectOptions = {},
): Promise<HeldSessions> {
  const session = await server.connect(as);
  try {
    await sandboxEngineOf(server).faults.holdSnapshot(session, table);
  } catch (error) {
    await session.close();
    throw error;
  }
  return held([session], false);
}

export interface LockHolder {
  readonly session: SandboxSession;
  /** ends the lock (commit / UNLOCK TABLES) and closes the session */
  release(): Promise<void>;
}

/** One session holding a lock on `table` that blocks its readers and writers until release(). */
export async function holdTableLock(
  server: SandboxServer,
  table: string,
  as: ConnectOptions = {},
): Promise<LockHolder> {
  const engine = sandboxEngineOf(server);
  const session = await server.connect(as);
  try {
    await engine.faults.lockTable(session, table);
  } catch (error) {
    await session.close();
    throw error;
  }
  let released = false;
  return {
    session,
    release: async () => {
      if (released) return;
      released = true;
      await engine.faults.unlockTable(session).catch(() => undefined);
      await session.close();
    },
  };
}

/**
 * Terminates the server's client sessions matching the filter (by user; by application name
 * where the engine has one), from a short-lived administrator session. Returns how many ended.
 */
export async function terminateSessions(
  server: SandboxServer,
  filter: { user?: string; applicationName?: string } = {},
): Promise<number> {
  const admin = await server.connect();
  try {
    return await sandboxEngineOf(server).faults.terminateSessions(admin, filter);
  } finally {
    await admin.close();
  }
}
