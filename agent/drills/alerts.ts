import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import type { Logger } from '../log.js';
import { packageRoot } from '../package-root.js';
import {
  type PrometheusAlert,
  prometheusInstalled,
  type RunningPrometheus,
  startPrometheus,
} from '../sandbox/prometheus.js';

// Time to alert, measured: a real Prometheus scrapes the drill's agent as often as the agent
// samples and evaluates dashboards/prometheus/dbdiag.rules.yml every second; its /api/v1/alerts is read
// twice a second. A rule's time is when Prometheus first reported it firing, in seconds since
// t0 (the fault injected); its pending time is the alert's own activeAt. The rules' `for:`
// durations are the file's unless the drill asks for them scaled — then the scorecard says so.
// Without an installed Prometheus nothing is measured, and the scorecard says that instead.

export const RULES_FILE = join('dashboards', 'prometheus', 'dbdiag.rules.yml');
/** the scrape job the rules expect (up{job="dbdiag"}) */
const SCRAPE_JOB = 'dbdiag';
const POLL_MS = 500;

export interface AlertRuleTiming {
  name: string;
  /** the rule's `for:` as the drill's Prometheus evaluated it ("1m"; scaled: "6s") */
  for: string | null;
  /** t0 to the alert's expression first holding (Prometheus' activeAt); null: never */
  pendingSeconds: number | null;
  /** t0 to Prometheus first reporting it firing; null: never */
  firingSeconds: number | null;
}

export interface AlertTimes {
  /** a real Prometheus ran and was read */
  measured: boolean;
  /** the Prometheus version, e.g. "2.45.3" */
  prometheus: string | null;
  /** the factor applied to every rule's for: (1: the rules file as it is) */
  forScale: number;
  /** the scenario's rules, in its order */
  rules: AlertRuleTiming[];
  /** other rules that went pending or fired during the drill */
  others: AlertRuleTiming[];
  /** Prometheus' scrapes of the drill's agent: how many, how many failed (null: not known) */
  scrapes?: { total: number; failed: number } | null;
}

/** "5m" -> 300, "1h30m" -> 5400, "90s" -> 90 (Prometheus duration units) */
export function durationSeconds(text: string): number {
  const units: Record<string, number> = {
    ms: 0.001,
    s: 1,
    m: 60,
    h: 3600,
    d: 86_400,
    w: 604_800,
    y: 31_536_000,
  };
  let total = 0;
  let rest = text.trim();
  while (rest !== '') {
    const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d|w|y)/.exec(rest);
    if (m === null) throw new Error(`not a Prometheus duration: "${text}"`);
    total += Number(m[1]) * (units[m[2] ?? 's'] ?? 1);
    rest = rest.slice(m[0].length);
  }
  return total;
}

interface RuleFileShape {
  groups: { name: string; interval?: string; rules: { alert?: string; for?: string }[] }[];
}

export function loadRulesText(): string {
  return readFileSync(join(packageRoot(), RULES_FILE), 'utf8');
}

/** Each alert rule's `for:` (null when it has none), from the rules file's text. */
export function ruleDurations(text: string): Map<string, string | null> {
  const file = parseYaml(text) as RuleFileShape;
  const out = new Map<string, string | null>();
  for (const group of file.groups)
    for (const rule of group.rules) if (rule.alert) out.set(rule.alert, rule.for ?? null);
  return out;
}

/** The rules file with every `for:` multiplied by `scale` (whole seconds, at least 1 s). */
export function scaleRuleDurations(text: string, scale: number): string {
  if (scale === 1) return text;
  const file = parseYaml(text) as RuleFileShape;
  for (const group of file.groups)
    for (const rule of group.rules)
      if (rule.for !== undefined) rule.for = `${Math.max(1, Math.ceil(durationSeconds(rule.for) * scale))}s`;
  return stringifyYaml(file);
}

/** What the scorecard says about the alert times, in plain words. */
export function alertNote(times: AlertTimes, installHint = true): string {
  if (!times.measured)
    return installHint
      ? 'not measured: no Prometheus installed (/usr/bin/prometheus) to evaluate the alert rules'
      : 'not measured';
  const parts = [`measured on a real Prometheus ${times.prometheus ?? ''}`.trim()];
  parts.push(
    times.forScale === 1
      ? "evaluating dashboards/prometheus/dbdiag.rules.yml as it is (the rules' own for: durations)"
      : `evaluating dashboards/prometheus/dbdiag.rules.yml with every for: duration SCALED by ${times.forScale} (${times.rules
          .filter((r) => r.for !== null)
          .map((r) => `${r.name} for: ${r.for}`)
          .join(', ')}): shorter than in production`,
  );
  if (times.scrapes && times.scrapes.failed > 0)
    parts.push(
      `${times.scrapes.failed} of ${times.scrapes.total} scrapes of the drill's agent failed (it did not answer within the scrape timeout)`,
    );
  const fired = times.rules.filter((r) => r.firingSeconds !== null);
  if (fired.length === 0) {
    const pending = times.rules.filter((r) => r.pendingSeconds !== null);
    parts.push(
      pending.length === 0
        ? 'none of its rules went pending'
        : `none fired; pending: ${pending.map((r) => `${r.name} from ${r.pendingSeconds} s (for: ${r.for})`).join(', ')} — the fault ended before the for: duration ran out`,
    );
  }
  return parts.join('; ');
}

/** Watches a Prometheus's alerts from t0 on. */
export class AlertWatch {
  private prometheus: RunningPrometheus | null = null;
  private starting: Promise<void> | null = null;
  private timer: NodeJS.Timeout | null = null;
  private t0: number | null = null;
  private version: string | null = null;
  private readonly firstPending = new Map<string, number>();
  private readonly firstFiring = new Map<string, number>();
  private readonly durations: Map<string, string | null>;
  private readonly rulesText: string;
  private failed: string | null = null;

  constructor(
    private readonly options: {
      /** the scenario's rules */
      rules: readonly string[];
      forScale: number;
      log: Logger;
      /** the sandbox directory's purpose (dbdiag-<purpose>-XXXXXX) */
      purpose: string;
      /** how often Prometheus scrapes the agent (the agent's own sampling interval: no finer data exists) */
      scrapeIntervalSeconds: number;
    },
  ) {
    this.rulesText = scaleRuleDurations(loadRulesText(), options.forScale);
    this.durations = ruleDurations(this.rulesText);
  }

  static available(): boolean {
    return prometheusInstalled();
  }

  /** The drill's agent listens at `agentUrl`: start Prometheus scraping it (in the background). */
  agentListening(agentUrl: string): void {
    if (this.starting !== null) return;
    const target = new URL(agentUrl).host;
    this.starting = (async () => {
      try {
        this.prometheus = await startPrometheus({
          scrapeTarget: target,
          job: SCRAPE_JOB,
          scrapeIntervalSeconds: this.options.scrapeIntervalSeconds,
          evaluationIntervalSeconds: 1,
          purpose: this.options.purpose,
          writeRules: { 'dbdiag.rules.yml': this.rulesText },
        });
        const info = await this.prometheus
          .api<{ version: string }>('/api/v1/status/buildinfo')
          .catch(() => null);
        this.version = info?.version ?? null;
        this.timer = setInterval(() => void this.poll(), POLL_MS);
      } catch (error) {
        this.failed = error instanceof Error ? (error.message.split('\n')[0] ?? '') : String(error);
        this.options.log.warn({ err: error }, 'drill: Prometheus did not start; alert times not measured');
      }
    })();
  }

  /** t0: the fault is injected now. */
  faultInjected(at = Date.now()): void {
    this.t0 ??= at;
  }

  /** The sandbox directory and process of the Prometheus, for the cleanup check. */
  sandbox(): { dir: string; pid: number | null } | null {
    return this.prometheus === null ? null : { dir: this.prometheus.dir, pid: this.prometheus.pid };
  }

  private async poll(): Promise<void> {
    const prometheus = this.prometheus;
    if (prometheus === null) return;
    let alerts: PrometheusAlert[];
    try {
      alerts = await prometheus.alerts();
    } catch {
      return; // stopped meanwhile, or a slow answer: the next poll reads it
    }
    const now = Date.now();
    for (const alert of alerts) {
      const name = alert.labels.alertname;
      if (name === undefined) continue;
      const active = alert.activeAt === undefined ? now : Date.parse(alert.activeAt);
      if (!this.firstPending.has(name) || (this.firstPending.get(name) ?? now) > active)
        this.firstPending.set(name, active);
      if (alert.state === 'firing' && !this.firstFiring.has(name)) this.firstFiring.set(name, now);
    }
  }

  /** Stops Prometheus (and removes its directory); returns what was measured. */
  async stop(): Promise<AlertTimes> {
    await this.starting;
    if (this.timer !== null) clearInterval(this.timer);
    let scrapes: AlertTimes['scrapes'] = null;
    if (this.prometheus !== null) {
      await this.poll();
      scrapes = await this.scrapeCounts(this.prometheus);
    }
    await this.prometheus?.stop();
    const measured = this.prometheus !== null && this.t0 !== null;
    const since = (at: number | undefined) =>
      at === undefined || this.t0 === null ? null : Math.max(0, Math.round((at - this.t0) / 100) / 10);
    const timing = (name: string): AlertRuleTiming => ({
      name,
      for: this.durations.get(name) ?? null,
      pendingSeconds: measured ? since(this.firstPending.get(name)) : null,
      firingSeconds: measured ? since(this.firstFiring.get(name)) : null,
    });
    return {
      measured,
      prometheus: this.version,
      forScale: this.options.forScale,
      rules: this.options.rules.map(timing),
      // other rules the fault set off: one already pending before t0 is the sandbox's start, not
      // the fault (DbdiagAgentDown holds until Prometheus' first scrape of the drill's agent)
      others: measured
        ? [...this.firstPending.keys()]
            .filter((n) => !this.options.rules.includes(n))
            .filter((n) => (this.firstPending.get(n) ?? 0) >= (this.t0 ?? 0))
            .sort()
            .map(timing)
        : [],
      scrapes,
    };
  }

  private async scrapeCounts(prometheus: RunningPrometheus): Promise<AlertTimes['scrapes']> {
    try {
      const value = async (expr: string) => Number((await prometheus.query(expr))[0]?.value[1] ?? Number.NaN);
      const total = await value(`count_over_time(up{job="${SCRAPE_JOB}"}[1d])`);
      const ok = await value(`sum_over_time(up{job="${SCRAPE_JOB}"}[1d])`);
      return Number.isFinite(total) && Number.isFinite(ok) ? { total, failed: total - ok } : null;
    } catch {
      return null;
    }
  }

  /** why nothing was measured although Prometheus is installed */
  failure(): string | null {
    return this.failed;
  }
}

/** t0 to the first of the scenario's rules firing; null when none fired (or nothing was measured). */
export function firstFiring(times: AlertTimes): number | null {
  const fired = times.rules.map((r) => r.firingSeconds).filter((s): s is number => s !== null);
  return fired.length === 0 ? null : Math.min(...fired);
}
