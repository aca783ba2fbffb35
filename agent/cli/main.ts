#!/usr/bin/env node
import type { CommandModule } from 'yargs';

// The command modules hold only their flags; each handler imports what it runs when it runs
// (digest loads no database driver). `dbdiag --version` and a plain `dbdiag digest FILE...` load
// neither yargs nor the other commands' modules: yargs and its helpers are ~60 modules and render
// the whole help before a handler runs, which costs more than node's whole start-up
// (npm run bench:startup prints the figures). Neither loads the error path (fail.js and the
// secret scrubbing it uses) unless something fails; --version loads no command at all.

async function printVersionAlone(argv: readonly string[]): Promise<boolean> {
  if (argv.length !== 1 || argv[0] !== '--version') return false;
  const { agentVersion } = await import('../package-root.js');
  process.stdout.write(`${agentVersion()}\n`);
  return true;
}

/** Every command is one module; register it in this list. */
async function loadCommands(): Promise<CommandModule[]> {
  const modules = await Promise.all([
    import('./agent.js').then((m) => m.agentCommand),
    import('./apply.js').then((m) => m.applyCommand),
    import('./audit.js').then((m) => m.auditCommand),
    import('./check.js').then((m) => m.checkCommand),
    import('./demo.js').then((m) => m.demoCommand),
    import('./digest.js').then((m) => m.digestCommand),
    import('./drill.js').then((m) => m.drillCommand),
    import('./grants.js').then((m) => m.grantsCommand),
    import('./findings.js').then((m) => m.findingsCommand),
    import('./store.js').then((m) => m.storeCommand),
    import('./report.js').then((m) => m.reportCommand),
  ]);
  return modules as CommandModule[];
}

/** `dbdiag digst` -> `unknown command "digst" — did you mean "digest"?` (yargs says "Unknown argument"). */
function unknownCommand(
  message: string | null,
  argv: readonly string[],
  names: readonly string[],
  didYouMean: (word: string, known: Iterable<string>) => string,
): string | null {
  const first = argv[0];
  if (first === undefined || first.startsWith('-') || names.includes(first)) return null;
  if (!message?.startsWith('Unknown argument')) return null;
  return `unknown command "${first}"${didYouMean(first, names)} (dbdiag --help lists the commands)`;
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  if (await printVersionAlone(argv)) return;
  // the plain `dbdiag digest FILE...` skips yargs too (see parseDigestFast)
  if (argv[0] === 'digest') {
    const { parseDigestFast, runDigestCommand } = await import('./digest.js');
    const digestArgs = parseDigestFast(argv.slice(1));
    if (digestArgs !== null) return runDigestCommand(digestArgs);
  }
  const [
    { default: yargs },
    { COMPLETION_COMMAND, withCompletion },
    { didYouMean },
    { EXIT_USAGE, failOneLine },
    commands,
  ] = await Promise.all([
    import('yargs'),
    import('./completion.js'),
    import('../config/suggest.js'),
    import('./fail.js'),
    loadCommands(),
  ]);
  const names = [...commands.map((c) => String(c.command).split(' ')[0]!), COMPLETION_COMMAND];
  let cli = withCompletion(yargs(argv));
  for (const command of commands) cli = cli.command(command);
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
      failOneLine(unknownCommand(message, argv, names, didYouMean) ?? message, error, EXIT_USAGE);
    })
    .parseAsync();
}

main().catch(async (error: unknown) => {
  const { EXIT_USAGE, failOneLine } = await import('./fail.js');
  failOneLine(null, error, EXIT_USAGE);
});
