// Lines the parsers could not use: counted, with the first few reasons kept for the report.
// Bounded: a file of garbage costs a counter, not a list.

export interface SkipExample {
  /** byte offset of the skipped line in its input */
  offset: number;
  reason: string;
}

export interface SkipSummary {
  lines: number;
  reasons: Record<string, number>;
  examples: SkipExample[];
}

const MAX_EXAMPLES = 5;
const MAX_REASONS = 16;

export class SkipCounter {
  lines = 0;
  readonly reasons = new Map<string, number>();
  readonly examples: SkipExample[] = [];

  skip(reason: string, lines: number, offset: number): void {
    if (lines <= 0) return;
    this.lines += lines;
    const seen = this.reasons.get(reason);
    if (seen !== undefined) this.reasons.set(reason, seen + lines);
    else if (this.reasons.size < MAX_REASONS) this.reasons.set(reason, lines);
    if (this.examples.length < MAX_EXAMPLES) this.examples.push({ offset, reason });
  }

  merge(other: SkipSummary): void {
    this.lines += other.lines;
    for (const [reason, n] of Object.entries(other.reasons)) {
      const seen = this.reasons.get(reason);
      if (seen !== undefined) this.reasons.set(reason, seen + n);
      else if (this.reasons.size < MAX_REASONS) this.reasons.set(reason, n);
    }
    for (const e of other.examples) if (this.examples.length < MAX_EXAMPLES) this.examples.push(e);
  }

  summary(): SkipSummary {
    return { lines: this.lines, reasons: Object.fromEntries(this.reasons), examples: [...this.examples] };
  }
}
