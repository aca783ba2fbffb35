import { existsSync, readFileSync } from 'node:fs';
import type { Store } from '../state/store.js';
import { buildReport } from './build.js';
import type { Report, ReportKind, Trigger } from './model.js';
import { validateReport } from './schema.js';
import { getReport, reportId, saveReport, storedReports } from './store.js';

// One report made and stored, on demand or on schedule: the baseline is the report given
// (--compare-to FILE|ID), else the latest stored report of the same kind (and the same
// --target) that ended by this one's start (periods compared never overlap), else the previous period of the same length.

export interface MakeReportOptions {
  kind: ReportKind;
  from: number;
  to: number;
  now: number;
  target?: string | undefined;
  /** a report file (JSON) or a stored report's id */
  compareTo?: string | undefined;
  trigger?: Trigger;
  /** reports.dataLimits: bytes per target */
  dataLimits?: Readonly<Record<string, number>>;
}

async function comparedReport(store: Store, compareTo: string): Promise<Report> {
  if (existsSync(compareTo)) {
    let document: unknown;
    try {
      document = JSON.parse(readFileSync(compareTo, 'utf8'));
    } catch (error) {
      throw new Error(`--compare-to ${compareTo}: not JSON (${(error as Error).message})`);
    }
    const problem = validateReport(document);
    if (problem) throw new Error(`--compare-to ${compareTo}: not a dbdiag report (${problem})`);
    return document as Report;
  }
  const stored = await getReport(store, compareTo);
  if (!stored) throw new Error(`--compare-to ${compareTo}: no such file and no stored report with that id`);
  return stored;
}

export async function makeReport(store: Store, options: MakeReportOptions): Promise<Report> {
  const earlier = (
    await storedReports(store, options.kind, { target: options.target, before: options.to })
  ).filter((r) => Date.parse(r.period.to) <= options.from);
  const baseline = options.compareTo ? await comparedReport(store, options.compareTo) : (earlier[0] ?? null);
  const report = await buildReport(store, {
    id: await reportId(store, options.kind, options.to),
    kind: options.kind,
    from: options.from,
    to: options.to,
    now: options.now,
    target: options.target,
    baseline,
    history: earlier,
    ...(options.dataLimits ? { dataLimits: options.dataLimits } : {}),
    ...(options.trigger ? { trigger: options.trigger } : {}),
  });
  await saveReport(store, report, options.target);
  return report;
}
