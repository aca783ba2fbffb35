import { describe, expect, it } from 'vitest';
import { SlowLogDigest } from '../../../agent/slowlog/digest.js';
import { createParser, type LogFormat } from '../../../agent/slowlog/formats.js';
import { LineReader, MAX_LINE_BYTES } from '../../../agent/slowlog/line-reader.js';
import { makeShapes, mysqlEntry, postgresEntry, rng } from '../../bench/slowlog-generator.js';
import { digestText } from '../../support/slowlog-text.js';

// Property tests: whatever bytes arrive, the digest never throws and never holds more than
// its caps (classes, line buffer, statement buffer).

function realLog(format: LogFormat, entries: number, seed: number): string {
  const r = rng(seed);
  const shapes = makeShapes(50);
  let text = '';
  for (let i = 0; i < entries; i++) {
    const sql = shapes[Math.floor(r() * shapes.length)]!.make(r, format !== 'mysql');
    text +=
      format === 'mysql'
        ? mysqlEntry(sql, 1714557600000 + i * 1000, r, r())
        : postgresEntry(sql, 1714557600000 + i * 1000, r, r(), r() < 0.5);
  }
  return text;
}

const FORMATS: LogFormat[] = ['mysql', 'postgres-stderr', 'postgres-csv', 'postgres-json'];

describe('bad input', () => {
  it('random bytes in every format: no throw, skips counted, classes bounded', async () => {
    const r = rng(7);
    for (const format of FORMATS) {
      for (let round = 0; round < 20; round++) {
        const bytes = Buffer.alloc(20_000 + Math.floor(r() * 20_000));
        for (let i = 0; i < bytes.length; i++) bytes[i] = r() < 0.05 ? 0x0a : Math.floor(r() * 256);
        const d = await digestText(
          bytes,
          { format, prefix: '%m [%p] ' },
          { maxClasses: 20 },
          1 + Math.floor(r() * 5000),
        );
        expect(d.classes().length).toBeLessThanOrEqual(21);
        if (format !== 'postgres-csv') expect(d.skips.lines).toBeGreaterThan(0);
      }
    }
  });

  it('truncated real logs (cut at every kind of place) never throw and count what they drop', async () => {
    const r = rng(11);
    for (const format of ['mysql', 'postgres-stderr'] as const) {
      const full = Buffer.from(realLog(format, 200, 3));
      const whole = await digestText(full, { format, prefix: '%m [%p] %q%u@%d ' });
      expect(whole.skips.lines).toBe(0);
      expect(whole.events).toBe(200);
      for (let round = 0; round < 30; round++) {
        const cut = Math.floor(r() * full.length);
        // a piece cut out of the middle: the entries around the cut are truncated
        const broken = Buffer.concat([
          full.subarray(0, cut),
          full.subarray(Math.min(full.length, cut + Math.floor(r() * 500))),
        ]);
        const d = await digestText(
          broken,
          { format, prefix: '%m [%p] %q%u@%d ' },
          {},
          1 + Math.floor(r() * 4096),
        );
        expect(d.events).toBeLessThanOrEqual(200);
        expect(d.events).toBeGreaterThanOrEqual(195);
      }
    }
  });

  it('binary garbage inside a statement is skipped with its reason', async () => {
    const entry = `# User@Host: a[a] @ h []\n# Query_time: 0.1  Lock_time: 0 Rows_sent: 0  Rows_examined: 0\nSELECT \u0001\u0002\u0003 FROM t;\n`;
    const d = await digestText(entry, { format: 'mysql', prefix: null });
    expect(d.events).toBe(0);
    expect([...d.skips.reasons.keys()]).toEqual(['binary data in statement']);
  });

  it('a 5 MB line without a newline is dropped and counted; the line buffer stays under 1 MB', () => {
    const digest = new SlowLogDigest();
    const reader = new LineReader(
      createParser({ format: 'postgres-stderr', prefix: '%m [%p] ' }, digest, digest.skips),
      digest.skips,
    );
    const chunk = Buffer.alloc(64 * 1024, 0x41);
    for (let i = 0; i < 80; i++) {
      reader.push(chunk);
      expect(reader.buffered).toBeLessThanOrEqual(MAX_LINE_BYTES);
    }
    reader.push(
      Buffer.from('\n2024-05-01 10:00:00.100 UTC [1] LOG:  duration: 1.000 ms  statement: select 1\n'),
    );
    reader.end();
    expect(digest.skips.lines).toBe(1);
    expect([...digest.skips.reasons.keys()]).toEqual([`line longer than ${MAX_LINE_BYTES} bytes`]);
    expect(digest.events).toBe(1);
  });

  it('more distinct statements than the cap: classes stay bounded, totals stay exact in `other`', async () => {
    let text = '';
    for (let i = 0; i < 3000; i++) {
      text += `2024-05-01 10:00:00.100 UTC [1] LOG:  duration: ${1 + (i % 7)}.000 ms  statement: select * from table_${i}\n`;
    }
    const d = await digestText(
      text,
      { format: 'postgres-stderr', prefix: '%m [%p] ' },
      { maxClasses: 100 },
      65536,
    );
    const classes = d.classes();
    expect(classes.length).toBeLessThanOrEqual(101);
    expect(classes.at(-1)!.id).toBe('other');
    expect(classes.reduce((n, c) => n + c.count, 0)).toBe(3000);
  });

  it('an unknown format: every line skipped as such', async () => {
    const d = await digestText('hello\nworld\n', null);
    expect(d.skips.lines).toBe(2);
    expect([...d.skips.reasons.keys()]).toEqual(['unknown log format']);
  });
});
