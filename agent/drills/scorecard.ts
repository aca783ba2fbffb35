import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../package-root.js';
import type { AlertTimes } from './alerts.js';
import type { TeamRecord } from './team.js';

// The drill's scorecard: what was measured, never guessed (a time that was not measured is
// null, with a note). Its shape is a versioned JSON Schema in the repository
// (schemas/drill-scorecard.v1.schema.json); every scorecard is validated against it before it
// is stored or printed.

export const SCORECARD_VERSION = 1;
export const SCORECARD_SCHEMA_FILE = join('schemas', `drill-scorecard.v${SCORECARD_VERSION}.schema.json`);

export type DrillMode = 'auto' | 'team';
export type DrillResult = 'pass' | 'fail';

export interface DrillTimes {
  /** t0 (fault injected) to the expected finding raised by the agent */
  detectSeconds: number | null;
  /** t0 to the alert firing on a real Prometheus; null: not measured */
  alertSeconds: number | null;
  mitigateSeconds: number | null;
  recoverSeconds: number | null;
}

export const TIME_NAMES = ['detectSeconds', 'alertSeconds', 'mitigateSeconds', 'recoverSeconds'] as const;

export interface AppliedActionView {
  type: string;
  statement: string;
  attempts: number;
  seconds: number;
}

export interface RunbookCheck {
  url: string | null;
  resolved: boolean;
  diagnosisRan: boolean;
  /** Diagnosis statements run for the engine */
  statements: number;
  /** statements that failed, each with its error */
  failed: string[];
}

export interface PreviousRun {
  id: string;
  finishedAt: string;
  result: DrillResult;
  times: DrillTimes;
  /** this run minus the previous, per time (negative: faster); null where either was not measured */
  change: Record<string, number | null>;
}

export interface Scorecard {
  schemaVersion: typeof SCORECARD_VERSION;
  id: string;
  scenario: string;
  engine: string;
  mode: DrillMode;
  result: DrillResult;
  failures: string[];
  startedAt: string;
  finishedAt: string;
  sandbox: { kind: 'started' | 'configured'; server: string };
  expected: { findingKinds: string[]; alertRules: string[]; detectLimitSeconds: number };
  times: DrillTimes;
  alertNote?: string;
  /** each expected rule's pending and firing time on the drill's Prometheus (when one ran) */
  alerts?: AlertTimes;
  /** team mode: the runbook shown, each step the team marked done, when the symptom cleared */
  team?: TeamRecord;
  findings: { kind: string; object: string; severity: string }[];
  mitigation: { applied: boolean; actions: AppliedActionView[] };
  symptom: {
    baselineP95Ms: number | null;
    incidentP95Ms: number | null;
    incidentErrors: number;
    recoveryP95Ms: number | null;
    recoveryErrors: number | null;
    recovered: boolean;
  };
  runbook: RunbookCheck;
  cleanup: { ok: boolean; leftovers: string[]; removedBefore: string[] };
  previous: PreviousRun | null;
}

type Validate = ((data: unknown) => boolean) & {
  errors?: { instancePath: string; message?: string }[] | null;
};
let validator: Validate | null = null;

export function scorecardSchema(): object {
  return JSON.parse(readFileSync(join(packageRoot(), SCORECARD_SCHEMA_FILE), 'utf8')) as object;
}

async function compiled(): Promise<Validate> {
  if (validator) return validator;
  const { Ajv } = await import('ajv');
  const ajv = new Ajv({ allErrors: true, strict: true });
  validator = ajv.compile(scorecardSchema()) as Validate;
  return validator;
}

/** The scorecard's schema violations, one line each; empty when it validates. */
export async function scorecardErrors(card: unknown): Promise<string[]> {
  const validate = await compiled();
  if (validate(card)) return [];
  return (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? 'is invalid'}`);
}

/** This run compared with the previous one of the same scenario and engine. */
export function compareWith(times: DrillTimes, previous: Scorecard): PreviousRun {
  const change: Record<string, number | null> = {};
  for (const name of TIME_NAMES) {
    const now = times[name];
    const before = previous.times[name];
    change[name] = now === null || before === null ? null : Number((now - before).toFixed(1));
  }
  return {
    id: previous.id,
    finishedAt: previous.finishedAt,
    result: previous.result,
    times: previous.times,
    change,
  };
}
