// Byte-level helpers for the parsers: the hot path reads numbers and keys straight from the
// input buffer instead of making a string of every line.

import { isUtf8 } from 'node:buffer';

const enc = new TextEncoder();

export function ascii(text: string): Uint8Array {
  return enc.encode(text);
}

/** buf[i, end) starts with pattern */
export function startsWith(buf: Uint8Array, i: number, end: number, pattern: Uint8Array): boolean {
  const n = pattern.length;
  if (end - i < n) return false;
  for (let k = 0; k < n; k++) if (buf[i + k] !== pattern[k]) return false;
  return true;
}

/** buf[start, end) ends with pattern */
export function endsWith(buf: Uint8Array, start: number, end: number, pattern: Uint8Array): boolean {
  return end - start >= pattern.length && startsWith(buf, end - pattern.length, end, pattern);
}

const typedIndexOf = Uint8Array.prototype.indexOf;

/**
 * First index of `byte` in buf[from, end), or -1: V8's own typed-array search. Buffer's
 * indexOf is JavaScript around a binding call, and a byte loop of ours runs in the interpreter
 * for most of a short digest; either costs several times this per line. The search itself does
 * not stop at `end`: use it only where the byte is expected soon after (a newline, the next
 * space of a header line), never once per line for a byte that may not come for megabytes.
 */
export function indexOfByte(buf: Uint8Array, byte: number, from: number, end: number): number {
  const i = typedIndexOf.call(buf, byte, from);
  return i < end ? i : -1;
}

/** First index of pattern in buf[from, end), or -1. */
export function indexOf(buf: Uint8Array, from: number, end: number, pattern: Uint8Array): number {
  const n = pattern.length;
  const first = pattern[0]!;
  const last = end - n;
  // a byte loop bounded by `end`: the native search (indexOfByte) cannot be bounded and would
  // run on past the line for a rare first byte, once per line
  for (let i = from; i <= last; i++) {
    if (buf[i] !== first) continue;
    let k = 1;
    while (k < n && buf[i + k] === pattern[k]) k++;
    if (k === n) return i;
  }
  return -1;
}

/** Index just after the number parsed by parseNumber. */
export let numberEnd = 0;

/** Parses an unsigned decimal (digits, optional fraction) at buf[i]; NaN when there is none. */
export function parseNumber(buf: Uint8Array, i: number, end: number): number {
  let j = i;
  let value = 0;
  let digits = 0;
  while (j < end) {
    const c = buf[j]! - 0x30;
    if (c < 0 || c > 9) break;
    value = value * 10 + c;
    digits++;
    j++;
  }
  if (j < end && buf[j] === 0x2e) {
    j++;
    let scale = 1;
    let frac = 0;
    while (j < end) {
      const c = buf[j]! - 0x30;
      if (c < 0 || c > 9) break;
      frac = frac * 10 + c;
      scale *= 10;
      digits++;
      j++;
    }
    value += frac / scale;
  }
  numberEnd = j;
  return digits === 0 ? Number.NaN : value;
}

export function skipSpaces(buf: Uint8Array, i: number, end: number): number {
  while (i < end && (buf[i] === 0x20 || buf[i] === 0x09)) i++;
  return i;
}

/**
 * Text of buf[start, end): UTF-8 when it is valid UTF-8, else Latin-1 (a log written by a
 * server or client in latin1 / cp1252: every byte is a character, nothing becomes U+FFFD).
 */
export function decodeText(buf: Uint8Array, start: number, end: number): string {
  const bytes = Buffer.from(buf.buffer, buf.byteOffset + start, end - start);
  return isUtf8(bytes) ? bytes.toString('utf8') : bytes.toString('latin1');
}

/** True when buf[start, end) is valid UTF-8 (plain ASCII is). */
export function isUtf8Range(buf: Uint8Array, start: number, end: number): boolean {
  // a plain view: Buffer.from(arrayBuffer, ...) is JavaScript with checks, once per statement
  return isUtf8(new Uint8Array(buf.buffer, buf.byteOffset + start, end - start));
}

/** `end`, moved back so that buf[start, end) does not stop inside a UTF-8 sequence (for cuts). */
export function utf8CutEnd(buf: Uint8Array, start: number, end: number): number {
  let i = end - 1;
  let back = 0;
  while (i >= start && back < 3 && (buf[i]! & 0xc0) === 0x80) {
    i--;
    back++;
  }
  if (i < start) return end;
  const lead = buf[i]!;
  const length = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc0 ? 2 : 1;
  return i + length > end ? i : end;
}

/** A short field (parameters, names) as text; see decodeText. */
export function latin(buf: Uint8Array, start: number, end: number): string {
  return decodeText(buf, start, end);
}

/** Days since 1970-01-01 of a civil date (no Date object, no allocation). */
export function daysFromCivil(y: number, m: number, d: number): number {
  y -= m <= 2 ? 1 : 0;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

function two(buf: Uint8Array, i: number): number {
  return (buf[i]! - 0x30) * 10 + (buf[i + 1]! - 0x30);
}

export let timestampEnd = 0;

/**
 * Parses `YYYY-MM-DD[ T]HH:MM:SS[.fff][Z|±HH[:MM]| TZNAME]` at buf[i] into epoch ms; NaN if it
 * is not one. Zone names other than UTC/GMT are read as UTC (the log does not say the offset).
 */
export function parseTimestamp(buf: Uint8Array, i: number, end: number, zoneAfterSpace: boolean): number {
  if (end - i < 19) return Number.NaN;
  if (buf[i + 4] !== 0x2d || buf[i + 7] !== 0x2d || buf[i + 13] !== 0x3a || buf[i + 16] !== 0x3a)
    return Number.NaN;
  const y = two(buf, i) * 100 + two(buf, i + 2);
  const mo = two(buf, i + 5);
  const d = two(buf, i + 8);
  const h = two(buf, i + 11);
  const mi = two(buf, i + 14);
  const s = two(buf, i + 17);
  if (!(y >= 1970 && mo >= 1 && mo <= 12 && d >= 1 && d <= 31 && h <= 23 && mi <= 59 && s <= 60))
    return Number.NaN;
  let ms = (daysFromCivil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s) * 1000;
  let j = i + 19;
  if (j < end && buf[j] === 0x2e) {
    j++;
    let scale = 100;
    while (j < end && buf[j]! >= 0x30 && buf[j]! <= 0x39) {
      ms += (buf[j]! - 0x30) * scale;
      scale /= 10;
      j++;
    }
  }
  let z = j;
  if (zoneAfterSpace && z < end && buf[z] === 0x20) z++;
  if (z < end && buf[z] === 0x5a) {
    j = z + 1;
  } else if (z + 2 < end && (buf[z] === 0x2b || buf[z] === 0x2d)) {
    const sign = buf[z] === 0x2b ? 1 : -1;
    let off = two(buf, z + 1) * 60;
    let k = z + 3;
    if (k < end && buf[k] === 0x3a) k++;
    if (k + 1 < end && buf[k]! >= 0x30 && buf[k]! <= 0x39) {
      off += two(buf, k);
      k += 2;
    }
    ms -= sign * off * 60000;
    j = k;
  } else if (zoneAfterSpace && z > j) {
    let k = z;
    while (k < end && buf[k] !== 0x20) k++;
    j = k;
  }
  timestampEnd = j;
  return Math.round(ms);
}
