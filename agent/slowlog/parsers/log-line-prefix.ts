import { indexOf, parseNumber, parseTimestamp, timestampEnd } from '../bytes.js';

// PostgreSQL's log_line_prefix, compiled into a matcher over the bytes of a line. Supported
// escapes: %m %t %n (times), %p %u %d %a %h %r %l %c %s %v %x %e %i %b %Q (values), %q (the
// rest of the prefix is absent on lines of non-session processes), %% (a percent sign).

type Token = { lit: Uint8Array } | { esc: string };

export interface PrefixFields {
  at: number;
  userStart: number;
  userEnd: number;
  dbStart: number;
  dbEnd: number;
  hostStart: number;
  hostEnd: number;
}

export class LogLinePrefix {
  private readonly tokens: Token[];
  readonly fields: PrefixFields = {
    at: Number.NaN,
    userStart: 0,
    userEnd: 0,
    dbStart: 0,
    dbEnd: 0,
    hostStart: 0,
    hostEnd: 0,
  };

  constructor(readonly prefix: string) {
    const tokens: Token[] = [];
    let lit = '';
    for (let i = 0; i < prefix.length; i++) {
      const c = prefix[i]!;
      if (c === '%' && i + 1 < prefix.length) {
        const e = prefix[++i]!;
        if (e === '%') {
          lit += '%';
          continue;
        }
        if (lit !== '') tokens.push({ lit: Buffer.from(lit) });
        lit = '';
        // a padding width like %-10u is accepted and ignored
        let esc = e;
        while ((esc === '-' || (esc >= '0' && esc <= '9')) && i + 1 < prefix.length) esc = prefix[++i]!;
        tokens.push({ esc });
        continue;
      }
      lit += c;
    }
    if (lit !== '') tokens.push({ lit: Buffer.from(lit) });
    this.tokens = tokens;
  }

  /** Index just after the prefix of buf[start, end), or -1 when the line does not have it. */
  match(buf: Uint8Array, start: number, end: number): number {
    const f = this.fields;
    f.at = Number.NaN;
    f.userStart = f.userEnd = f.dbStart = f.dbEnd = f.hostStart = f.hostEnd = 0;
    return this.matchFrom(0, buf, start, end);
  }

  private matchFrom(t: number, buf: Uint8Array, i: number, end: number): number {
    const tokens = this.tokens;
    const f = this.fields;
    for (; t < tokens.length; t++) {
      const tok = tokens[t]!;
      if ('lit' in tok) {
        const lit = tok.lit;
        if (end - i < lit.length) return -1;
        for (let k = 0; k < lit.length; k++) if (buf[i + k] !== lit[k]) return -1;
        i += lit.length;
        continue;
      }
      switch (tok.esc) {
        case 'q': {
          const rest = this.matchFrom(t + 1, buf, i, end);
          if (rest >= 0) return rest;
          f.userStart = f.userEnd = f.dbStart = f.dbEnd = f.hostStart = f.hostEnd = 0;
          return severityAt(buf, i, end) >= 0 ? i : -1;
        }
        case 'm':
        case 't': {
          const at = parseTimestamp(buf, i, end, true);
          if (Number.isNaN(at)) return -1;
          f.at = at;
          i = timestampEnd;
          continue;
        }
        case 'n': {
          const at = parseNumber(buf, i, end);
          if (Number.isNaN(at)) return -1;
          f.at = at * 1000;
          while (i < end && buf[i] !== 0x20 && !this.startsNext(t, buf, i, end)) i++;
          continue;
        }
      }
      const s = i;
      const next = tokens[t + 1];
      if (next !== undefined && 'lit' in next) {
        const at = indexOf(buf, i, end, next.lit);
        if (at < 0) return -1;
        i = at;
      } else {
        while (i < end && buf[i] !== 0x20) i++;
      }
      switch (tok.esc) {
        case 'u':
          f.userStart = s;
          f.userEnd = i;
          break;
        case 'd':
          f.dbStart = s;
          f.dbEnd = i;
          break;
        case 'h':
        case 'r':
          f.hostStart = s;
          f.hostEnd = i;
          break;
      }
    }
    return severityAt(buf, i, end) >= 0 ? i : -1;
  }

  private startsNext(t: number, buf: Uint8Array, i: number, end: number): boolean {
    const next = this.tokens[t + 1];
    if (next === undefined || !('lit' in next)) return false;
    return end - i >= next.lit.length && buf[i] === next.lit[0];
  }
}

/** Index of the message after `SEVERITY:  ` at buf[i], or -1. */
export function severityAt(buf: Uint8Array, i: number, end: number): number {
  let j = i;
  while (j < end && ((buf[j]! >= 0x41 && buf[j]! <= 0x5a) || (buf[j]! >= 0x30 && buf[j]! <= 0x39))) j++;
  if (j === i || j + 2 >= end || buf[j] !== 0x3a || buf[j + 1] !== 0x20 || buf[j + 2] !== 0x20) return -1;
  return j + 3;
}

/** Prefixes tried, in order, when the user names none (PostgreSQL's and Debian's defaults, pgBadger's advice). */
export const COMMON_PREFIXES = [
  '%m [%p] %q%u@%d ',
  '%m [%p] ',
  '%t [%p]: [%l-1] user=%u,db=%d,app=%a,client=%h ',
  '%m [%p]: [%l-1] user=%u,db=%d,app=%a,client=%h ',
  '%t [%p]: user=%u,db=%d,app=%a,client=%h ',
  '%t [%p-%l] %q%u@%d ',
  '%t [%p]: [%l-1] ',
  '%m ',
  '%t ',
  '',
];
