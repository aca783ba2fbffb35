import { decodeText } from './bytes.js';

// Names (user, database, host) repeat on nearly every line: decode a name only the first time
// its bytes are seen. A small direct-mapped cache: bounded, and a miss only costs a decode.

const SLOTS = 256;

export class StringCache<T = string> {
  private readonly keys: Array<Uint8Array | undefined> = new Array(SLOTS);
  private readonly values: T[] = new Array(SLOTS);

  constructor(private readonly decode: (text: string) => T = (text) => text as unknown as T) {}

  get(buf: Uint8Array, start: number, end: number): T | null {
    const len = end - start;
    if (len <= 0) return null;
    let h = 0x811c9dc5;
    for (let k = start; k < end; k++) h = Math.imul(h ^ buf[k]!, 0x01000193);
    const slot = (h >>> 0) & (SLOTS - 1);
    const key = this.keys[slot];
    if (key !== undefined && key.length === len) {
      let k = 0;
      while (k < len && key[k] === buf[start + k]) k++;
      if (k === len) return this.values[slot]!;
    }
    const copy = new Uint8Array(len);
    for (let k = 0; k < len; k++) copy[k] = buf[start + k]!;
    const value = this.decode(decodeText(copy, 0, len));
    this.keys[slot] = copy;
    this.values[slot] = value;
    return value;
  }
}
