import { describe, expect, it } from 'vitest';
import { AppPool, PoolWaitTimeout } from '../../../agent/sandbox/app-pool.js';
import type { SandboxSession } from '../../../agent/sandbox/server.js';

// The application pool's own bookkeeping (no database behaviour involved: sessions are plain
// objects that count how they are used).

function sessions() {
  let next = 0;
  const closed: number[] = [];
  const open = async (): Promise<SandboxSession> => {
    next += 1;
    const id = next;
    return { id, query: async () => [{ id }], close: async () => void closed.push(id) };
  };
  return { open, closed, opened: () => next };
}

describe('AppPool', () => {
  it('opens at most max sessions and reuses a released one', async () => {
    const s = sessions();
    const pool = new AppPool({ open: s.open, max: 2, waitMs: 1000, idleMs: 60_000 });
    const a = await pool.acquire();
    const b = await pool.acquire();
    expect(pool.totalCount).toBe(2);
    const waiting = pool.acquire();
    expect(pool.waitingCount).toBe(1);
    a.release();
    const c = await waiting;
    expect(await c.query('x')).toEqual([{ id: 1 }]);
    expect(s.opened()).toBe(2);
    b.release();
    c.release();
    expect(pool.idleCount).toBe(2);
    await pool.end();
    expect(s.closed.sort()).toEqual([1, 2]);
  });

  it('fails a caller with PoolWaitTimeout when no session frees within waitMs', async () => {
    const s = sessions();
    const pool = new AppPool({ open: s.open, max: 1, waitMs: 50, idleMs: 60_000 });
    const held = await pool.acquire();
    await expect(pool.acquire()).rejects.toBeInstanceOf(PoolWaitTimeout);
    expect(pool.waitingCount).toBe(0);
    held.release();
    await pool.end();
  });

  it('counts connecting time in the wait, and gives a session that came too late to the next caller', async () => {
    let release: (() => void) | null = null;
    const slow = async (): Promise<SandboxSession> => {
      await new Promise<void>((r) => {
        release = r;
      });
      return { id: 7, query: async () => [], close: async () => undefined };
    };
    const pool = new AppPool({ open: slow, max: 1, waitMs: 30, idleMs: 60_000 });
    await expect(pool.acquire()).rejects.toBeInstanceOf(PoolWaitTimeout);
    (release as unknown as () => void)();
    await new Promise((r) => setTimeout(r, 10));
    expect(pool.idleCount).toBe(1);
    expect(pool.totalCount).toBe(1);
    await pool.end();
  });

  it('closes a session released with an error instead of reusing it, and a failed open frees its place', async () => {
    const s = sessions();
    let fail = false;
    const open = async () => {
      if (fail) throw Object.assign(new Error('too many'), { code: '53300' });
      return s.open();
    };
    const pool = new AppPool({ open, max: 1, waitMs: 1000, idleMs: 60_000 });
    const a = await pool.acquire();
    a.release(new Error('statement failed'));
    expect(s.closed).toEqual([1]);
    expect(pool.totalCount).toBe(0);
    fail = true;
    await expect(pool.acquire()).rejects.toMatchObject({ code: '53300' });
    expect(pool.totalCount).toBe(0);
    fail = false;
    const b = await pool.acquire();
    expect(pool.totalCount).toBe(1);
    b.release();
    await pool.end();
  });

  it('closes idle sessions after idleMs', async () => {
    const s = sessions();
    const pool = new AppPool({ open: s.open, max: 2, waitMs: 1000, idleMs: 20 });
    (await pool.acquire()).release();
    expect(pool.idleCount).toBe(1);
    await new Promise((r) => setTimeout(r, 60));
    expect(pool.idleCount).toBe(0);
    expect(pool.totalCount).toBe(0);
    expect(s.closed).toEqual([1]);
    await pool.end();
  });
});
