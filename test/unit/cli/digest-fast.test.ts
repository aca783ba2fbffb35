import { describe, expect, it } from 'vitest';
import yargs from 'yargs';
import { type DigestArgs, digestCommand, parseDigestFast } from '../../../agent/cli/digest.js';

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
