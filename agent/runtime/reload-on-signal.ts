import type { Config } from '../config/schema.js';
import { errorMessage } from '../errors.js';
import type { Logger } from '../log.js';
import type { RunnerOptionsFactory, RunningAgent } from './agent.js';

/** The first line of a message: a YAML parser's error continues with a code frame of the file. */
function oneLine(message: string): string {
  return (message.split('\n')[0] ?? '').replace(/:$/, '');
}

/**
 * SIGHUP re-reads the configuration (as `systemctl reload dbdiag` sends it) and applies it to
 * the running agent. A config that does not load leaves the running one in place and is
 * reported in one log line naming the file and the problem.
 */
export function reloadOnSignal(
  agent: RunningAgent,
  options: {
    /** loads the config the way the agent was started (same file, same flags); throws when invalid */
    load: () => Config;
    runnerOptions: (config: Config) => RunnerOptionsFactory;
    log: Logger;
    signal?: NodeJS.Signals;
  },
): () => void {
  const log = options.log.child({ component: 'agent' });
  const signal = options.signal ?? 'SIGHUP';
  const failed = (error: unknown) =>
    log.error(`configuration reload failed, still running the previous one: ${oneLine(errorMessage(error))}`);
  const onSignal = () => {
    let next: Config;
    try {
      next = options.load();
    } catch (error) {
      failed(error);
      return;
    }
    agent.reload(next, options.runnerOptions(next)).catch(failed);
  };
  process.on(signal, onSignal);
  return () => process.off(signal, onSignal);
}
