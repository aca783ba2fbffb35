/**
 * Reconnect delays: doubling from `initialMs` up to `maxMs`, with up to 20% jitter so several
 * agents do not knock on a full server in step.
 */
export class Backoff {
  private attempt = 0;
  private nextAt = 0;

  constructor(
    private readonly initialMs = 1000,
    private readonly maxMs = 30_000,
    private readonly random: () => number = Math.random,
  ) {}

  /** May a new attempt start at `now`? */
  ready(now: number): boolean {
    return now >= this.nextAt;
  }

  failed(now: number): number {
    const base = Math.min(this.maxMs, this.initialMs * 2 ** this.attempt);
    const delay = base * (1 + 0.2 * this.random());
    this.attempt += 1;
    this.nextAt = now + delay;
    return delay;
  }

  succeeded(): void {
    this.attempt = 0;
    this.nextAt = 0;
  }
}
