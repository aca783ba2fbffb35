import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fingerprint } from '../../../agent/slowlog/fingerprint.js';
import { digestInputs } from '../../../agent/slowlog/read.js';
import { makeShapes, mysqlEntry, rng } from '../../bench/slowlog-generator.js';

// dbdiag's grouping against pt-query-digest's on the same generated slow log (percona-toolkit
// is a Debian package the setup installs). pt-query-digest's QueryRewriter, loaded as a library,
// gives pt's class of every statement.

const PT_FINGERPRINT =
  'require "/usr/bin/pt-query-digest"; my $qr = QueryRewriter->new(); local $/ = ";\\n"; ' +
  'while (my $q = <>) { chomp $q; print $qr->fingerprint($q), "\\n"; }';

// The split rules are checked against README.md's "Slow-log digest" section, where users read them.
const README = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');
const README_SECTION = README.slice(
  README.indexOf('## Slow-log digest'),
  README.indexOf('\n## ', README.indexOf('## Slow-log digest') + 1),
);

type Make = (r: () => number) => string;
const n = (r: () => number, max = 1000) => Math.floor(r() * max);
const list = (r: () => number) => Array.from({ length: 1 + n(r, 12) }, () => n(r)).join(', ');

// statements chosen to hit every rule, and the places where pt-query-digest is lossy
const TRICKY: Make[] = [
  (r) => `SELECT t0.id, t0.name FROM customers t0 WHERE t0.id = ${n(r)}`,
  (r) => `SELECT t1.id, t1.name FROM customers t1 WHERE t1.id = ${n(r)}`,
  (r) => `SELECT * FROM archive_2023 WHERE id = ${n(r)}`,
  (r) => `SELECT * FROM archive_2024 WHERE id = ${n(r)}`,
  (r) => `select * from orders where id in (${list(r)})`,
  (r) => `SELECT * FROM orders WHERE id IN (${list(r)}) AND state = 'open'`,
  (r) =>
    `INSERT INTO audit (a, b) VALUES ${Array.from({ length: 1 + n(r, 6) }, () => `(${n(r)}, 'v${n(r)}')`).join(', ')}`,
  (r) => `/* trace_id=${n(r, 1e9).toString(16)} */ SELECT name FROM users WHERE email = 'u${n(r)}@x.org'`,
  (r) => `SELECT   name\n  FROM users\n WHERE email = "u${n(r)}@y.org"`,
  (r) => `SeLeCt name FROM users WHERE email = 'z${n(r)}'`,
  (r) => 'SELECT * FROM `Users` WHERE id = ' + n(r),
  (r) => 'SELECT * FROM `users` WHERE id = ' + n(r),
  (r) => `SELECT a-b FROM t WHERE id = ${n(r)}`,
  (r) => `SELECT a-c FROM t WHERE id = ${n(r)}`,
  (r) => `SELECT a FROM t ORDER BY a ASC LIMIT ${n(r, 50)}, ${n(r, 50)}`,
  (r) => `SELECT a FROM t ORDER BY a LIMIT ${n(r, 50)}`,
  (r) => `UPDATE t SET a = NULL, b = ${r() < 0.5 ? 'TRUE' : 'FALSE'} WHERE id = ${n(r)}`,
  (r) => `SELECT x FROM t WHERE d > '2024-0${1 + n(r, 9)}-01' AND h = 0x${n(r, 4096).toString(16)}`,
];

/** Lossy rewrites pt-query-digest makes and dbdiag does not, each named as in README. */
const RULES: Array<{ rule: string; apply: (fp: string) => string }> = [
  // pt-query-digest turns digits anywhere into ?, so t0/t1 and archive_2023/archive_2024 merge
  {
    rule: 'identifiers are kept whole',
    apply: (fp) => fp.replace(/[a-z_][a-z0-9_]*/g, (w) => w.replace(/[0-9]+/g, '?')),
  },
  // pt-query-digest lower-cases quoted identifiers too
  { rule: 'quoted identifiers keep their case', apply: (fp) => fp.toLowerCase() },
  // pt-query-digest reads "-b" after a column as a signed number
  { rule: 'operators are kept', apply: (fp) => fp.replace(/[-+][a-z0-9_?]+/g, '?') },
];

function explain(a: string, b: string): string[] | null {
  const used: string[] = [];
  let x = a;
  let y = b;
  for (const { rule, apply } of RULES) {
    const nx = apply(x);
    const ny = apply(y);
    if (nx !== x || ny !== y) used.push(rule);
    x = nx;
    y = ny;
    if (x === y) return used;
  }
  return null;
}

let dir = '';
const statements: string[] = [];
let ptClasses: Array<{ fingerprint: string; query_count: number }> = [];
let ptOf: string[] = [];

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'dbdiag-pt-'));
  const r = rng(2024);
  const shapes = makeShapes(60);
  const makers: Make[] = [...TRICKY, ...shapes.map((s) => (rr: () => number) => s.make(rr, false))];
  let log = '';
  for (let i = 0; i < 700; i++) {
    const sql = makers[i < makers.length ? i : n(r, makers.length)]!(r);
    statements.push(sql);
    log += mysqlEntry(sql, Date.UTC(2024, 4, 1) + i * 1000, r, 0.001 + r());
  }
  writeFileSync(join(dir, 'slow.log'), log);
  writeFileSync(join(dir, 'queries.sql'), statements.map((s) => `${s};\n`).join(''));
  const json = execFileSync(
    'pt-query-digest',
    ['--output', 'json', '--limit', '100000', join(dir, 'slow.log')],
    {
      encoding: 'utf8',
      maxBuffer: 64 << 20,
    },
  );
  ptClasses = (JSON.parse(json) as { classes: typeof ptClasses }).classes;
  // pt-query-digest's own fingerprint function (the pt-fingerprint script carries an older copy)
  ptOf = execFileSync('perl', ['-e', PT_FINGERPRINT, join(dir, 'queries.sql')], { encoding: 'utf8' })
    .trimEnd()
    .split('\n');
}, 120_000);

afterAll(() => {
  if (dir !== '') rmSync(dir, { recursive: true, force: true });
});

/**
 * pt-query-digest reads the doubled quote in 'o''brien' as two strings (`??`), so it splits
 * statements that differ only in a literal value; dbdiag does not (README: "a string with a
 * doubled quote is one literal"). pt classes are compared with `??` read as `?`.
 */
const PT_DOUBLED_QUOTE_RULE = 'a string with a doubled quote is one literal';
const bare = (fp: string) => fp.replace(/[\s;]+$/, '').replace(/\?{2,}/g, '?');

describe('grouping compared with pt-query-digest', () => {
  it("pt-query-digest's fingerprint function gives one fingerprint per statement, and its classes are the ones pt-query-digest reports", () => {
    expect(ptOf.length).toBe(statements.length);
    const mine = new Set(ptOf.map(bare));
    expect(new Set(ptClasses.map((c) => bare(c.fingerprint)))).toEqual(mine);
  });

  it('never merges two pt-query-digest classes, accounts for every pt class count, and explains each split by a README rule', async () => {
    const { digest } = await digestInputs([join(dir, 'slow.log')], { format: 'mysql', threads: 1 });
    expect(digest.skips.lines).toBe(0);
    expect(digest.events).toBe(statements.length);
    const ours = new Map(digest.classes().map((c) => [c.fingerprint, c.count]));
    const ptByOurs = new Map<string, Set<string>>();
    statements.forEach((sql, i) => {
      const fp = fingerprint(sql, 'mysql');
      expect(ours.has(fp)).toBe(true);
      const set = ptByOurs.get(fp) ?? new Set<string>();
      set.add(bare(ptOf[i]!));
      ptByOurs.set(fp, set);
    });
    // 1. no dbdiag class holds statements of two pt classes
    for (const [fp, pts] of ptByOurs) expect([fp, [...pts]]).toEqual([fp, [...pts].slice(0, 1)]);
    // 2. each pt class count = the sum of the dbdiag classes it split into
    const oursByPt = new Map<string, string[]>();
    for (const [fp, pts] of ptByOurs) {
      const pt = [...pts][0]!;
      oursByPt.set(pt, [...(oursByPt.get(pt) ?? []), fp]);
    }
    expect(README_SECTION).toContain(PT_DOUBLED_QUOTE_RULE);
    const ptCounts = new Map<string, number>();
    for (const c of ptClasses)
      ptCounts.set(bare(c.fingerprint), (ptCounts.get(bare(c.fingerprint)) ?? 0) + c.query_count);
    for (const [pt, count] of ptCounts) {
      const parts = oursByPt.get(pt) ?? [];
      expect([pt, parts.reduce((sum, fp) => sum + ours.get(fp)!, 0)]).toEqual([pt, count]);
    }
    // 3. every split is explained by rules written in the README section
    let splits = 0;
    for (const [pt, parts] of oursByPt) {
      for (const other of parts.slice(1)) {
        splits++;
        const rules = explain(parts[0]!, other);
        expect({ pt, a: parts[0], b: other, rules }).toEqual({
          pt,
          a: parts[0],
          b: other,
          rules: expect.any(Array),
        });
        for (const rule of rules ?? []) expect(README_SECTION).toContain(rule);
      }
    }
    // the log was built to contain the t0/t1, archive_2023/2024, `Users`/`users` and a-b/a-c splits
    expect(splits).toBeGreaterThanOrEqual(4);
  });
});
