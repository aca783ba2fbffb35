#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CommandModule } from 'yargs';
import { didYouMean } from '../config/suggest.js';
import { packageRoot } from '../package-root.js';
import { agentCommand } from './agent.js';
import { applyCommand } from './apply.js';
import { auditCommand } from './audit.js';
import { checkCommand } from './check.js';
import { COMPLETION_COMMAND, withCompletion } from './completion.js';
import { demoCommand } from './demo.js';
import { digestCommand, parseDigestFast, runDigestCommand } from './digest.js';
import { drillCommand } from './drill.js';
import { EXIT_USAGE, failOneLine } from './fail.js';
import { findingsCommand } from './findings.js';
import { grantsCommand } from './grants.js';
import { reportCommand } from './report.js';
import { storeCommand } from './store.js';

// The command modules hold only their flags; each handler imports what it runs when it runs
// (digest loads no database driver). `dbdiag --version` and a plain `dbdiag digest FILE...` load
// no yargs at all: yargs and its helpers are ~60 modules and render the whole help before a
// handler runs, which costs more than node's whole start-up (npm run bench:startup prints the
// figures).

function printVersionAlone(argv: readonly string[]): boolean {
  if (argv.length !== 1 || argv[0] !== '--version') return false;
  const { version } = JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as {
    version: string;
  };
  process.stdout.write(`${version}\n`);
  return true;
}

// Every command is one module; register it in this list.
const COMMANDS = [
  agentCommand,
  applyCommand,
  auditCommand,
  checkCommand,
  demoCommand,
  digestCommand,
  drillCommand,
  grantsCommand,
  findingsCommand,
  storeCommand,
  reportCommand,
] as const;
const COMMAND_NAMES = [...COMMANDS.map((c) => String(c.command).split(' ')[0]!), COMPLETION_COMMAND];

/** `dbdiag digst` -> `unknown command "digst" — did you mean "digest"?` (yargs says "Unknown argument"). */
function unknownCommand(message: string | null, argv: readonly string[]): string | null {
  const first = argv[0];
  if (first === undefined || first.startsWith('-') || COMMAND_NAMES.includes(first)) return null;
  if (!message?.startsWith('Unknown argument')) return null;
  return `unknown command "${first}"${didYouMean(first, COMMAND_NAMES)} (dbdiag --help lists the commands)`;
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  if (printVersionAlone(argv)) return;
  // the plain `dbdiag digest FILE...` skips yargs too (see parseDigestFast)
  const digestArgs = argv[0] === 'digest' ? parseDigestFast(argv.slice(1)) : null;
  if (digestArgs !== null) return runDigestCommand(digestArgs);
  const { default: yargs } = await import('yargs');
  let cli = withCompletion(yargs(argv));
  for (const command of COMMANDS) cli = cli.command(command as CommandModule);
  await cli
    .scriptName('dbdiag')
    .usage('$0 <command> [options]')
    // --web.config.file is one flag, as in the Prometheus exporters, not a nested object
    .parserConfiguration({ 'dot-notation': false })
    .strict()
    .demandCommand(1, 'name a command: dbdiag --help lists them')
    .help()
    .alias('h', 'help')
    .version()
    .wrap(Math.min(110, process.stdout.columns ?? 110))
    // A mistake is one line and a non-zero exit; the full help only when asked (--help).
    .fail((message, error) => {
      failOneLine(unknownCommand(message, argv) ?? message, error, EXIT_USAGE);
    })
    .parseAsync();
}

main().catch((error: unknown) => failOneLine(null, error, EXIT_USAGE));
