import type { SandboxSession } from './server.js';

// An application's connection pool, engine-neutral: sessions come from the engine's sandbox
// client (SandboxEngine.connect), so the same workload runs on every engine. It behaves as the
// usual application pools do (node-postgres, HikariCP): at most `max` sessions, a caller waits
// up to `waitMs` for one, idle sessions are closed after `idleMs`, a session that failed is
// closed instead of going back.

/** The pool's own wait ran out (no server error: the server may be fine, the pool is exhausted). */
export class PoolWaitTimeout extends Error {
  constructor(waitMs: number) {
    super(`timed out after ${waitMs} ms waiting for a pooled connection`);
    this.name = 'PoolWaitTimeout';
  }
}

export interface AppPoolOptions {
  /** opens one session (the application's login, its application name) */
  open: () => Promise<SandboxSession>;
  max: number;
  /** how long acquire() waits for a session before PoolWaitTimeout */
  waitMs: number;
  /** idle sessions are closed after this long: a recovered server shows free slots */
  idleMs: number;
}

export interface PooledSession {
  query: SandboxSession['query'];
  /** gives the session back; with an error (or true) it is closed instead */
  release(error?: unknown): void;
}

interface Waiter {
  resolve: (session: SandboxSession) => void;
  reject: (error: unknown) => void;
}

export class AppPool {
  private readonly idle: { session: SandboxSession; timer: NodeJS.Timeout }[] = [];
  private readonly waiters: Waiter[] = [];
  /** sessions open or being opened */
  private total = 0;
  private ended = false;

  constructor(private readonly options: AppPoolOptions) {}

  get totalCount(): number {
    return this.total;
  }

  get idleCount(): number {
    return this.idle.length;
  }

  get waitingCount(): number {
    return this.waiters.length;
  }

  /** A session within waitMs (queueing and connecting together, as node-postgres's pool counts it), else PoolWaitTimeout. */
  async acquire(): Promise<PooledSession> {
    if (this.ended) throw new Error('the pool has ended');
    const session = await this.takeWithin(this.options.waitMs);
    let released = false;
    return {
      query: (sql, params) => session.query(sql, params),
      release: (error?: unknown) => {
        if (released) return;
        released = true;
        if (error !== undefined && error !== false) this.discard(session);
        else this.giveBack(session);
      },
    };
  }

  private takeWithin(waitMs: number): Promise<SandboxSession> {
    return new Promise((resolve, reject) => {
      let timedOut = false;
      const waiter: Waiter = {
        resolve: (session) => {
          clearTimeout(timer);
          // too late for this caller: the session goes to the next one
          if (timedOut) this.giveBack(session);
          else resolve(session);
        },
        reject: (error) => {
          clearTimeout(timer);
          if (!timedOut) reject(error);
        },
      };
      const timer = setTimeout(() => {
        timedOut = true;
        const at = this.waiters.indexOf(waiter);
        if (at >= 0) this.waiters.splice(at, 1);
        reject(new PoolWaitTimeout(waitMs));
      }, waitMs);
      this.take(waiter);
    });
  }

  /** An idle session, a new one while there is room, else a place in the queue. */
  private take(waiter: Waiter): void {
    const ready = this.idle.pop();
    if (ready) {
      clearTimeout(ready.timer);
      waiter.resolve(ready.session);
    } else if (this.total < this.options.max) {
      this.openOne().then(waiter.resolve, waiter.reject);
    } else {
      this.waiters.push(waiter);
    }
  }

  private async openOne(): Promise<SandboxSession> {
    this.total += 1;
    try {
      return await this.options.open();
    } catch (error) {
      this.total -= 1;
      // A slot in the pool freed: somebody waiting may try to open one.
      this.wakeOpener();
      throw error;
    }
  }

  private giveBack(session: SandboxSession): void {
    const waiter = this.waiters.shift();
    if (waiter) {
      waiter.resolve(session);
      return;
    }
    if (this.ended) {
      this.discard(session);
      return;
    }
    const entry = {
      session,
      timer: setTimeout(() => {
        const at = this.idle.indexOf(entry);
        if (at >= 0) this.idle.splice(at, 1);
        this.discard(session);
      }, this.options.idleMs),
    };
    entry.timer.unref();
    this.idle.push(entry);
  }

  private discard(session: SandboxSession): void {
    this.total -= 1;
    void session.close();
    this.wakeOpener();
  }

  /** A waiter gets a new session when the pool has room again. */
  private wakeOpener(): void {
    if (this.ended || this.total >= this.options.max) return;
    const waiter = this.waiters.shift();
    if (!waiter) return;
    this.openOne().then(waiter.resolve, waiter.reject);
  }

  /** Fails the waiters, closes idle sessions; sessions in use are closed as they come back. */
  async end(): Promise<void> {
    this.ended = true;
    for (const waiter of this.waiters.splice(0)) waiter.reject(new Error('the pool has ended'));
    const idle = this.idle.splice(0);
    for (const { timer } of idle) clearTimeout(timer);
    this.total -= idle.length;
    await Promise.all(idle.map(({ session }) => session.close()));
  }
}
