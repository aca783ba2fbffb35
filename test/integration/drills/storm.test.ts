import { existsSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { configSchema } from '../../../agent/config/schema.js';
import { AlertWatch } from '../../../agent/drills/alerts.js';
import { scenarioNamed } from '../../../agent/drills/catalogue.js';
import { runDrill } from '../../../agent/drills/runner.js';
import { type Scorecard, scorecardErrors } from '../../../agent/drills/scorecard.js';
import { componentLogger } from '../../../agent/log.js';
import type { EngineName } from '../../../agent/snapshot/signals.js';

// slow-query-storm in auto mode on its own sandbox server per engine (the slow log's file and
// threshold are server settings): the server logs statements of 10 ms and more to the file the
// drill's agent follows; a storm of full scans fills it. Expected: slow-query on the slow log's
// class and the missing-index it is explained by, within the threshold + two 2 s intervals;
// DbdiagSlowQueryRateSpike firing on a real Prometheus (every for: scaled by 0.02, which the
// scorecard says); the related create-index applied; the slow log back to its rate before the
// storm; and after cleanup no server directory or process, no Prometheus, and no file of the
// sandbox still open in this process (the drill's own reader of the log).

const ENGINES: EngineName[] = ['postgres', 'mysql'];
const RULE = 'DbdiagSlowQueryRateSpike';
const log = componentLogger('drill-test');

/** files under `dir` this process still holds open */
function openFilesUnder(dir: string): string[] {
  const open: string[] = [];
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      const target = readlinkSync(`/proc/self/fd/${fd}`);
      if (target.startsWith(`${dir}/`)) open.push(target);
    } catch {
      // closed meanwhile
    }
  }
  return open;
}

/** processes whose command line names `dir` */
function processesIn(dir: string): string[] {
  const found: string[] = [];
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      if (readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(dir)) found.push(`pid ${pid}`);
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

describe.each(ENGINES)('slow-query-storm on its own %s sandbox (auto)', (engine) => {
  it('raises slow-query on the slow log + missing-index, fires DbdiagSlowQueryRateSpike, recovers, cleans up', async () => {
    const scenario = scenarioNamed('slow-query-storm');
    if (scenario === undefined) throw new Error('slow-query-storm is not in the catalogue');
    const lines: string[] = [];
    const card: Scorecard = await runDrill({
      scenario: scenario.name,
      engine,
      mode: 'auto',
      config: configSchema.parse({}),
      intervalSeconds: 2,
      scale: 'small',
      store: null,
      log,
      print: (text) => lines.push(text),
      signal: new AbortController().signal,
      alerts: true,
      alertForScale: 0.02,
    });
    const story = `${lines.join('\n')}\n${JSON.stringify(card.failures)}`;
    expect(await scorecardErrors(card)).toEqual([]);
    expect(card.result, story).toBe('pass');
    expect(card.times.detectSeconds, story).not.toBeNull();
    expect(card.times.detectSeconds as number).toBeLessThanOrEqual(scenario.detectLimitSeconds);
    // the slow log's own class raised slow-query (not only the statement statistics)
    expect(
      card.findings.some((f) => f.kind === 'slow-query' && f.object.startsWith('slowlog:')),
      story,
    ).toBe(true);
    expect(card.findings.some((f) => f.kind === 'missing-index' && f.object.includes('readings'))).toBe(true);
    // mitigated from the missing-index's create-index action
    expect(card.mitigation.applied).toBe(true);
    expect(card.mitigation.actions.map((a) => a.type)).toContain('create-index');
    expect(card.mitigation.actions.map((a) => a.statement).join(' ')).toMatch(/readings.*sensor/is);
    expect(card.times.mitigateSeconds as number).toBeGreaterThanOrEqual(card.times.detectSeconds as number);
    // recovered: both findings resolved (the slow-log class over its last 20 s), the requests clean, the slow log back to its rate
    expect(card.symptom.recovered, story).toBe(true);
    expect(card.symptom.recoveryErrors).toBe(0);
    expect(card.times.recoverSeconds as number).toBeGreaterThanOrEqual(card.times.mitigateSeconds as number);
    expect(card.runbook).toMatchObject({ resolved: true, diagnosisRan: true });
    // the alert on a real Prometheus
    if (AlertWatch.available()) {
      const rule = card.alerts?.rules.find((r) => r.name === RULE);
      expect(card.alertNote, story).toContain('SCALED by 0.02');
      expect(rule?.pendingSeconds, `${RULE}: ${card.alertNote}`).not.toBeNull();
      expect(rule?.firingSeconds, `${RULE}: ${card.alertNote}\n${story}`).not.toBeNull();
      expect(card.times.alertSeconds as number).toBeLessThanOrEqual(rule?.firingSeconds as number);
    } else {
      expect(card.alertNote).toContain('not measured');
    }
    // nothing left: the drill's check, and this process's view of the sandbox
    expect(card.cleanup).toMatchObject({ ok: true, leftovers: [] });
    const dir = /\(data in (\S+), removed on exit\)/.exec(lines.join('\n'))?.[1];
    expect(dir, story).toBeDefined();
    if (dir === undefined) return;
    expect(existsSync(dir)).toBe(false);
    expect(openFilesUnder(dir)).toEqual([]);
    expect(processesIn(dir)).toEqual([]);
  }, 120_000);
});
