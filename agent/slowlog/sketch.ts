// A fixed-size quantile sketch: counts in logarithmic buckets (relative error under 2%), so a
// class costs the same memory after ten events or ten billion, and two sketches merge by adding
// counts (worker threads, the `other` bucket).

const MIN_SECONDS = 1e-6;
const GAMMA = 1.04;
const LOG_GAMMA = Math.log(GAMMA);
/** 1 µs .. ~3e5 s */
export const SKETCH_BUCKETS = 640;

export class QuantileSketch {
  readonly counts: Uint32Array;
  /** values below 1 µs (including 0) */
  zero = 0;
  total = 0;

  constructor(counts?: Uint32Array) {
    this.counts = counts ?? new Uint32Array(SKETCH_BUCKETS);
    if (counts !== undefined) for (const c of counts) this.total += c;
  }

  add(seconds: number): void {
    this.total++;
    if (!(seconds >= MIN_SECONDS)) {
      this.zero++;
      return;
    }
    let i = Math.ceil(Math.log(seconds / MIN_SECONDS) / LOG_GAMMA);
    if (i >= SKETCH_BUCKETS) i = SKETCH_BUCKETS - 1;
    this.counts[i]!++;
  }

  merge(other: QuantileSketch): void {
    const a = this.counts;
    const b = other.counts;
    for (let i = 0; i < a.length; i++) a[i]! += b[i]!;
    this.zero += other.zero;
    this.total += other.total;
  }

  /** The q-quantile (0..1), within 2% of the true value; 0 when empty. */
  quantile(q: number): number {
    if (this.total === 0) return 0;
    const rank = Math.max(1, Math.ceil(q * this.total));
    let seen = this.zero;
    if (seen >= rank) return 0;
    const counts = this.counts;
    for (let i = 0; i < counts.length; i++) {
      seen += counts[i]!;
      if (seen >= rank) return bucketValue(i);
    }
    return bucketValue(counts.length - 1);
  }

  /** Cumulative counts at the given upper bounds (seconds), for a Prometheus histogram. */
  cumulative(bounds: readonly number[]): number[] {
    const result: number[] = [];
    let seen = this.zero;
    let i = 0;
    const counts = this.counts;
    for (const bound of bounds) {
      // bucket i holds values in (MIN*GAMMA^(i-1), MIN*GAMMA^i]
      while (i < counts.length && MIN_SECONDS * GAMMA ** i <= bound) seen += counts[i++]!;
      result.push(seen);
    }
    return result;
  }
}

function bucketValue(i: number): number {
  if (i === 0) return MIN_SECONDS;
  // midpoint (in relative terms) of (MIN*GAMMA^(i-1), MIN*GAMMA^i]
  return (MIN_SECONDS * 2 * GAMMA ** i) / (GAMMA + 1);
}
