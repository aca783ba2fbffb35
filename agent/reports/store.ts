import type { JsonValue, Store, StoredRecord } from '../state/store.js';
import { typedRecords } from '../state/store.js';
import type { Report, ReportKind } from './model.js';

// Reports live in the state store as records of kind 'report' (payload: the Report document),
// so a report made on demand and a scheduled one are found, compared and pruned alike.

const reports = (store: Store) => typedRecords<JsonValue>(store, 'report');

const asReport = (r: StoredRecord<JsonValue>): Report => r.payload as unknown as Report;

/** Stored reports of one kind (and one --target, or fleet-wide), newest period end first. */
export async function storedReports(
  store: Store,
  kind: ReportKind,
  options: { target?: string | undefined; before?: number; limit?: number } = {},
): Promise<Report[]> {
  const found = await reports(store).list({
    ...(options.before !== undefined ? { until: options.before + 1 } : {}),
    limit: 10_000,
  });
  return found
    .filter((r) => (r.target ?? undefined) === options.target)
    .map(asReport)
    .filter((r) => r.kind === kind)
    .sort((a, b) => Date.parse(b.period.to) - Date.parse(a.period.to) || b.id.localeCompare(a.id))
    .slice(0, options.limit ?? 100);
}

export async function getReport(store: Store, id: string): Promise<Report | null> {
  const found = await reports(store).get(id);
  return found ? asReport(found) : null;
}

/** A free id for a report of this kind ending at `to`: daily-20260131T0800Z, then -2, -3 ... */
export async function reportId(store: Store, kind: ReportKind, to: number): Promise<string> {
  const stamp = new Date(to).toISOString().slice(0, 19).replace(/[-:]/g, '');
  const base = `${kind}-${stamp}Z`;
  for (let n = 1; ; n += 1) {
    const id = n === 1 ? base : `${base}-${n}`;
    if (!(await reports(store).get(id))) return id;
  }
}

export async function saveReport(store: Store, report: Report, target: string | undefined): Promise<void> {
  await reports(store).put([
    {
      id: report.id,
      target: target ?? null,
      at: Date.parse(report.period.to),
      payload: report as unknown as JsonValue,
    },
  ]);
}

/** Every stored report (any kind), newest period end first: /reports/ lists them. */
export async function listReports(store: Store, limit = 500): Promise<Report[]> {
  return (await reports(store).list({ limit }))
    .map(asReport)
    .sort((a, b) => Date.parse(b.period.to) - Date.parse(a.period.to) || b.id.localeCompare(a.id));
}
