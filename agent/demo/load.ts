import pg from 'pg';
import { READ_WORK_ORDER_SQL, RELEASE_EVENT_SQL, SUBMIT_WORK_ORDER_SQL } from './schema.js';

// The plant's application, in-process: several app instances, each with its own node-postgres
// pool, taking work-order requests at a rate that rises over time (an open model: requests
// arrive whether or not earlier ones finished, as shop-floor terminals do). Together the pools
// may open more connections than the server allows, as the plant's did: once the server is
// full, new connections are refused ("sorry, too many clients already") and new work orders fail.

/** SQLSTATE 53300 too_many_connections: "sorry, too many clients already" */
const TOO_MANY_CONNECTIONS = '53300';
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

export interface AppLoadOptions {
  /** the application role's DSN */
  dsn: string;
  instances: number;
  /** max clients of each instance's pool */
  poolSize: number;
  /** requests per second at `seconds` since the load started */
  rate: (seconds: number) => number;
  /** share of requests that read a work order (the rest submit new ones) */
  readShare: number;
  /** how long a request waits for a pooled connection before it fails */
  connectionWaitMs: number;
  /** highest work-order id at start (reads pick existing work orders) */
  maxWorkOrderId: number;
  parts: number;
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

function sqlState(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** Connect errors: refused by a full server, or the pool's wait ran out (pg-pool's own error has no SQLSTATE). */
export function classifyConnectError(error: unknown): AppErrorKind {
  const code = sqlState(error);
  if (code === TOO_MANY_CONNECTIONS) return 'too-many-clients';
  return code === undefined ? 'pool-wait-timeout' : 'query-failed';
}

export class AppLoad {
  private readonly pools: pg.Pool[];
  /** independent windows: each reader ('line', 'phase') gets what happened since its last read */
  private readonly accs = new Map<string, { acc: Accumulator; startedAt: number }>();
  private timer: NodeJS.Timeout | null = null;
  private startedAt = 0;
  private lastTick = 0;
  private due = 0;
  private inFlight = 0;
  private nextPool = 0;
  private orderSeq = 0;
  private maxId: number;
  private readonly running = new Set<Promise<void>>();

  constructor(private readonly options: AppLoadOptions) {
    this.maxId = options.maxWorkOrderId;
    this.pools = Array.from({ length: options.instances }, (_, i) => {
      const pool = new pg.Pool({
        connectionString: options.dsn,
        max: options.poolSize,
        connectionTimeoutMillis: options.connectionWaitMs,
        // Idle connections go back to the server after a few seconds: recovery shows as free slots.
        idleTimeoutMillis: 5000,
        application_name: `plant-app-${i + 1}`,
      });
      // A pooled connection dropped by the server (shutdown at the end): the pool replaces it.
      pool.on('error', () => undefined);
      return pool;
    });
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

  private pool(): pg.Pool {
    const pool = this.pools[this.nextPool % this.pools.length] as pg.Pool;
    this.nextPool += 1;
    return pool;
  }

  private async request(read: boolean, arrivedAt: number): Promise<void> {
    this.inFlight += 1;
    try {
      let client: pg.PoolClient;
      try {
        client = await this.pool().connect();
      } catch (error) {
        this.fail(read, classifyConnectError(error));
        return;
      }
      // pg-pool leaves a checked-out client without an 'error' listener: a server going away
      // between two statements (Ctrl-C, shutdown) would otherwise crash the process.
      let lost: Error | null = null;
      const onError = (error: Error) => {
        lost = error;
      };
      client.on('error', onError);
      try {
        if (read) await this.readWorkOrder(client);
        else await this.submitWorkOrder(client);
        client.off('error', onError);
        client.release(lost ?? undefined);
      } catch (error) {
        client.off('error', onError);
        // A failed transaction's connection is not trusted back into the pool.
        client.release(error instanceof Error ? error : true);
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

  private async readWorkOrder(client: pg.PoolClient): Promise<void> {
    // Recent work orders are read most (they are on the shop floor right now).
    const recent = Math.max(1, Math.floor(this.maxId * 0.2));
    const id = this.maxId - Math.floor(Math.random() ** 2 * recent);
    await client.query({ name: 'read-work-order', text: READ_WORK_ORDER_SQL, values: [id] });
  }

  private async submitWorkOrder(client: pg.PoolClient): Promise<void> {
    this.orderSeq += 1;
    const orderNo = `WO-N${process.pid}-${this.orderSeq}`;
    const part = `P-${String(1 + Math.floor(Math.random() * this.options.parts)).padStart(5, '0')}`;
    await client.query('BEGIN');
    try {
      const { rows } = await client.query<{ id: string }>({
        name: 'submit-work-order',
        text: SUBMIT_WORK_ORDER_SQL,
        values: [orderNo, part, 10 + Math.floor(Math.random() * 490)],
      });
      const id = Number(rows[0]?.id);
      await client.query({ name: 'release-event', text: RELEASE_EVENT_SQL, values: [id, 1 + (id % 250)] });
      await client.query('COMMIT');
      if (id > this.maxId) this.maxId = id;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
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
