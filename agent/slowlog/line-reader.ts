import { indexOfByte } from './bytes.js';
import type { LineParser } from './event.js';
import type { SkipCounter } from './skips.js';

// Splits chunks of bytes into lines for a parser without making strings. A line cut by a chunk
// boundary is carried over (copied once); a line longer than MAX_LINE_BYTES is dropped and
// counted, so a file without newlines never grows a buffer beyond the cap.

export const MAX_LINE_BYTES = 1024 * 1024;

export class LineReader {
  private carry = new Uint8Array(64 * 1024);
  private carryLen = 0;
  private carryOffset = 0;
  private dropping = false;
  /** bytes consumed so far (the offset of the next chunk's first byte) */
  offset = 0;
  /** when set, a line for which it returns true ends the reading (worker ranges) */
  stopAt: ((buf: Uint8Array, start: number, end: number, offset: number) => boolean) | null = null;
  stopped = false;

  constructor(
    private readonly parser: LineParser,
    private readonly skips: SkipCounter,
  ) {}

  push(chunk: Uint8Array, start = 0, end = chunk.length): void {
    let s = start;
    const base = this.offset - start;
    while (s < end && !this.stopped) {
      const nl = indexOfByte(chunk, 0x0a, s, end);
      if (nl < 0) {
        this.keep(chunk, s, end, base + s);
        break;
      }
      if (this.carryLen > 0 || this.dropping) {
        this.keep(chunk, s, nl, base + s);
        if (this.dropping) {
          this.dropping = false;
          this.carryLen = 0;
        } else {
          const len = this.carryLen;
          this.carryLen = 0;
          this.emit(this.carry, 0, len, this.carryOffset);
        }
      } else if (nl - s > MAX_LINE_BYTES) {
        this.skips.skip(`line longer than ${MAX_LINE_BYTES} bytes`, 1, base + s);
      } else {
        this.emit(chunk, s, nl, base + s);
      }
      s = nl + 1;
    }
    this.offset += end - start;
  }

  private emit(buf: Uint8Array, s: number, e: number, offset: number): void {
    if (this.stopAt?.(buf, s, e, offset)) {
      this.stopped = true;
      return;
    }
    this.parser.line(buf, s, e, offset);
  }

  private keep(chunk: Uint8Array, s: number, e: number, offset: number): void {
    if (this.dropping) return;
    if (this.carryLen === 0) this.carryOffset = offset;
    const need = this.carryLen + (e - s);
    if (need > MAX_LINE_BYTES) {
      this.skips.skip(`line longer than ${MAX_LINE_BYTES} bytes`, 1, this.carryOffset);
      this.dropping = true;
      this.carryLen = 0;
      return;
    }
    if (need > this.carry.length) {
      const grown = new Uint8Array(Math.min(MAX_LINE_BYTES, Math.max(need, this.carry.length * 2)));
      grown.set(this.carry.subarray(0, this.carryLen));
      this.carry = grown;
    }
    this.carry.set(chunk.subarray(s, e), this.carryLen);
    this.carryLen = need;
  }

  /** bytes held for a line cut by a chunk boundary (never more than MAX_LINE_BYTES) */
  get buffered(): number {
    return this.carry.length;
  }

  /** End of input: the last line (without a newline) and the parser's pending entry. */
  end(): void {
    if (!this.stopped && this.carryLen > 0 && !this.dropping) {
      const len = this.carryLen;
      this.carryLen = 0;
      this.emit(this.carry, 0, len, this.carryOffset);
    }
    this.carryLen = 0;
    this.dropping = false;
    this.parser.flush();
  }

  /** The line reader was fed from a new start (file truncated or rotated): drop any carried bytes. */
  resetCarry(): void {
    this.carryLen = 0;
    this.dropping = false;
  }
}
