#!/usr/bin/env node
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { agentCommand } from './agent.js';
import { checkCommand } from './check.js';
import { withCompletion } from './completion.js';
import { demoCommand } from './demo.js';
import { digestCommand } from './digest.js';
import { grantsCommand } from './grants.js';

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
    .strict()
    .demandCommand(1, 'name a command: dbdiag --help lists them')
    .help()
    .alias('h', 'help')
    .version()
    .wrap(Math.min(110, process.stdout.columns ?? 110))
    .parseAsync();
}

main().catch((error: unknown) => {
  process.stderr.write(`dbdiag: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
