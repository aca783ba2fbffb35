import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configSchema } from '../../../agent/config/schema.js';
import { SCENARIOS } from '../../../agent/drills/catalogue.js';
import { runDrill } from '../../../agent/drills/runner.js';
import { type Scorecard, scorecardErrors } from '../../../agent/drills/scorecard.js';
import { componentLogger } from '../../../agent/log.js';
import { startSandboxServer } from '../../../agent/sandbox/engines.js';
import type { SandboxServer } from '../../../agent/sandbox/server.js';
import type { EngineName } from '../../../agent/snapshot/signals.js';
import { openStore } from '../../../agent/state/open.js';
import type { Store } from '../../../agent/state/store.js';

// The catalogue's fault drills in auto mode on real servers, one sandbox server per engine
// shared by the scenarios that allow it (each works in a database and login of its own): the
// expected findings within their threshold time plus two 2 s sampling intervals, the
// mitigation applied from the findings' actions, recovery measured, and afterwards nothing of
// the drill on the server — no session, open transaction, lock, database or login — checked
// here with the server's own catalog, not only by the drill. The scorecards go to a store, as a
// team's quarterly runs do: one more run of a scenario compares with the stored one, and
// `dbdiag drill history` lists both.

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

/** what is on the server besides the test's own query (sessions, transactions, locks, drill objects) */
const REMAINS: Record<EngineName, string> = {
  postgres: `SELECT
    (SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()) AS sessions,
    (SELECT count(*) FROM pg_locks WHERE pid <> pg_backend_pid()) AS locks,
    (SELECT count(*) FROM pg_database WHERE datname LIKE 'dbdiag_drill_%') AS databases,
    (SELECT count(*) FROM pg_roles WHERE rolname LIKE 'dbdiag_drill_%') AS logins`,
  mysql: `SELECT
    (SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE ID <> CONNECTION_ID()
       AND COMMAND NOT IN ('Daemon') AND USER NOT IN ('system user', 'event_scheduler')) AS sessions,
    (SELECT COUNT(*) FROM information_schema.INNODB_TRX) AS locks,
    (SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME LIKE 'dbdiag\\_drill\\_%') AS \`databases\`,
    (SELECT COUNT(*) FROM mysql.user WHERE User LIKE 'dbdiag\\_drill\\_%') AS logins`,
};

const ENGINES: EngineName[] = ['postgres', 'mysql'];
/**
 * The alert rule each scenario must really fire on the drill's real Prometheus (evaluating
 * dashboards/prometheus/dbdiag.rules.yml with every for: scaled by 0.02, which the scorecard
 * says): one per engine, the rest of the rule -> scenario contract is test/contracts/alert-drills.
 */
const FIRES: Record<string, string> = { 'connection-leak': 'DbdiagConnectionSaturationCritical' };
const log = componentLogger('drill-test');

describe.each(ENGINES)('drill scenarios on a shared %s sandbox (auto)', (engine) => {
  const scenarios = SCENARIOS.filter((s) => !s.needsOwnServer && s.engines.includes(engine));
  let server: SandboxServer;
  const lines: string[] = [];
  const dataDir = mkdtempSync(join(tmpdir(), `drill-scenarios-${engine}-`));
  let store: Store;
  const cards = new Map<string, Scorecard>();

  beforeAll(async () => {
    // what the shared scenarios need: a small connection limit (connection-leak fills it)
    server = await startSandboxServer(engine, { purpose: 'drill-test', maxConnections: 20 });
    store = await openStore({ dataDir });
  });
  afterAll(async () => {
    await server?.destroy();
    await store?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const drill = (name: string): Promise<Scorecard> =>
    runDrill({
      scenario: name,
      engine,
      mode: 'auto',
      config: configSchema.parse({}),
      intervalSeconds: 2,
      scale: 'small',
      store,
      log,
      print: (text) => lines.push(text),
      signal: new AbortController().signal,
      // a real Prometheus only where its rule is asserted (the rest: test/contracts/alert-drills)
      alerts: FIRES[name] !== undefined,
      server,
      // 1m -> 1.2 s: auto mode mitigates within seconds of detection, and a rule still pending
      // then never fires (at 0.1, 6 s, the mitigation won that race on PostgreSQL)
      alertForScale: 0.02,
    });

  it.each(scenarios.map((s) => s.name))('%s', async (name) => {
    const scenario = scenarios.find((s) => s.name === name);
    if (scenario === undefined) throw new Error(name);
    lines.length = 0;
    const card = await drill(name);
    cards.set(name, card);
    const story = `${lines.join('\n')}\n${JSON.stringify(card.failures)}`;
    expect(await scorecardErrors(card)).toEqual([]);
    expect(card.result, story).toBe('pass');
    // detected: every expected finding kind, within its threshold + two 2 s intervals
    expect(card.times.detectSeconds, story).not.toBeNull();
    expect(card.times.detectSeconds as number).toBeLessThanOrEqual(scenario.detectLimitSeconds);
    expect(card.findings.map((f) => f.kind)).toEqual(expect.arrayContaining([...scenario.findingKinds]));
    // mitigated from the findings' actions
    expect(card.mitigation.applied).toBe(true);
    expect(card.mitigation.actions.length).toBeGreaterThan(0);
    expect(card.times.mitigateSeconds as number).toBeGreaterThanOrEqual(card.times.detectSeconds as number);
    // recovered, measured
    expect(card.symptom.recovered, story).toBe(true);
    expect(card.times.recoverSeconds as number).toBeGreaterThanOrEqual(card.times.mitigateSeconds as number);
    expect(card.symptom.recoveryErrors).toBe(0);
    expect(card.runbook).toMatchObject({ resolved: true, diagnosisRan: true });
    const fires = FIRES[name];
    if (fires !== undefined) {
      const rule = card.alerts?.rules.find((r) => r.name === fires);
      expect(card.alertNote, story).toContain('SCALED by 0.02');
      expect(rule?.pendingSeconds, `${fires}: ${card.alertNote}`).not.toBeNull();
      expect(rule?.firingSeconds, `${fires}: ${card.alertNote}`).not.toBeNull();
      expect(card.times.alertSeconds as number).toBeLessThanOrEqual(rule?.firingSeconds as number);
      // the agent was up all along: Prometheus' wait for its first scrape is not the fault's
      expect(card.alerts?.others.map((r) => r.name)).not.toContain('DbdiagAgentDown');
    }
    // nothing left, as the drill says and as the server says
    expect(card.cleanup).toMatchObject({ ok: true, leftovers: [] });
    const [left] = await server.query(REMAINS[engine]);
    expect(Object.fromEntries(Object.entries(left ?? {}).map(([k, v]) => [k, Number(v)])), story).toEqual({
      sessions: 0,
      locks: 0,
      databases: 0,
      logins: 0,
    });
    lines.length = 0;
  });

  it('lock-pileup run again: its scorecard compares with the stored one, and drill history lists both', async () => {
    const first = cards.get('lock-pileup');
    expect(first, 'the lock-pileup run above').toBeDefined();
    expect(first?.previous).toBeNull();
    const second = await drill('lock-pileup');
    expect(await scorecardErrors(second)).toEqual([]);
    // the comparison is there whatever the second run's result
    expect(second.previous?.id).toBe(first?.id);
    expect(second.previous?.change.detectSeconds).toBeCloseTo(
      (second.times.detectSeconds as number) - (first?.times.detectSeconds as number),
      0,
    );
    // the CLI reads the same store
    await store.close();
    const history = await cli(['drill', 'history', 'lock-pileup', '--engine', engine, '--data-dir', dataDir]);
    store = await openStore({ dataDir });
    expect(history.code, history.stderr).toBe(0);
    const listed = history.stdout.trim().split('\n');
    expect(listed).toHaveLength(2);
    expect(listed[0]).toContain(second.finishedAt);
    expect(listed[1]).toContain(first?.finishedAt);
  });
});

function cli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'agent/cli/main.ts', ...args], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, DBDIAG_LOG_LEVEL: 'warn' },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => {
    stdout += c.toString();
  });
  child.stderr.on('data', (c: Buffer) => {
    stderr += c.toString();
  });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}
