import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { checkNumbers } from './flags.js';

interface AgentArgs {
  config?: string;
  url?: string[];
  listen?: string;
  interval?: number;
  'web.config.file'?: string;
  dataDir?: string;
  store?: string;
}

export const agentCommand: CommandModule<object, AgentArgs> = {
  command: 'agent',
  describe: 'Sample the targets continuously and serve /metrics, /api/findings and /runbooks',
  builder: (yargs: Argv) =>
    yargs
      .option('config', { alias: 'c', type: 'string', describe: 'config file (YAML or JSON)' })
      .option('url', {
        type: 'string',
        array: true,
        describe: 'a target DSN (postgres://, mysql://, mariadb://); repeatable',
      })
      .option('listen', {
        type: 'string',
        describe: 'HTTP listen port or host:port (default 127.0.0.1:9187; a bare port binds 127.0.0.1)',
      })
      .option('interval', { type: 'number', describe: 'seconds between sampling cycles (default 15)' })
      .option('web.config.file', {
        type: 'string',
        describe: 'web config (exporter-toolkit shape): TLS, basic_auth_users, bearer token',
      })
      .option('data-dir', {
        type: 'string',
        describe:
          'data directory of the SQLite state store (default ~/.local/state/dbdiag; created on first use)',
      })
      .option('store', {
        type: 'string',
        describe: 'a shared PostgreSQL state store, postgres://... (instead of SQLite in the data directory)',
      })
      .check((args) => {
        if (!args.config && (!args.url || args.url.length === 0)) {
          throw new Error('give --url DSN (repeatable) or --config FILE');
        }
        return checkNumbers(args, { interval: { min: 1, max: 3600, unit: 'seconds' } });
      }) as Argv<AgentArgs>,
  handler: async (args: ArgumentsCamelCase<AgentArgs>) => {
    const [
      { loadConfig },
      { rootLogger },
      { startAgent },
      { runnerOptionsFor },
      { reloadOnSignal },
      { openStore, resolveDataDir },
    ] = await Promise.all([
      import('../config/load.js'),
      import('../log.js'),
      import('../runtime/agent.js'),
      import('../runtime/runner-options.js'),
      import('../runtime/reload-on-signal.js'),
      import('../state/open.js'),
    ]);
    // Components add their own `component` binding to the root logger.
    const log = rootLogger;
    const load = () =>
      loadConfig(args.config, {
        urls: args.url,
        listen: args.listen,
        intervalSeconds: args.interval,
        webConfigFile: args['web.config.file'],
        dataDir: args.dataDir,
        store: args.store,
      });
    const config = load();
    if (config.targets.length === 0) {
      throw new Error(
        `${args.config ?? 'command line'}: no targets to monitor: list them under "targets:" or give --url`,
      );
    }
    // A store that cannot be opened degrades the agent (/healthz, dbdiag_store_up 0); it still samples.
    const storeLog = log.child({ component: 'store' });
    let store: Awaited<ReturnType<typeof openStore>> | undefined;
    let storeUnavailable: string | undefined;
    try {
      store = await openStore({ store: config.store, dataDir: config.dataDir });
    } catch (error) {
      storeUnavailable = error instanceof Error ? error.message : String(error);
      storeLog.error(`state store unavailable, findings kept in memory only: ${storeUnavailable}`);
    }
    const agent = await startAgent(config, {
      log,
      runnerOptions: runnerOptionsFor(config, log, { stateDir: resolveDataDir(config.dataDir) }),
      ...(store ? { store } : {}),
      ...(storeUnavailable ? { storeUnavailable } : {}),
    });
    // Said and recorded only once the agent runs: a start that fails (port in use, unset dsnEnv)
    // prints its one line and records nothing.
    if (store) {
      storeLog.info({ backend: store.backend, location: store.location }, 'state store open');
      // the audit log keeps every configuration the agent ran with (changed keys, secrets removed)
      const { recordConfigChange } = await import('../audit/config-change.js');
      const change = await recordConfigChange(store, config).catch((error: unknown) => {
        storeLog.error(
          `audit: config-change record not written: ${error instanceof Error ? error.message : String(error)}`,
        );
        return null;
      });
      if (change)
        log.info({ component: 'audit', seq: change.seq }, `audit: configuration recorded (${change.detail})`);
    }
    // SIGHUP (systemctl reload): re-read the file, keep sessions and memory, log what changed
    reloadOnSignal(agent, {
      load,
      runnerOptions: (next) => runnerOptionsFor(next, log, { stateDir: resolveDataDir(next.dataDir) }),
      log,
    });
    process.stderr.write(
      `dbdiag agent: serving ${agent.url}/metrics (targets: ${config.targets.map((t) => t.name).join(', ')})\n`,
    );
    const shutdown = (signal: string) => {
      log.info({ component: 'agent', signal }, 'stopping');
      agent
        .stop()
        .then(() => store?.close())
        .then(() => process.exit(0))
        .catch(() => process.exit(1));
    };
    process.once('SIGINT', () => shutdown('SIGINT'));
    process.once('SIGTERM', () => shutdown('SIGTERM'));
    await new Promise(() => undefined);
  },
};
