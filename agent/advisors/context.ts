import type { Thresholds } from '../config/thresholds.js';
import { dialectOf } from '../engines/dialects.js';
import type { EngineRemedies, EngineTraits, RenderedAction } from '../engines/engine.js';
import type { FixAction, NeutralSetting, SetSettingAction } from '../findings/actions.js';
import {
  type EvidenceValue,
  type Finding,
  type FindingKind,
  type Fix,
  findingId,
  runbookUrl,
  type Severity,
} from '../findings/finding.js';
import type { Rates } from '../snapshot/rates.js';
import type { EngineName } from '../snapshot/signals.js';
import type { Snapshot } from '../snapshot/snapshot.js';

/** What every advisor reads. No clock: `now` is the latest snapshot's time. */
export interface AdvisorInput {
  target: string;
  engine: EngineName;
  /** oldest first; the last one is the current snapshot */
  history: readonly Snapshot[];
  rates: Rates;
  thresholds: Thresholds;
  runbookBaseUrl: string;
}

export function latest(input: AdvisorInput): Snapshot | undefined {
  return input.history.at(-1);
}

export interface FindingParts {
  severity: Severity;
  object: string;
  summary: string;
  evidence: Record<string, EvidenceValue>;
  fix: Fix | null;
  related?: string[];
}

export function makeFinding(input: AdvisorInput, kind: FindingKind, parts: FindingParts): Finding {
  return {
    id: findingId(kind, input.target, parts.object),
    kind,
    severity: parts.severity,
    target: input.target,
    object: parts.object,
    summary: parts.summary,
    evidence: parts.evidence,
    fix: parts.fix,
    runbook: runbookUrl(input.runbookBaseUrl, kind),
    related: parts.related ?? [],
  };
}

/** The target's engine as advice reaches it: its renderer, setting names, diagnosis queries. */
export function remedies(input: AdvisorInput): EngineRemedies {
  return dialectOf(input.engine).remedies;
}

export function traits(input: AdvisorInput): EngineTraits {
  return dialectOf(input.engine).traits;
}

/** A setting change as the target's engine applies it (restart, reload or online: the engine knows). */
export function setSetting(
  input: AdvisorInput,
  setting: NeutralSetting,
  value: number | string | null,
  previous: number | string | null,
  risk: string,
): SetSettingAction {
  const { apply } = remedies(input).setting(setting);
  const lock = apply === 'restart' ? 'restart' : 'none';
  return {
    type: 'set-setting',
    setting,
    value,
    apply,
    lock,
    expectedSeconds: null,
    risk,
    rollback: {
      type: 'set-setting',
      setting,
      value: previous,
      apply,
      lock,
      expectedSeconds: null,
      risk: 'back to the value before the change',
      rollback: null,
    },
  };
}

/** The statements of the target's engine for these actions, in order (one renderer per engine). */
export function renderActions(input: AdvisorInput, actions: readonly FixAction[]): RenderedAction {
  const { remedies } = dialectOf(input.engine);
  const statements: string[] = [];
  const risks: string[] = [];
  for (const action of actions) {
    const rendered = remedies.render(action);
    statements.push(...rendered.statements);
    if (rendered.risk !== '') risks.push(rendered.risk);
  }
  return { statements, risk: risks.join(' ') };
}

/** The rollback of these actions as a person reads it: their rollback actions rendered, or `none` when they have none. */
export function rollbackText(input: AdvisorInput, actions: readonly FixAction[], none: string): string {
  const rollbacks = actions.flatMap((a) => (a.rollback ? [a.rollback] : []));
  return rollbacks.length === 0 ? none : renderActions(input, rollbacks).statements.join(' ');
}

export function formatBytes(bytes: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value >= 10 || unit === 0 ? Math.round(value) : value.toFixed(1)} ${units[unit]}`;
}

export function formatDuration(seconds: number): string {
  if (seconds < 90) return `${Math.round(seconds)} s`;
  if (seconds < 5400) return `${Math.round(seconds / 60)} min`;
  if (seconds < 2 * 86400) return `${(seconds / 3600).toFixed(1)} h`;
  return `${(seconds / 86400).toFixed(1)} days`;
}

export function round(value: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}
