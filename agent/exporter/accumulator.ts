/**
 * Counters the agent exports for per-query and per-table series. Values are the sum of the
 * interval deltas the agent has seen (so resets on the server never make them go down), and
 * cardinality is bounded: at most `limit` keys have their own series, the rest is summed under
 * OTHER. A key holds its series while it keeps moving; one idle for `evictAfterUpdates`
 * updates gives its place up (Prometheus sees that series end).
 */
export const OTHER = 'other';

interface Slot {
  values: Map<string, number>;
  lastMovedAt: number;
}

export class BoundedCounters {
  private readonly slots = new Map<string, Slot>();
  private updates = 0;

  constructor(
    private readonly limit: number,
    private readonly evictAfterUpdates = 40,
  ) {}

  /**
   * Adds one interval's deltas. `ranked` must be sorted most important first: when there is no
   * room left, the rest goes to OTHER.
   */
  add(ranked: readonly { key: string; deltas: Record<string, number | null> }[]): void {
    this.updates += 1;
    this.evictIdle();
    for (const { key, deltas } of ranked) {
      const moved = Object.values(deltas).some((v) => v !== null && v > 0);
      if (!moved) continue;
      let slot = this.slots.get(key);
      if (!slot && this.ownKeys() < this.limit) {
        slot = { values: new Map(), lastMovedAt: this.updates };
        this.slots.set(key, slot);
      }
      slot ??= this.otherSlot();
      slot.lastMovedAt = this.updates;
      for (const [name, delta] of Object.entries(deltas)) {
        if (delta === null || delta <= 0) continue;
        slot.values.set(name, (slot.values.get(name) ?? 0) + delta);
      }
    }
  }

  /** [key, value] of one counter for every series */
  entries(counter: string): [string, number][] {
    const out: [string, number][] = [];
    for (const [key, slot] of this.slots) {
      const value = slot.values.get(counter);
      if (value !== undefined) out.push([key, value]);
    }
    return out;
  }

  keys(): string[] {
    return [...this.slots.keys()];
  }

  private ownKeys(): number {
    return this.slots.size - (this.slots.has(OTHER) ? 1 : 0);
  }

  private otherSlot(): Slot {
    let slot = this.slots.get(OTHER);
    if (!slot) {
      slot = { values: new Map(), lastMovedAt: this.updates };
      this.slots.set(OTHER, slot);
    }
    return slot;
  }

  private evictIdle(): void {
    for (const [key, slot] of this.slots) {
      if (key !== OTHER && this.updates - slot.lastMovedAt > this.evictAfterUpdates) this.slots.delete(key);
    }
  }
}
