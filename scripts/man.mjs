#!/usr/bin/env node
// Writes the man page dist/man/dbdiag.1 from the CLI's own help text with GNU help2man (the
// Debian package help2man; scripts/setup.mjs installs it): the top-level --help, then every
// command's --help in a COMMANDS section, and the files a service install uses. Run after the
// build (`npm run man`; prepack does). Nothing is written by hand, so the page cannot drift.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const main = join(root, 'dist', 'agent', 'cli', 'main.js');
const out = join(root, 'dist', 'man', 'dbdiag.1');
const HELP2MAN = '/usr/bin/help2man';

if (!existsSync(main)) throw new Error(`${main} is missing: run npm run build first`);
if (!existsSync(HELP2MAN)) {
  throw new Error(
    'help2man is not installed: apt-get install help2man (npm run setup -- --system does it as root)',
  );
}

const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const cli = (...args) =>
  execFileSync(process.execPath, [main, ...args], {
    encoding: 'utf8',
    env: { ...process.env, COLUMNS: '80' },
  });

// the commands, as the parser completes them (no hand-kept list)
const commands = cli('--get-yargs-completions', 'dbdiag', '')
  .split('\n')
  .filter((word) => /^[a-z][a-z-]*$/.test(word) && word !== 'completion'); // completion --help prints its script

/** Help text as a literal roff block: backslashes escaped, no line read as a request. */
const literal = (text) =>
  text
    .trimEnd()
    .split('\n')
    .map((line) => line.replaceAll('\\', '\\e').replace(/^([.'])/, '\\&$1'))
    .join('\n');

const include = [
  '[COMMANDS]',
  ...commands.flatMap((command) => [
    `.SS "dbdiag ${command}"`,
    '.nf',
    literal(cli(command, '--help')),
    '.fi',
  ]),
  '[FILES]',
  '.TP',
  '.I /etc/dbdiag/config.yml',
  'the configuration of the service (every key: packaging/config.example.yml in the package); SIGHUP re-reads it',
  '.TP',
  '.I /etc/dbdiag/dbdiag.env',
  'secrets of the service (DSNs named by dsnEnv), read by systemd at start',
  '.TP',
  '.I /var/lib/dbdiag',
  "the service's state directory",
  '[ENVIRONMENT]',
  '.TP',
  '.B DBDIAG_LOG_LEVEL',
  'log level (pino: trace, debug, info, warn, error); logs go to stderr as JSON lines',
  '[SEE ALSO]',
  'The README of the package (npm root -g)/dbdiag/README.md, and the runbooks in its runbooks/ directory.',
  '',
].join('\n');

const work = mkdtempSync(join(tmpdir(), 'dbdiag-man-'));
try {
  const includeFile = join(work, 'dbdiag.h2m');
  writeFileSync(includeFile, include);
  mkdirSync(dirname(out), { recursive: true });
  execFileSync(
    HELP2MAN,
    [
      '--no-info',
      '--no-discard-stderr',
      '--section=1',
      `--name=database health and performance diagnostics agent for PostgreSQL and MySQL/MariaDB`,
      `--version-string=dbdiag ${version}`,
      `--include=${includeFile}`,
      `--output=${out}`,
      `${process.execPath} ${main}`,
    ],
    { stdio: ['ignore', 'inherit', 'inherit'], env: { ...process.env, COLUMNS: '80' } },
  );
} finally {
  rmSync(work, { recursive: true, force: true });
}
process.stdout.write(`wrote ${out} (${commands.length} commands)\n`);
