import { describe, expect, it } from 'vitest';
import { detectFormat } from '../../../agent/slowlog/formats.js';
import { classJson, digestJson, renderText } from '../../../agent/slowlog/report.js';
import { digestText } from '../../support/slowlog-text.js';

// What users of `dbdiag digest` reported (issue 10, "the small things"), each on its input.

const entry = (seconds: number, sql: string, at: number) =>
  `# Time: 2024-05-01T10:00:${String(at).padStart(2, '0')}.000000Z
# User@Host: app[app] @ localhost []
# Query_time: ${seconds.toFixed(6)}  Lock_time: 0.000100  Rows_sent: 1  Rows_examined: 10
SET timestamp=${1714557600 + at};
${sql}
`;

// A MariaDB started by name (not by path) writes its banner without one.
const BANNER = `mariadbd, Version: 10.11.6-MariaDB-0+deb12u1-log (Debian 12). started with:
Tcp port: 3306  Unix socket: /run/mysqld/mysqld.sock
Time\t\t    Id Command\tArgument
`;
const SAMPLE = `${BANNER}${entry(0.5, 'SELECT * FROM work_order_history WHERE work_order_id = 42;', 0)}${entry(
  0.25,
  'UPDATE orders SET state = 1\n  WHERE id = 7;',
  1,
)}`;

describe('MariaDB restart banner without a path', () => {
  it('is recognised as a MySQL slow log', () => {
    expect(detectFormat(Buffer.from(BANNER))).toBe('mysql');
  });

  it('`cat sample sample`: the second banner ends the statement before it, not a new class', async () => {
    const once = await digestText(SAMPLE, { format: 'mysql', prefix: null });
    const twice = await digestText(SAMPLE + SAMPLE, { format: 'mysql', prefix: null });
    expect(twice.skips.lines).toBe(0);
    expect(twice.events).toBe(2 * once.events);
    expect(twice.classes().map((c) => [c.fingerprint, c.count])).toEqual(
      once.classes().map((c) => [c.fingerprint, 2 * c.count]),
    );
    expect(twice.classes().some((c) => c.fingerprint.includes('version'))).toBe(false);
    // the statement before the banner keeps its own text
    expect(twice.classes().find((c) => c.fingerprint.startsWith('update'))?.sample).toBe(
      'UPDATE orders SET state = 1\n  WHERE id = 7',
    );
  });
});

describe('digest percentiles', () => {
  it('are never above the max nor below the min (the sketch reports a bucket midpoint)', async () => {
    // 550 ms falls in a bucket whose midpoint is above it: the "p50 560.6ms ... max 550.0ms"
    let log = '';
    for (let i = 0; i < 5; i++) log += entry(0.55, 'SELECT 1 FROM t WHERE id = 1;', i);
    const d = await digestText(log, { format: 'mysql', prefix: null });
    const c = classJson(d.classes()[0]!);
    expect(c.maxSeconds).toBe(0.55);
    for (const p of [c.p50Seconds, c.p95Seconds, c.p99Seconds]) {
      expect(p).toBeLessThanOrEqual(c.maxSeconds);
      expect(p).toBeGreaterThanOrEqual(c.minSeconds);
    }
    expect(c.p50Seconds).toBe(0.55);
  });

  it('stay ordered and within 2% on a spread of values', async () => {
    let log = '';
    for (let i = 1; i <= 50; i++) log += entry(i / 100, 'SELECT 1 FROM t WHERE id = 1;', i % 60);
    const c = classJson((await digestText(log, { format: 'mysql', prefix: null })).classes()[0]!);
    expect(c.p50Seconds).toBeLessThanOrEqual(c.p95Seconds);
    expect(c.p95Seconds).toBeLessThanOrEqual(c.p99Seconds);
    expect(c.p99Seconds).toBeLessThanOrEqual(c.maxSeconds);
    expect(Math.abs(c.p50Seconds - 0.25) / 0.25).toBeLessThan(0.02);
  });
});

describe('logs in other encodings', () => {
  it('a Latin-1 statement is read as Latin-1 (not U+FFFD) and counted in the report', async () => {
    const utf8 = entry(0.5, "SELECT * FROM kunden WHERE name = 'Müller' AND ort = 'Köln';", 0);
    const latin1 = Buffer.from(entry(0.75, "SELECT * FROM straße WHERE name = 'Jürgen';", 1), 'latin1');
    const d = await digestText(Buffer.concat([Buffer.from(utf8), latin1]), { format: 'mysql', prefix: null });
    const json = digestJson(d.state(), []);
    expect(json.events).toBe(2);
    expect(json.latin1Statements).toBe(1);
    const samples = json.classes.map((c) => c.sample ?? '');
    expect(samples).toContain("SELECT * FROM straße WHERE name = 'Jürgen'");
    expect(samples).toContain("SELECT * FROM kunden WHERE name = 'Müller' AND ort = 'Köln'");
    expect(samples.join('') + json.classes.map((c) => c.fingerprint).join('')).not.toContain('\uFFFD');
    expect(renderText(json, 10)).toMatch(/^# 1 statements were not valid UTF-8: read as Latin-1$/m);
  });
});
