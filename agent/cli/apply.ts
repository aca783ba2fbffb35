import { userInfo } from 'node:os';
import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { openStoreFrom, type StoreLocationArgs, withStoreLocation } from './store.js';

// `dbdiag apply FINDING_ID [--yes]`: runs an active finding's fix actions under the apply
// policy (agent/remediation/), measures the targeted statements before and after, and writes
// an audit record whatever happens. Off unless apply.enabled is set in the config.

/** Exit statuses: refused by the policy; the fix failed to run; run, then reverted. */
export const EXIT_REFUSED = 3;
export const EXIT_APPLY_FAILED = 4;
export const EXIT_REVERTED = 5;

interface ApplyArgs extends StoreLocationArgs {
  finding: string;
  yes: boolean;
  format: 'text' | 'json';
}

export const applyCommand: CommandModule<object, ApplyArgs> = {
  command: 'apply <finding>',
  describe:
    "Run an active finding's fix (online DDL, lock timeout) under the apply policy, verify it over a validation window, audit it",
  builder: (yargs: Argv) =>
    withStoreLocation(
      yargs
        .positional('finding', {
          type: 'string',
          demandOption: true,
          describe: 'the finding id (dbdiag findings)',
        })
        .option('yes', {
          alias: 'y',
          type: 'boolean',
          default: false,
          describe: 'confirm: required on every target that is not a sandbox',
        })
        .option('format', { choices: ['text', 'json'] as const, default: 'text' as const }),
    ) as unknown as Argv<ApplyArgs>,
  handler: async (args: ArgumentsCamelCase<ApplyArgs>) => {
    const { store, config } = await openStoreFrom(args);
    try {
      const { applyFinding } = await import('../remediation/apply.js');
      const outcome = await applyFinding(config, store, {
        findingId: args.finding,
        who: userInfo().username,
        confirmed: args.yes,
      });
      if (args.format === 'json') process.stdout.write(`${JSON.stringify(outcome, null, 2)}\n`);
      else {
        const lines = [
          `${outcome.status}: ${outcome.reason}`,
          ...outcome.statements.map((s) => `  ${s}`),
          `audit record #${outcome.audit.seq}`,
        ];
        process.stdout.write(`${lines.join('\n')}\n`);
      }
      process.exitCode =
        outcome.status === 'refused'
          ? EXIT_REFUSED
          : outcome.status === 'failed'
            ? EXIT_APPLY_FAILED
            : outcome.status === 'reverted'
              ? EXIT_REVERTED
              : 0;
    } finally {
      await store.close();
    }
  },
};
