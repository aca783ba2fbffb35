import type { Config } from '../config/schema.js';
import type { ProbeName } from '../snapshot/snapshot.js';

// Cheap probes run every cycle; expensive catalog reads on slower schedules of their own.
export function probeIntervalSeconds(probe: ProbeName, config: Config): number {
  switch (probe) {
    case 'tables':
      return config.tablesIntervalSeconds;
    case 'settings':
    case 'privileges':
    case 'runway':
    case 'audit':
      return config.settingsIntervalSeconds;
    default:
      return config.intervalSeconds;
  }
}

/**
 * Probes due at `now`. A probe is due when it never ran or its interval has passed; a small
 * tolerance keeps a probe on the cycle's interval from slipping a whole cycle to jitter.
 */
export function dueProbes(
  probes: readonly ProbeName[],
  lastRunAt: Partial<Record<ProbeName, number>>,
  now: number,
  config: Config,
): ProbeName[] {
  const toleranceMs = config.intervalSeconds * 1000 * 0.2;
  return probes.filter((probe) => {
    const last = lastRunAt[probe];
    return last === undefined || now - last + toleranceMs >= probeIntervalSeconds(probe, config) * 1000;
  });
}
