#!/usr/bin/env node
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { agentCommand } from './agent.js';
import { checkCommand } from './check.js';

// Every command is one module; add it to this list.
const commands = [agentCommand, checkCommand] as const;

async function main(): Promise<void> {
  let cli = yargs(hideBin(process.argv))
    .scriptName('dbdiag')
    .usage('$0 <command> [options]')
    .strict()
    .demandCommand(1, 'name a command: dbdiag --help lists them')
    .help()
    .alias('h', 'help')
    .version()
    .wrap(Math.min(110, process.stdout.columns ?? 110));
  for (const command of commands) cli = cli.command(command);
  await cli.parseAsync();
}

main().catch((error: unknown) => {
  process.stderr.write(`dbdiag: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
