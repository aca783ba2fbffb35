import * as crypto from 'node:crypto';

// A single-pass fingerprint tokenizer over bytes. It runs once per logged statement, so it is
// the hot path of the digest: no regexes, no per-token strings, output written into a reused
// byte buffer. The rules are written down in README.md ("Slow-log digest", "Fingerprint
// rules"); each branch below names the rule it implements.

export type SqlDialect = 'mysql' | 'postgres';

const SPACE = 0x20;
const QMARK = 0x3f;
const LPAREN = 0x28;
const RPAREN = 0x29;
const COMMA = 0x2c;

// Token kinds, for the few decisions that look one token back.
const K_NONE = 0;
const K_WORD = 1;
const K_LITERAL = 2;
const K_OPEN = 3;
const K_CLOSE = 4;
const K_OP = 5;

const enc = new TextEncoder();
const KW_IN = enc.encode('in');
const KW_VALUES = enc.encode('values');
const KW_VALUE = enc.encode('value');
const KW_LIMIT = enc.encode('limit');
const KW_OFFSET = enc.encode('offset');
const KW_ORDER = enc.encode('order');
const KW_BY = enc.encode('by');
const _KW_ASC = enc.encode('asc');
// After these words a sign before a number belongs to the literal (`select -1`, `then -1`).
const SIGN_KEYWORDS = [
  'select',
  'where',
  'and',
  'or',
  'not',
  'then',
  'else',
  'when',
  'by',
  'between',
  'like',
  'set',
  'limit',
  'offset',
  'is',
  'case',
  'return',
  'returning',
  'having',
  'on',
].map((w) => enc.encode(w));

function isWordByte(c: number, dialect: SqlDialect): boolean {
  return (
    (c >= 0x61 && c <= 0x7a) ||
    (c >= 0x41 && c <= 0x5a) ||
    (c >= 0x30 && c <= 0x39) ||
    c === 0x5f ||
    c >= 0x80 ||
    (c === 0x24 && dialect === 'mysql')
  );
}

// Byte classes as tables: the hot loops below index them instead of calling a predicate per
// byte (a call per byte is what costs most while V8 still runs this in its baseline tiers,
// which is all of a short digest).
function byteTable(test: (c: number) => boolean): Uint8Array {
  const t = new Uint8Array(256);
  for (let c = 0; c < 256; c++) t[c] = test(c) ? 1 : 0;
  return t;
}
const WORD_BYTES: Record<SqlDialect, Uint8Array> = {
  mysql: byteTable((c) => isWordByte(c, 'mysql')),
  postgres: byteTable((c) => isWordByte(c, 'postgres')),
};
/** ASCII A-Z folded to a-z, every other byte kept */
const LOWER = new Uint8Array(256);
for (let c = 0; c < 256; c++) LOWER[c] = c >= 0x41 && c <= 0x5a ? c | 0x20 : c;

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

function isSpace(c: number): boolean {
  return c === SPACE || (c >= 0x09 && c <= 0x0d);
}

/** Result of one fingerprint call; `length` bytes of `bytes` are valid until the next call. */
export interface FingerprintResult {
  bytes: Buffer;
  length: number;
  /** control bytes found outside string literals: the "statement" is binary garbage */
  garbage: number;
}

export class Fingerprinter {
  private out: Buffer = Buffer.alloc(4096);
  private o = 0;
  private pendingSpace = false;
  private lastKind = K_NONE;
  private lastWordStart = 0;
  private lastWordEnd = 0;
  private prevWordStart = 0;
  private prevWordEnd = 0;
  private depth = 0;
  // IN (...) / VALUES (...) candidate list: rewound to `(?+)` when it holds only literals.
  private listStart = -1;
  private listDepth = -1;
  private listPure = false;
  // VALUES tuples: a tuple equal to the previous one is dropped (multi-row VALUES collapse).
  private valuesDepth = -1;
  private tupleStart = -1;
  private prevTupleStart = -1;
  private prevTupleEnd = -1;
  private sepStart = -1;
  private orderBy = false;
  // LIMIT ? [, ? | OFFSET ?] -> LIMIT ?
  private limitState = 0;
  private limitRewind = 0;
  private garbage = 0;
  readonly result: FingerprintResult = { bytes: this.out, length: 0, garbage: 0 };

  private readonly wordBytes: Uint8Array;

  constructor(readonly dialect: SqlDialect) {
    this.wordBytes = WORD_BYTES[dialect];
  }

  /** Fingerprints `src[start, end)`. */
  run(src: Uint8Array, start: number, end: number): FingerprintResult {
    const need = (end - start) * 2 + 64;
    if (this.out.length < need) this.out = Buffer.alloc(Math.max(need, this.out.length * 2));
    this.reset();
    const mysql = this.dialect === 'mysql';
    const wordBytes = this.wordBytes;
    let i = start;
    while (i < end) {
      const c = src[i]!;
      if (c === SPACE || (c >= 0x09 && c <= 0x0d)) {
        this.pendingSpace = true;
        i++;
        continue;
      }
      // Words: identifiers, keywords; case folded (rule: case).
      if ((c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || c === 0x5f || c >= 0x80) {
        let j = i + 1;
        while (j < end && wordBytes[src[j]!] === 1) j++;
        // Prefixed string literals: x'..', b'..', n'..', e'..', _charset'..' (rule: literals).
        if (j < end && src[j] === 0x27 && (j - i === 1 || c === 0x5f)) {
          const p = c | 0x20;
          if (c === 0x5f || p === 0x78 || p === 0x62 || p === 0x6e || p === 0x65) {
            i = this.skipQuoted(src, j, end, 0x27, mysql || p === 0x65);
            this.literal();
            continue;
          }
        }
        if (j - i >= 4 && j - i <= 5 && this.isLiteralWord(src, i, j)) {
          this.literal();
          i = j;
          continue;
        }
        this.word(src, i, j);
        i = j;
        continue;
      }
      if (isDigit(c) || (c === 0x2e && i + 1 < end && isDigit(src[i + 1]!) && this.lastKind !== K_WORD)) {
        i = this.number(src, i, end);
        continue;
      }
      if ((c === 0x2d || c === 0x2b) && i + 1 < end && this.signStartsLiteral(src, i + 1, end)) {
        i = this.number(src, i + 1, end);
        continue;
      }
      switch (c) {
        case 0x27: // '...'
          i = this.skipQuoted(src, i, end, 0x27, mysql);
          this.literal();
          continue;
        case 0x22: // "..." a string in MySQL, an identifier in PostgreSQL
          if (mysql) {
            i = this.skipQuoted(src, i, end, 0x22, true);
            this.literal();
          } else {
            i = this.copyQuoted(src, i, end, 0x22);
          }
          continue;
        case 0x60: // `identifier`
          if (mysql) {
            i = this.copyQuoted(src, i, end, 0x60);
            continue;
          }
          break;
        case 0x24: // $1 placeholder, $$..$$ / $tag$..$tag$ dollar quoting (PostgreSQL)
          if (!mysql) {
            const next = this.dollar(src, i, end);
            if (next > i) {
              i = next;
              continue;
            }
          }
          break;
        case 0x2f: // /* comment */, kept when it is an optimizer hint or executable comment
          if (i + 1 < end && src[i + 1] === 0x2a) {
            const k = i + 2 < end ? src[i + 2]! : 0;
            if (k === 0x21 || k === 0x2b) {
              i = this.copyComment(src, i, end);
            } else {
              i = this.skipComment(src, i, end);
            }
            continue;
          }
          break;
        case 0x2d: // -- comment
          if (i + 1 < end && src[i + 1] === 0x2d && (!mysql || i + 2 >= end || isSpace(src[i + 2]!))) {
            i = this.skipLine(src, i, end);
            continue;
          }
          break;
        case 0x23: // # comment (MySQL only; an operator in PostgreSQL)
          if (mysql) {
            i = this.skipLine(src, i, end);
            continue;
          }
          break;
      }
      if (c < 0x20 || c === 0x7f) {
        this.garbage++;
        this.pendingSpace = true;
        i++;
        continue;
      }
      this.punct(c);
      i++;
    }
    return this.finish();
  }

  private reset(): void {
    this.o = 0;
    this.pendingSpace = false;
    this.lastKind = K_NONE;
    this.lastWordStart = this.lastWordEnd = this.prevWordStart = this.prevWordEnd = 0;
    this.depth = 0;
    this.listStart = -1;
    this.listDepth = -1;
    this.listPure = false;
    this.valuesDepth = -1;
    this.tupleStart = this.prevTupleStart = this.prevTupleEnd = this.sepStart = -1;
    this.orderBy = false;
    this.limitState = 0;
    this.garbage = 0;
  }

  private space(): void {
    if (this.pendingSpace && this.o > 0) this.out[this.o++] = SPACE;
    this.pendingSpace = false;
  }

  private isLiteralWord(src: Uint8Array, i: number, j: number): boolean {
    const n = j - i;
    const a = src[i]! | 0x20;
    const b = src[i + 1]! | 0x20;
    const c = src[i + 2]! | 0x20;
    const d = src[i + 3]! | 0x20;
    if (n === 4) {
      return (
        (a === 0x6e && b === 0x75 && c === 0x6c && d === 0x6c) ||
        (a === 0x74 && b === 0x72 && c === 0x75 && d === 0x65)
      );
    }
    const e = src[i + 4]! | 0x20;
    return a === 0x66 && b === 0x61 && c === 0x6c && d === 0x73 && e === 0x65;
  }

  private wordIs(start: number, end: number, kw: Uint8Array): boolean {
    if (end - start !== kw.length) return false;
    const out = this.out;
    for (let k = 0; k < kw.length; k++) if (out[start + k] !== kw[k]) return false;
    return true;
  }

  private word(src: Uint8Array, i: number, j: number): void {
    const wasLimitTail = this.limitState === 1;
    this.endValuesAtTopLevel();
    // ORDER BY ... ASC: ASC is the default and is dropped (as pt-query-digest does).
    if (this.orderBy && j - i === 3) {
      const a = src[i]! | 0x20;
      if (a === 0x61 && (src[i + 1]! | 0x20) === 0x73 && (src[i + 2]! | 0x20) === 0x63) {
        this.pendingSpace = false;
        return;
      }
    }
    if (this.listStart >= 0) this.listPure = false;
    this.space();
    const start = this.o;
    const out = this.out;
    let o = start;
    for (let k = i; k < j; k++) out[o++] = LOWER[src[k]!]!;
    this.o = o;
    this.prevWordStart = this.lastWordStart;
    this.prevWordEnd = this.lastWordEnd;
    this.lastWordStart = start;
    this.lastWordEnd = this.o;
    this.lastKind = K_WORD;
    if (wasLimitTail && this.wordIs(start, this.o, KW_OFFSET)) {
      this.limitState = 2;
      this.limitRewind = start;
      // drop the space before OFFSET too
      if (this.limitRewind > 0 && out[this.limitRewind - 1] === SPACE) this.limitRewind--;
    } else {
      this.limitState = 0;
    }
    if (
      !this.orderBy &&
      this.wordIs(start, this.o, KW_BY) &&
      this.wordIs(this.prevWordStart, this.prevWordEnd, KW_ORDER)
    ) {
      this.orderBy = true;
    }
  }

  private literal(): void {
    if (this.limitState === 2) {
      // LIMIT ?, ? and LIMIT ? OFFSET ? fold into LIMIT ?
      this.o = this.limitRewind;
      this.limitState = 0;
      this.pendingSpace = false;
      this.lastKind = K_LITERAL;
      return;
    }
    this.endValuesAtTopLevel();
    this.space();
    this.out[this.o++] = QMARK;
    this.limitState =
      this.lastKind === K_WORD && this.wordIs(this.lastWordStart, this.lastWordEnd, KW_LIMIT) ? 1 : 0;
    this.lastKind = K_LITERAL;
  }

  private punct(c: number): void {
    const out = this.out;
    if (c === LPAREN) {
      const afterListWord =
        this.lastKind === K_WORD &&
        (this.wordIs(this.lastWordStart, this.lastWordEnd, KW_IN) ||
          this.wordIs(this.lastWordStart, this.lastWordEnd, KW_VALUES) ||
          this.wordIs(this.lastWordStart, this.lastWordEnd, KW_VALUE));
      const isValues = afterListWord && !this.wordIs(this.lastWordStart, this.lastWordEnd, KW_IN);
      const nextTuple = this.valuesDepth === this.depth && this.lastKind === K_OP && this.sepStart >= 0;
      if (this.listStart >= 0) this.listPure = false;
      this.limitState = 0;
      this.space();
      if (isValues) {
        this.valuesDepth = this.depth;
        this.prevTupleStart = -1;
      }
      if (isValues || nextTuple) this.tupleStart = this.o;
      if (afterListWord || nextTuple) {
        // IN (...) and VALUES (...) lists of literals collapse to (?+) (rule: lists).
        this.listStart = afterListWord ? this.lastWordEnd : this.o;
        this.listDepth = this.depth + 1;
        this.listPure = true;
      }
      out[this.o++] = c;
      this.depth++;
      this.lastKind = K_OPEN;
      return;
    }
    if (c === RPAREN) {
      this.limitState = 0;
      this.pendingSpace = false;
      if (this.listStart >= 0 && this.listDepth === this.depth) {
        if (this.listPure) {
          this.o = this.listStart;
          if (this.tupleStart > this.o) this.tupleStart = this.o;
          out[this.o++] = LPAREN;
          out[this.o++] = QMARK;
          out[this.o++] = 0x2b;
          out[this.o++] = RPAREN;
        } else {
          out[this.o++] = c;
        }
        this.listStart = -1;
        this.listDepth = -1;
      } else {
        out[this.o++] = c;
      }
      this.depth--;
      this.lastKind = K_CLOSE;
      if (this.valuesDepth === this.depth && this.tupleStart >= 0) this.closeTuple();
      return;
    }
    if (c === COMMA) {
      if (this.limitState === 1) {
        this.limitState = 2;
        this.limitRewind = this.o;
        this.pendingSpace = false;
        this.lastKind = K_OP;
        return;
      }
      if (this.valuesDepth === this.depth && this.lastKind === K_CLOSE) {
        this.sepStart = this.o;
      } else {
        this.endValuesAtTopLevel();
      }
      this.space();
      out[this.o++] = c;
      this.lastKind = K_OP;
      return;
    }
    this.limitState = 0;
    this.endValuesAtTopLevel();
    if (this.listStart >= 0) this.listPure = false;
    this.space();
    out[this.o++] = c;
    this.lastKind = K_OP;
  }

  private closeTuple(): void {
    const start = this.tupleStart;
    const end = this.o;
    this.tupleStart = -1;
    if (this.prevTupleStart >= 0 && this.sepStart >= 0) {
      const len = end - start;
      if (len === this.prevTupleEnd - this.prevTupleStart) {
        const out = this.out;
        let same = true;
        for (let k = 0; k < len; k++) {
          if (out[start + k] !== out[this.prevTupleStart + k]) {
            same = false;
            break;
          }
        }
        if (same) {
          this.o = this.sepStart;
          this.sepStart = -1;
          return;
        }
      }
    }
    this.prevTupleStart = start;
    this.prevTupleEnd = end;
    this.sepStart = -1;
  }

  private endValuesAtTopLevel(): void {
    if (this.valuesDepth === this.depth) {
      this.valuesDepth = -1;
      this.sepStart = -1;
      this.tupleStart = -1;
    }
  }

  private signStartsLiteral(src: Uint8Array, i: number, end: number): boolean {
    const c = src[i]!;
    if (!isDigit(c) && !(c === 0x2e && i + 1 < end && isDigit(src[i + 1]!))) return false;
    const k = this.lastKind;
    if (k === K_NONE || k === K_OPEN || k === K_OP) return true;
    if (k !== K_WORD) return false;
    for (const kw of SIGN_KEYWORDS) if (this.wordIs(this.lastWordStart, this.lastWordEnd, kw)) return true;
    return false;
  }

  private number(src: Uint8Array, i: number, end: number): number {
    let j = i;
    if (src[j] === 0x30 && j + 1 < end && (src[j + 1]! | 0x20) === 0x78) {
      j += 2;
      while (j < end && this.wordBytes[src[j]!] === 1) j++;
      this.literal();
      return j;
    }
    while (j < end && src[j]! >= 0x30 && src[j]! <= 0x39) j++;
    if (j < end && src[j] === 0x2e) {
      j++;
      while (j < end && src[j]! >= 0x30 && src[j]! <= 0x39) j++;
    }
    if (j < end && (src[j]! | 0x20) === 0x65) {
      let k = j + 1;
      if (k < end && (src[k] === 0x2b || src[k] === 0x2d)) k++;
      if (k < end && isDigit(src[k]!)) {
        j = k;
        while (j < end && isDigit(src[j]!)) j++;
      }
    }
    // 123abc is an identifier in MySQL, not a number followed by a word.
    if (j < end && this.wordBytes[src[j]!] === 1 && src[j - 1] !== 0x2e) {
      let k = j;
      while (k < end && this.wordBytes[src[k]!] === 1) k++;
      this.word(src, i, k);
      return k;
    }
    this.literal();
    return j;
  }

  /** Skips a quoted literal starting at src[i] === q; returns the index after it. */
  private skipQuoted(src: Uint8Array, i: number, end: number, q: number, backslash: boolean): number {
    let j = i + 1;
    while (j < end) {
      const c = src[j]!;
      if (c === 0x5c && backslash) {
        j += 2;
        continue;
      }
      if (c === q) {
        if (j + 1 < end && src[j + 1] === q) {
          j += 2;
          continue;
        }
        return j + 1;
      }
      j++;
    }
    return end;
  }

  /** Copies a quoted identifier verbatim (case kept: rule case). */
  private copyQuoted(src: Uint8Array, i: number, end: number, q: number): number {
    const stop = this.skipQuoted(src, i, end, q, false);
    if (this.listStart >= 0) this.listPure = false;
    this.endValuesAtTopLevel();
    this.limitState = 0;
    this.space();
    const start = this.o;
    for (let k = i; k < stop; k++) this.out[this.o++] = src[k]!;
    this.prevWordStart = this.lastWordStart;
    this.prevWordEnd = this.lastWordEnd;
    this.lastWordStart = start;
    this.lastWordEnd = this.o;
    this.lastKind = K_WORD;
    return stop;
  }

  private dollar(src: Uint8Array, i: number, end: number): number {
    let j = i + 1;
    if (j < end && isDigit(src[j]!)) {
      while (j < end && isDigit(src[j]!)) j++;
      this.literal();
      return j;
    }
    while (
      j < end &&
      src[j] !== 0x24 &&
      isWordByte(src[j]!, 'postgres') &&
      !(j === i + 1 && isDigit(src[j]!))
    )
      j++;
    if (j >= end || src[j] !== 0x24) return i;
    const tagLen = j - i + 1;
    let k = j + 1;
    while (k < end) {
      if (src[k] === 0x24 && k + tagLen <= end) {
        let same = true;
        for (let t = 0; t < tagLen; t++) {
          if (src[k + t] !== src[i + t]) {
            same = false;
            break;
          }
        }
        if (same) {
          this.literal();
          return k + tagLen;
        }
      }
      k++;
    }
    this.literal();
    return end;
  }

  private skipComment(src: Uint8Array, i: number, end: number): number {
    let nest = 1;
    let j = i + 2;
    while (j < end) {
      if (src[j] === 0x2a && j + 1 < end && src[j + 1] === 0x2f) {
        nest--;
        j += 2;
        if (nest === 0) break;
        continue;
      }
      if (this.dialect === 'postgres' && src[j] === 0x2f && j + 1 < end && src[j + 1] === 0x2a) {
        nest++;
        j += 2;
        continue;
      }
      j++;
    }
    // A comment between two words separates them, like whitespace.
    if (this.lastKind === K_WORD && j < end && isWordByte(src[j]!, this.dialect)) this.pendingSpace = true;
    return j;
  }

  private copyComment(src: Uint8Array, i: number, end: number): number {
    let j = i + 3;
    while (j < end && !(src[j] === 0x2a && j + 1 < end && src[j + 1] === 0x2f)) j++;
    j = Math.min(end, j + 2);
    if (this.listStart >= 0) this.listPure = false;
    this.space();
    for (let k = i; k < j; k++) {
      const c = src[k]!;
      this.out[this.o++] = isSpace(c) ? SPACE : c >= 0x41 && c <= 0x5a ? c | 0x20 : c;
    }
    this.lastKind = K_OP;
    return j;
  }

  private skipLine(src: Uint8Array, i: number, end: number): number {
    let j = i;
    while (j < end && src[j] !== 0x0a) j++;
    this.pendingSpace = true;
    return j;
  }

  private finish(): FingerprintResult {
    const out = this.out;
    let o = this.o;
    while (o > 0 && (out[o - 1] === SPACE || out[o - 1] === 0x3b)) o--;
    // CALL proc(...) -> call proc (arguments are not part of the shape, as pt-query-digest)
    if (
      o > 5 &&
      out[0] === 0x63 &&
      out[1] === 0x61 &&
      out[2] === 0x6c &&
      out[3] === 0x6c &&
      out[4] === SPACE
    ) {
      for (let k = 5; k < o; k++) {
        if (out[k] === LPAREN) {
          o = k;
          break;
        }
      }
      while (o > 0 && out[o - 1] === SPACE) o--;
    }
    // USE db -> use ?
    if (o > 4 && out[0] === 0x75 && out[1] === 0x73 && out[2] === 0x65 && out[3] === SPACE) {
      let single = true;
      for (let k = 4; k < o; k++) if (out[k] === SPACE) single = false;
      if (single) {
        out[4] = QMARK;
        o = 5;
      }
    }
    const r = this.result;
    r.bytes = out;
    r.length = o;
    r.garbage = this.garbage;
    return r;
  }
}

const shared: Record<SqlDialect, Fingerprinter | undefined> = { mysql: undefined, postgres: undefined };

/** Convenience for tests and one-off callers; the digest hot path keeps its own Fingerprinter. */
export function fingerprint(sql: string, dialect: SqlDialect = 'mysql'): string {
  let f = shared[dialect];
  if (f === undefined) {
    f = new Fingerprinter(dialect);
    shared[dialect] = f;
  }
  const bytes = Buffer.from(sql, 'utf8');
  const r = f.run(bytes, 0, bytes.length);
  return r.bytes.toString('utf8', 0, r.length);
}

/** Stable short id of a fingerprint: the first 16 hex digits of its SHA-256. */
export function fingerprintId(fp: string): string {
  // crypto.hash (node >= 20.12) is one native call; createHash builds a Hash object in JS,
  // once per class of a digest. The same SHA-256 either way.
  if (typeof crypto.hash === 'function') return crypto.hash('sha256', fp, 'hex').slice(0, 16);
  return crypto.createHash('sha256').update(fp).digest('hex').slice(0, 16);
}
