import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { grantScripts } from '../engines/grants.js';
import type { EngineName } from '../snapshot/signals.js';

// `dbdiag grants`: prints the SQL an administrator runs once so the agent works with a narrow
// role (README, "Least privilege"). Prints only; it never connects anywhere.

interface GrantsArgs {
  engine: EngineName;
  role: string;
  database: string[];
  host: string;
}

export const grantsCommand: CommandModule<object, GrantsArgs> = {
  command: 'grants',
  describe:
    'Print the SQL that creates the monitoring role, its grants and the helper (pipe it to psql / mariadb)',
  builder: (yargs: Argv) =>
    yargs
      .option('engine', {
        choices: Object.keys(grantScripts) as EngineName[],
        demandOption: true,
        describe: 'the database engine',
      })
      .option('role', {
        type: 'string',
        default: 'dbdiag',
        describe: 'the monitoring role / account to create',
      })
      .option('database', {
        type: 'string',
        array: true,
        default: [] as string[],
        describe:
          'PostgreSQL: database to install the helper in (repeatable; default: the one psql connects to); MySQL: application schema to grant SELECT on (repeatable)',
      })
      .option('host', { type: 'string', default: '%', describe: "MySQL: the account's host part" })
      .check((args) => {
        const names = [args.role, ...(args.database ?? [])];
        if (names.some((n) => typeof n !== 'string' || n.trim() === '' || n.includes('\0')))
          throw new Error('--role and --database need a non-empty name');
        return true;
      }) as unknown as Argv<GrantsArgs>,
  handler: (args: ArgumentsCamelCase<GrantsArgs>) => {
    process.stdout.write(
      grantScripts[args.engine]({ role: args.role, databases: args.database, host: args.host }),
    );
  },
};
