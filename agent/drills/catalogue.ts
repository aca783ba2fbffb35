import type { DrillScenario } from './scenario.js';
import { cacheThrash } from './scenarios/cache-thrash.js';
import { connectionLeak } from './scenarios/connection-leak.js';
import { lockPileup } from './scenarios/lock-pileup.js';
import { longTransaction } from './scenarios/long-transaction.js';
import { lostIndex } from './scenarios/lost-index.js';
import { plantIncident } from './scenarios/plant-incident.js';
import { slowQueryStorm } from './scenarios/slow-query-storm.js';

/** Every drill scenario, by name; a new one adds its agent/drills/scenarios/<name>.ts here. */
export const SCENARIOS: readonly DrillScenario[] = [
  plantIncident,
  connectionLeak,
  lockPileup,
  longTransaction,
  cacheThrash,
  lostIndex,
  slowQueryStorm,
];

export function scenarioNamed(name: string): DrillScenario | undefined {
  return SCENARIOS.find((s) => s.name === name);
}
