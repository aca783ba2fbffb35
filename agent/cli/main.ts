#!/usr/bin/env node
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { agentCommand } from './agent.js';
import { checkCommand } from './check.js';
import { withCompletion } from './completion.js';
import { demoCommand } from './demo.js';
import { digestCommand } from './digest.js';
import { EXIT_USAGE, failOneLine } from './fail.js';
import { grantsCommand } from './grants.js';

// The command modules hold only their flags; each handler imports what it runs when it runs
// (dbdiag --version loads no engine, digest loads no database driver).

async function main(): Promise<void> {
  // Every command is one module; register it in this chain.
  await withCompletion(yargs(hideBin(process.argv)))
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
