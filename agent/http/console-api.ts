import type { ServerResponse } from 'node:http';
import { verifyChain } from '../audit/chain.js';
import type { Store, StoredRecord } from '../state/store.js';
import type { ReportSource } from './routes.js';
import { send } from './routes.js';

// The console's read-only pages beyond targets and findings (issue #15 item 1), all from the
// state store: statements (top by time over the chosen hours, with each one's hourly history
// from the rollups), the stored reports (links to /reports/), drill scorecards, the audit log
// (with the state of its hash chain) and a finding's lifecycle events.

const HOUR = 3_600_000;
/** statements listed at most */
const TOP_STATEMENTS = 50;
/** audit records listed at most (newest first) */
const AUDIT_LIMIT = 500;
const DRILL_LIMIT = 200;

export const CONSOLE_API_PATHS = ['/api/statements', '/api/reports', '/api/drills', '/api/audit'] as const;
export const FINDING_EVENTS_PATH = /^\/api\/findings\/([^/]+)\/events$/;

function sendJson(res: ServerResponse, status: number, value: unknown): void {
  send(res, status, 'application/json; charset=utf-8', `${JSON.stringify(value, null, 2)}\n`);
}

interface StatementRow {
  target: string;
  queryId: string;
  fingerprint: string | null;
  calls: number;
  totalSeconds: number;
  meanSeconds: number | null;
  history: { hour: string; calls: number; totalSeconds: number; meanSeconds: number | null }[];
}

async function statements(store: Store, url: URL, now: number): Promise<unknown> {
  const hours = Math.min(24 * 90, Math.max(1, Number(url.searchParams.get('hours')) || 24));
  const target = url.searchParams.get('target') || undefined;
  const from = Math.floor(now / HOUR) * HOUR - (hours - 1) * HOUR;
  const rollups = await store.rollups({ from, ...(target ? { target } : {}) });
  const rows = new Map<string, StatementRow>();
  for (const r of rollups.sort((a, b) => a.hour - b.hour)) {
    for (const s of r.statements) {
      if (s.queryId === 'other') continue;
      const key = `${r.target}\0${s.queryId}`;
      let row = rows.get(key);
      if (!row) {
        row = {
          target: r.target,
          queryId: s.queryId,
          fingerprint: s.fingerprint,
          calls: 0,
          totalSeconds: 0,
          meanSeconds: null,
          history: [],
        };
        rows.set(key, row);
      }
      row.fingerprint ??= s.fingerprint;
      row.calls += s.calls;
      row.totalSeconds += s.totalSeconds;
      row.history.push({
        hour: new Date(r.hour).toISOString(),
        calls: s.calls,
        totalSeconds: s.totalSeconds,
        meanSeconds: s.meanSeconds,
      });
    }
  }
  const top = [...rows.values()]
    .map((row) => ({ ...row, meanSeconds: row.calls > 0 ? row.totalSeconds / row.calls : null }))
    .sort((a, b) => b.totalSeconds - a.totalSeconds)
    .slice(0, TOP_STATEMENTS);
  return { hours, from: new Date(from).toISOString(), statements: top };
}

async function reports(source: ReportSource | undefined): Promise<unknown> {
  const list = source ? await source.list() : [];
  return {
    reports: list.map((r) => ({
      id: r.id,
      kind: r.kind,
      generatedAt: r.generatedAt,
      period: r.period,
      status: r.fleet.status,
      reason: r.fleet.reason,
      targets: r.fleet.targets,
      findings: r.fleet.findings,
      links: { html: `/reports/${r.id}.html`, md: `/reports/${r.id}.md`, json: `/reports/${r.id}.json` },
    })),
  };
}

async function drills(store: Store): Promise<unknown> {
  const rows = await store.records('drill-run', { limit: DRILL_LIMIT });
  return { drills: rows.map((r) => r.payload) };
}

async function audit(store: Store, url: URL): Promise<unknown> {
  const all: StoredRecord[] = await store.records('audit', { limit: 100_000_000 });
  const chain = verifyChain(all);
  const action = url.searchParams.get('action') || undefined;
  const target = url.searchParams.get('target') || undefined;
  const records = all
    .map((r) => r.payload as { seq?: number; action?: string; target?: string | null })
    .filter((r) => typeof r?.seq === 'number')
    .filter((r) => action === undefined || r.action === action)
    .filter((r) => target === undefined || r.target === target)
    .sort((a, b) => (b.seq ?? 0) - (a.seq ?? 0))
    .slice(0, AUDIT_LIMIT);
  return {
    chain: { ok: chain.ok, records: chain.records, problems: chain.problems.length },
    records,
  };
}

async function findingEvents(store: Store, id: string): Promise<unknown> {
  const events = await store.findingEvents(id);
  return {
    id,
    events: events
      .sort((a, b) => a.at - b.at)
      .map((e) => ({
        ...e,
        at: new Date(e.at).toISOString(),
        firstSeen: new Date(e.firstSeen).toISOString(),
      })),
  };
}

/** Answers one of the console's store-backed pages; 503 without a store. */
export async function serveConsoleApi(
  store: Store | undefined,
  reportSource: ReportSource | undefined,
  url: URL,
  res: ServerResponse,
): Promise<void> {
  if (!store) return sendJson(res, 503, { error: 'this agent keeps no state store: no history to show' });
  try {
    const events = FINDING_EVENTS_PATH.exec(url.pathname);
    if (events) return sendJson(res, 200, await findingEvents(store, decodeURIComponent(events[1]!)));
    switch (url.pathname) {
      case '/api/statements':
        return sendJson(res, 200, await statements(store, url, Date.now()));
      case '/api/reports':
        return sendJson(res, 200, await reports(reportSource));
      case '/api/drills':
        return sendJson(res, 200, await drills(store));
      default:
        return sendJson(res, 200, await audit(store, url));
    }
  } catch (error) {
    return sendJson(res, 503, { error: `state store: ${(error as Error).message}` });
  }
}
