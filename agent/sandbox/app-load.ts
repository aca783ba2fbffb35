import { AppPool, type PooledSession, PoolWaitTimeout } from './app-pool.js';
import type { SandboxSession, SessionErrorKind } from './server.js';

// An application, in-process, on any engine: several app instances, each with its own
// connection pool, taking requests at a rate that changes over time (an open model: requests
// arrive whether or not earlier ones finished, as shop-floor terminals do). Together the pools
// may open more connections than the server allows, as the plant's did: once the server is
// full, new connections are refused ("too many connections") and requests fail. What a request
// does is the application's (agent/sandbox/plant.ts: the plant's reads and work-order submits).
/** requests queued in the app beyond this are refused at once (the app's own request queue is bounded) */
const MAX_IN_FLIGHT = 2000;
const TICK_MS = 50;

export type AppErrorKind = 'too-many-clients' | 'pool-wait-timeout' | 'app-queue-full' | 'query-failed';

export const APP_ERROR_TEXT: Record<AppErrorKind, string> = {
  'too-many-clients': 'sorry, too many clients already',
  'pool-wait-timeout': 'timed out waiting for a pooled connection',
  'app-queue-full': 'request queue full',
  'query-failed': 'query failed',
};

/** What the application does with a pooled session: one read request, one write request. */
export interface AppRequests {
  read(session: PooledSession): Promise<void>;
  write(session: PooledSession): Promise<void>;
}

export interface AppLoadOptions {
  /** opens one of instance `instance`'s sessions (its login; its application name where the engine has one) */
  open: (instance: number) => Promise<SandboxSession>;
  /** the engine's error classes (SandboxEngine.classifyError) */
  classifyError: (error: unknown) => SessionErrorKind;
  requests: AppRequests;
  instances: number;
  /** max clients of each instance's pool */
  poolSize: number;
  /** requests per second at `seconds` since the load started */
  rate: (seconds: number) => number;
  /** share of requests that read (the rest write) */
  readShare: number;
  /** how long a request waits for a pooled connection before it fails */
  connectionWaitMs: number;
}

/** The application's view of one window: what its users saw. */
export interface AppWindow {
  /** seconds since the load started, at the end of the window */
  at: number;
  seconds: number;
  /** offered load, requests per second */
  rate: number;
  submitted: number;
  submitFailed: number;
  reads: number;
  readFailed: number;
  /** 95th percentile of successful requests, from arrival to answer (pool wait included), ms */
  p95Ms: number | null;
  readP95Ms: number | null;
  errors: Partial<Record<AppErrorKind, number>>;
  /** connections the app's pools hold or are opening, and how many of them are idle */
  connections: number;
  /** what the pools may open together */
  poolCapacity: number;
  idleConnections: number;
  waiting: number;
}

interface Accumulator {
  submitted: number;
  submitFailed: number;
  reads: number;
  readFailed: number;
  latencies: number[];
  readLatencies: number[];
  errors: Partial<Record<AppErrorKind, number>>;
}

function emptyAccumulator(): Accumulator {
  return {
    submitted: 0,
    submitFailed: 0,
    reads: 0,
    readFailed: 0,
    latencies: [],
    readLatencies: [],
    errors: {},
  };
}

export function percentile(values: readonly number[], p: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1));
  return sorted[rank] ?? null;
}

/** Connect errors: refused by a full server, or the pool's own wait ran out. */
export function classifyConnectError(
  error: unknown,
  classify: (error: unknown) => SessionErrorKind,
): AppErrorKind {
  if (error instanceof PoolWaitTimeout) return 'pool-wait-timeout';
  return classify(error) === 'too-many-connections' ? 'too-many-clients' : 'query-failed';
}

export class AppLoad {
  private readonly pools: AppPool[];
  /** independent windows: each reader ('line', 'phase') gets what happened since its last read */
  private readonly accs = new Map<string, { acc: Accumulator; startedAt: number }>();
  private timer: NodeJS.Timeout | null = null;
  private startedAt = 0;
  private lastTick = 0;
  private due = 0;
  private inFlight = 0;
  private nextPool = 0;
  private readonly running = new Set<Promise<void>>();

  constructor(private readonly options: AppLoadOptions) {
    this.pools = Array.from(
      { length: options.instances },
      (_, i) =>
        new AppPool({
          open: () => options.open(i + 1),
          max: options.poolSize,
          waitMs: options.connectionWaitMs,
          // Idle connections go back to the server after a few seconds: recovery shows as free slots.
          idleMs: 5000,
        }),
    );
  }

  /** Starts taking requests; `readers` are the window names that will be read. */
  start(readers: readonly string[] = ['line']): void {
    this.startedAt = performance.now();
    for (const r of readers) this.accs.set(r, { acc: emptyAccumulator(), startedAt: this.startedAt });
    this.lastTick = this.startedAt;
    this.timer = setInterval(() => this.tick(), TICK_MS);
  }

  /** seconds since start */
  elapsed(): number {
    return (performance.now() - this.startedAt) / 1000;
  }

  private tick(): void {
    const now = performance.now();
    const seconds = (now - this.startedAt) / 1000;
    this.due += (this.options.rate(seconds) * (now - this.lastTick)) / 1000;
    this.lastTick = now;
    while (this.due >= 1) {
      this.due -= 1;
      const read = Math.random() < this.options.readShare;
      if (this.inFlight >= MAX_IN_FLIGHT) {
        this.fail(read, 'app-queue-full');
        continue;
      }
      const request = this.request(read, now).finally(() => {
        this.running.delete(request);
      });
      this.running.add(request);
    }
  }

  private record(update: (acc: Accumulator) => void): void {
    for (const { acc } of this.accs.values()) update(acc);
  }

  private fail(read: boolean, kind: AppErrorKind): void {
    this.record((acc) => {
      if (read) acc.readFailed += 1;
      else acc.submitFailed += 1;
      acc.errors[kind] = (acc.errors[kind] ?? 0) + 1;
    });
  }

  private pool(): AppPool {
    const pool = this.pools[this.nextPool % this.pools.length] as AppPool;
    this.nextPool += 1;
    return pool;
  }

  private async request(read: boolean, arrivedAt: number): Promise<void> {
    this.inFlight += 1;
    try {
      let session: PooledSession;
      try {
        session = await this.pool().acquire();
      } catch (error) {
        this.fail(read, classifyConnectError(error, this.options.classifyError));
        return;
      }
      try {
        if (read) await this.options.requests.read(session);
        else await this.options.requests.write(session);
        session.release();
      } catch (error) {
        // A failed request's session is not trusted back into the pool.
        session.release(error ?? true);
        this.fail(read, 'query-failed');
        return;
      }
      const ms = performance.now() - arrivedAt;
      this.record((acc) => {
        acc.latencies.push(ms);
        if (read) {
          acc.reads += 1;
          acc.readLatencies.push(ms);
        } else {
          acc.submitted += 1;
        }
      });
    } finally {
      this.inFlight -= 1;
    }
  }

  /** What the app saw since the previous call with the same reader name (or since start). */
  window(reader = 'line'): AppWindow {
    const now = performance.now();
    const previous = this.accs.get(reader) ?? { acc: emptyAccumulator(), startedAt: this.startedAt };
    const acc = previous.acc;
    this.accs.set(reader, { acc: emptyAccumulator(), startedAt: now });
    const seconds = Math.max(1e-3, (now - previous.startedAt) / 1000);
    const at = (now - this.startedAt) / 1000;
    return {
      at,
      seconds,
      rate: this.options.rate(at),
      submitted: acc.submitted,
      submitFailed: acc.submitFailed,
      reads: acc.reads,
      readFailed: acc.readFailed,
      p95Ms: percentile(acc.latencies, 0.95),
      readP95Ms: percentile(acc.readLatencies, 0.95),
      errors: acc.errors,
      connections: this.pools.reduce((n, p) => n + p.totalCount, 0),
      poolCapacity: this.options.instances * this.options.poolSize,
      idleConnections: this.pools.reduce((n, p) => n + p.idleCount, 0),
      waiting: this.pools.reduce((n, p) => n + p.waitingCount, 0),
    };
  }

  /** Stops taking requests, lets those in flight end (or fail), closes the pools. */
  async stop(graceMs = 3000): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    const settled = Promise.allSettled([...this.running]);
    await Promise.race([settled, new Promise((resolve) => setTimeout(resolve, graceMs).unref())]);
    const ended = Promise.allSettled(this.pools.map((p) => p.end()));
    await Promise.race([ended, new Promise((resolve) => setTimeout(resolve, graceMs).unref())]);
  }
}

export interface RampPlan {
  /** requests per second the server can serve with every core busy on the slow read path (an estimate) */
  capacity: number;
  /** seconds of healthy load before the rise */
  healthySeconds: number;
  /** healthy load as a share of capacity */
  healthyShare: number;
  /** how fast the load rises, in multiples of capacity per second */
  risePerSecond: number;
  /** once the server refuses connections, the load holds at the throughput it reached times this */
  holdFactor: number;
  /** ... but not below the rate of that moment times this (the throughput measured may be noisy) */
  holdFloor: number;
  /** the rise never goes past this multiple of capacity (the estimate may be off, not by this much) */
  maxFactor: number;
}

/**
 * The incident's load: steady and healthy, then rising until the server's connections are
 * exhausted (whatever the machine's real capacity), then holding a little above the
 * throughput the server reached: overloaded enough to stay saturated, not so much that the
 * flood of refused connection attempts is all the server does.
 */
export class RisingLoad {
  private holdRate: number | null = null;

  constructor(private readonly plan: RampPlan) {}

  rate(seconds: number): number {
    if (this.holdRate !== null) return this.holdRate;
    const p = this.plan;
    const low = p.capacity * p.healthyShare;
    if (seconds <= p.healthySeconds) return low;
    return Math.min(
      low + p.capacity * p.risePerSecond * (seconds - p.healthySeconds),
      p.capacity * p.maxFactor,
    );
  }

  /** The server refused its first connection at `seconds`, having served at most `throughput` requests/s: from now on the load holds. */
  exhausted(seconds: number, throughput: number): void {
    if (this.holdRate !== null) return;
    const now = this.rate(seconds);
    this.holdRate = Math.max(throughput * this.plan.holdFactor, now * this.plan.holdFloor);
  }

  get holding(): boolean {
    return this.holdRate !== null;
  }
}
