import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { configSchema } from '../../agent/config/schema.js';
import { SCENARIOS } from '../../agent/drills/catalogue.js';
import { runDrill } from '../../agent/drills/runner.js';
import { type Scorecard, scorecardErrors } from '../../agent/drills/scorecard.js';
import { componentLogger } from '../../agent/log.js';
import type { EngineName } from '../../agent/snapshot/signals.js';

// The fault drills that start a sandbox server of their own (settings a shared server cannot
// have, a mitigation that restarts it), in auto mode on each engine: the expected findings in
// time, the mitigation from the findings' actions, recovery measured, and afterwards neither
// the drill's sandbox directory nor a process running in it (checked here, not only by the drill).
// plant-incident has its own test (plant-incident.test.ts); so has slow-query-storm, with its
// alert on a real Prometheus (test/integration/drills/storm.test.ts).

const ENGINES: EngineName[] = ['postgres', 'mysql'];
const log = componentLogger('drill-test');

/** the drill's sandbox directory if it is still there, and server processes still running in it */
function remainsOf(dir: string): string[] {
  const left = existsSync(dir) ? [dir] : [];
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      if (readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(dir)) left.push(`pid ${pid}`);
    } catch {
      // gone meanwhile
    }
  }
  return left;
}

describe.each(ENGINES)('drill scenarios with their own %s sandbox (auto)', (engine) => {
  const scenarios = SCENARIOS.filter(
    (s) =>
      s.needsOwnServer &&
      !['plant-incident', 'slow-query-storm'].includes(s.name) &&
      s.engines.includes(engine),
  );

  it.each(scenarios.map((s) => s.name))('%s', async (name) => {
    const scenario = scenarios.find((s) => s.name === name);
    if (scenario === undefined) throw new Error(name);
    const lines: string[] = [];
    const card: Scorecard = await runDrill({
      scenario: name,
      engine,
      mode: 'auto',
      config: configSchema.parse({}),
      intervalSeconds: 2,
      scale: 'small',
      store: null,
      log,
      print: (text) => lines.push(text),
      signal: new AbortController().signal,
      // alert timing on a real Prometheus has its own test (test/contracts); these drills are short
      alerts: false,
    });
    const story = `${lines.join('\n')}\n${JSON.stringify(card.failures)}`;
    expect(await scorecardErrors(card)).toEqual([]);
    expect(card.result, story).toBe('pass');
    expect(card.times.detectSeconds as number).toBeLessThanOrEqual(scenario.detectLimitSeconds);
    expect(card.findings.map((f) => f.kind)).toEqual(expect.arrayContaining([...scenario.findingKinds]));
    expect(card.mitigation.applied).toBe(true);
    expect(card.symptom.recovered, story).toBe(true);
    expect(card.times.recoverSeconds as number).toBeGreaterThanOrEqual(card.times.mitigateSeconds as number);
    expect(card.runbook).toMatchObject({ resolved: true, diagnosisRan: true });
    expect(card.cleanup).toMatchObject({ ok: true, leftovers: [] });
    // the server the drill started (other sessions may run drills of their own meanwhile)
    const dir = /data in (\S+dbdiag-drill-\S+), removed on exit/.exec(lines.join('\n'))?.[1];
    expect(dir, story).toBeDefined();
    expect(remainsOf(dir as string)).toEqual([]);
  });
});
