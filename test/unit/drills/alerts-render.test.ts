import { describe, expect, it } from 'vitest';
import {
  type AlertTimes,
  alertNote,
  durationSeconds,
  firstFiring,
  loadRulesText,
  ruleDurations,
  scaleRuleDurations,
} from '../../../agent/drills/alerts.js';
import { scorecardHtml, scorecardMarkdown } from '../../../agent/drills/render.js';
import { type Scorecard, scorecardErrors } from '../../../agent/drills/scorecard.js';

// The alert timing's pure parts (durations, the scaled rules copy, the note) and the
// scorecard's HTML: one self-contained page, everything escaped.

const measured: AlertTimes = {
  measured: true,
  prometheus: '2.42.0',
  forScale: 0.1,
  rules: [
    { name: 'DbdiagConnectionSaturationCritical', for: '6s', pendingSeconds: 20.4, firingSeconds: 27 },
    { name: 'DbdiagCriticalFinding', for: '6s', pendingSeconds: 31, firingSeconds: null },
  ],
  others: [{ name: 'DbdiagAgentDown', for: '12s', pendingSeconds: 0, firingSeconds: null }],
  scrapes: { total: 60, failed: 2 },
};

function card(overrides: Partial<Scorecard> = {}): Scorecard {
  return {
    schemaVersion: 1,
    id: '20261129T131500Z-abc123',
    scenario: 'plant-incident',
    engine: 'postgres',
    mode: 'auto',
    result: 'fail',
    failures: ['the <script>alert(1)</script> did not resolve'],
    startedAt: '2026-11-29T13:15:00.000Z',
    finishedAt: '2026-11-29T13:17:00.000Z',
    sandbox: { kind: 'started', server: 'PostgreSQL 18' },
    expected: {
      findingKinds: ['pool-saturation'],
      alertRules: ['DbdiagConnectionSaturationCritical', 'DbdiagCriticalFinding'],
      detectLimitSeconds: 60,
    },
    times: { detectSeconds: 30, alertSeconds: 27, mitigateSeconds: 40, recoverSeconds: 55 },
    alertNote: alertNote(measured),
    alerts: measured,
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

describe('alert timing', () => {
  it('reads Prometheus durations', () => {
    expect(durationSeconds('5m')).toBe(300);
    expect(durationSeconds('1h30m')).toBe(5400);
    expect(durationSeconds('90s')).toBe(90);
    expect(() => durationSeconds('soon')).toThrow(/not a Prometheus duration/);
  });

  it("scales every rule's for: in a copy, whole seconds, at least 1 s; 1 leaves the file as it is", () => {
    const text = loadRulesText();
    expect(scaleRuleDurations(text, 1)).toBe(text);
    const original = ruleDurations(text);
    const scaled = ruleDurations(scaleRuleDurations(text, 0.1));
    expect([...scaled.keys()]).toEqual([...original.keys()]);
    expect(original.get('DbdiagConnectionSaturationCritical')).toBe('1m');
    expect(scaled.get('DbdiagConnectionSaturationCritical')).toBe('6s');
    expect(scaled.get('DbdiagCacheHitRatioLow')).toBe('90s');
    expect(ruleDurations(scaleRuleDurations(text, 0.001)).get('DbdiagConnectionSaturationCritical')).toBe(
      '1s',
    );
  });

  it('the first of the expected rules to fire is the alert time; none fired: null', () => {
    expect(firstFiring(measured)).toBe(27);
    expect(
      firstFiring({ ...measured, rules: measured.rules.map((r) => ({ ...r, firingSeconds: null })) }),
    ).toBeNull();
  });

  it('says plainly when the for: durations were scaled, scrapes failed, or nothing fired', () => {
    expect(alertNote(measured)).toMatch(/SCALED by 0\.1 .*DbdiagConnectionSaturationCritical for: 6s/);
    expect(alertNote(measured)).toContain('2 of 60 scrapes');
    const asIs = { ...measured, forScale: 1, scrapes: null };
    expect(alertNote(asIs)).toContain("the rules' own for: durations");
    const unfired = { ...asIs, rules: asIs.rules.map((r) => ({ ...r, for: '1m', firingSeconds: null })) };
    expect(alertNote(unfired)).toMatch(
      /none fired; pending: DbdiagConnectionSaturationCritical from 20\.4 s \(for: 1m\).*ended before the for: duration ran out/,
    );
    expect(alertNote({ ...measured, measured: false })).toMatch(/^not measured: no Prometheus installed/);
  });
});

describe('scorecard HTML', () => {
  it('is one self-contained page: inline style, no script, nothing loaded from elsewhere', async () => {
    const c = card();
    expect(await scorecardErrors(c)).toEqual([]);
    const html = scorecardHtml(c);
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).toContain('<style>');
    expect(html).not.toMatch(/<script|<link|<img|src=/i);
    // the only link is the runbook's
    expect([...html.matchAll(/href="([^"]+)"/g)].map((m) => m[1])).toEqual([c.runbook.url]);
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).toContain('FAIL');
  });

  it('shows the times, each alert rule, the findings, mitigation, symptom, runbook and cleanup', () => {
    const html = scorecardHtml(card());
    for (const text of [
      '30.0 s',
      '27.0 s',
      'DbdiagConnectionSaturationCritical',
      'DbdiagAgentDown <span class="meta">(not expected)</span>',
      'SCALED by 0.1',
      'pool-saturation',
      'CREATE INDEX CONCURRENTLY x ON t (a)',
      '9000 ms',
      'Diagnosis 4/4 statements ran',
      'Nothing left',
    ])
      expect(html).toContain(text);
  });

  it('the Markdown lists each rule with its pending and firing time', () => {
    const md = scorecardMarkdown(card());
    expect(md).toContain('- DbdiagConnectionSaturationCritical (for: 6s): pending 20.4 s, firing 27.0 s');
    expect(md).toContain('- DbdiagCriticalFinding (for: 6s): pending 31.0 s, firing -');
  });
});
