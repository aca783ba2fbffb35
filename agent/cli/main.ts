#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../package-root.js';
import { agentCommand } from './agent.js';
import { checkCommand } from './check.js';
import { withCompletion } from './completion.js';
import { demoCommand } from './demo.js';
import { digestCommand } from './digest.js';
import { EXIT_USAGE, failOneLine } from './fail.js';
import { grantsCommand } from './grants.js';

// The command modules hold only their flags; each handler imports what it runs when it runs
// (digest loads no database driver). `dbdiag --version` alone loads nothing at all: yargs and
// its helpers are ~60 modules, which on their own cost more than node's whole start-up
// (npm run bench:startup prints the figures).

function printVersionAlone(argv: readonly string[]): boolean {
  if (argv.length !== 1 || argv[0] !== '--version') return false;
  const { version } = JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as {
    version: string;
  };
  process.stdout.write(`${version}\n`);
  return true;
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  if (printVersionAlone(argv)) return;
  const { default: yargs } = await import('yargs');
  // Every command is one module; register it in this chain.
  await withCompletion(yargs(argv))
    .command(agentCommand)
    .command(checkCommand)
    .command(demoCommand)
    .command(digestCommand)
    .command(grantsCommand)
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
      failOneLine(message, error, EXIT_USAGE);
    })
    .parseAsync();
}

main().catch((error: unknown) => failOneLine(null, error, EXIT_USAGE));
