import { mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import yargs from 'yargs';
import {
  type DigestArgs,
  digestCommand,
  isShortDigest,
  parseDigestFast,
  SHORT_DIGEST_BYTES,
} from '../../../agent/cli/digest.js';

// The digest fast path (no yargs) must read a plain command line exactly as yargs does, and
// hand everything else to yargs.

async function viaYargs(argv: string[]): Promise<Record<string, unknown>> {
  let seen: Record<string, unknown> = {};
  await yargs(['digest', ...argv])
    .command({
      ...digestCommand,
      handler: (args: Record<string, unknown>) => {
        seen = args;
      },
    } as never)
    .parserConfiguration({ 'dot-notation': false })
    .strict()
    .fail((message) => {
      throw new Error(message);
    })
    .parseAsync();
  return seen;
}

function pick(args: Record<string, unknown> | DigestArgs): Record<string, unknown> {
  const a = args as Record<string, unknown>;
  const keys = [
    'files',
    'format',
    'top',
    'since',
    'until',
    'json',
    'log-line-prefix',
    'max-classes',
    'threads',
  ];
  return Object.fromEntries(keys.map((k) => [k, a[k]]));
}

describe('parseDigestFast', () => {
  it.each([
    [['/var/log/slow.log']],
    [[]],
    [['-']],
    [['a.log', 'b.log.gz', '--top', '5', '--json']],
    [['--format=postgres-stderr', '--log-line-prefix', '%m [%p] ', 'pg.log']],
    [
      [
        '--since',
        '2024-05-01',
        '--until',
        '2024-05-02T00:00:00Z',
        '--max-classes',
        '100',
        '--threads',
        '2',
        'x',
      ],
    ],
  ])('reads %j as yargs does', async (argv) => {
    const fast = parseDigestFast(argv);
    expect(fast).not.toBeNull();
    expect(pick(fast!)).toEqual(pick(await viaYargs(argv)));
  });

  it.each([
    [['--help']],
    [['-h']],
    [['--top', '0', 'x']],
    [['--top', 'abc', 'x']],
    [['--top', '5', '--top', '6', 'x']],
    [['--format', 'oracle', 'x']],
    [['--no-json', 'x']],
    [['--maxClasses', '5', 'x']],
    [['--bogus', 'x']],
    [['--since', 'yesterday', 'x']],
    [['--json', 'false', 'x']],
  ])('leaves %j to yargs', (argv) => {
    expect(parseDigestFast(argv)).toBeNull();
  });
});

describe('isShortDigest (a short digest runs without TurboFan)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dbdiag-short-digest-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const file = (name: string, content: string | Buffer, size?: number): string => {
    const path = join(dir, name);
    writeFileSync(path, content);
    if (size !== undefined) truncateSync(path, size);
    return path;
  };

  it('takes plain files up to the limit together', () => {
    const half = file('half.log', '# Time: 1\n', SHORT_DIGEST_BYTES / 2);
    expect(isShortDigest([half])).toBe(true);
    expect(isShortDigest([half, file('half2.log', '# Time: 2\n', SHORT_DIGEST_BYTES / 2)])).toBe(true);
    expect(isShortDigest([half, file('more.log', '# Time: 3\n', SHORT_DIGEST_BYTES / 2 + 1)])).toBe(false);
    expect(isShortDigest([file('empty.log', '')])).toBe(true);
  });

  it('leaves stdin, gzip, large and unreadable inputs to the default compiler', () => {
    expect(isShortDigest(['-'])).toBe(false);
    expect(isShortDigest([file('small.log.gz', gzipSync('# Time: 1\n'))])).toBe(false);
    expect(isShortDigest([file('big.log', '# Time: 1\n', SHORT_DIGEST_BYTES + 1)])).toBe(false);
    expect(isShortDigest([join(dir, 'missing.log')])).toBe(false);
  });
});
