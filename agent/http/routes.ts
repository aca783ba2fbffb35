import { readFile } from 'node:fs/promises';
import type { ServerResponse } from 'node:http';
import { join } from 'node:path';
import { redactDsn } from '../config/dsn-secrets.js';
import type { Metrics } from '../exporter/metrics.js';
import type { Finding, Severity } from '../findings/finding.js';
import { findingJson, type TrackedFinding } from '../findings/tracker.js';
import { RUNBOOKS_DIR } from '../package-root.js';
import type { Report } from '../reports/model.js';
import type { SlowLogStatus } from '../slowlog/follow.js';
import type { Snapshot } from '../snapshot/snapshot.js';
import { type FindingFilter, parseSince, parseStatus, storeQuery } from '../state/query.js';
import type { FindingQuery, Store } from '../state/store.js';
import type { StoreStatus } from '../state/writer.js';
import type { ApplySource } from './apply-route.js';
import { CONSOLE_FILES, CONSOLE_OFF_SETTINGS, type ConsoleSettings, serveConsole } from './console.js';
import { CONSOLE_API_PATHS, FINDING_EVENTS_PATH, serveConsoleApi } from './console-api.js';

// The routes. Every one answers from memory (the last snapshot, the findings): a slow or down
// database never makes a request hang.

export interface TargetStatus {
  name: string;
  engine: string;
  dsn: string;
  latest: Snapshot | undefined;
  findings: readonly Finding[];
  /** the active findings with their lifecycle (firstSeen, occurrences...) */
  trackedFindings: readonly TrackedFinding[];
  /** the slow-log follower's state; null when the target names no slow log */
  slowLog: SlowLogStatus | null;
}

export interface HttpSource {
  targets(): readonly TargetStatus[];
  /** the state store's health; null or absent without a store */
  store?(): StoreStatus | null;
  /** finding history from the state store; absent without a store */
  findingsHistory?: ((query: FindingQuery) => Promise<TrackedFinding[]>) | undefined;
  /** stored health-check reports; absent without a store */
  reports?: ReportSource | undefined;
  /** the console's Apply (POST /api/findings/<id>/apply); absent without a store */
  apply?: ApplySource | undefined;
  /** the state store, read by the console's history pages (console-api.ts); absent without one */
  history?: Store | undefined;
}

export interface ReportSource {
  /** newest first */
  list(): Promise<Report[]>;
  get(id: string): Promise<Report | null>;
}

const KIND_PATTERN = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;

export function send(
  res: ServerResponse,
  status: number,
  type: string,
  body: string,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store', ...headers });
  res.end(body);
}

function sendJson(res: ServerResponse, status: number, value: unknown): void {
  send(res, status, 'application/json; charset=utf-8', `${JSON.stringify(value, null, 2)}\n`);
}

const isoOrNull = (at: number | null): string | null => (at === null ? null : new Date(at).toISOString());

function slowLogDocument(s: SlowLogStatus): unknown {
  const problem = (p: SlowLogStatus['problem']) => (p === null ? null : { ...p, since: isoOrNull(p.since) });
  return {
    path: s.path,
    readable: s.readable,
    problem: problem(s.problem),
    stateProblem: problem(s.stateProblem),
    errors: s.errors,
    offset: s.offset,
    lastReadAt: isoOrNull(s.lastReadAt),
    nextRetryAt: isoOrNull(s.nextRetryAt),
  };
}

/** share of the slots ordinary clients may take that are in use (0..1); null before the first sample */
function saturation(t: TargetStatus): number | null {
  const c = t.latest?.signals.connections;
  if (!c) return null;
  const usable = c.max - c.reserved;
  return usable > 0 ? Math.min(1, c.used / usable) : null;
}

/** buffer cache hit ratio since the server started (0..1); null when unknown or nothing read yet */
function cacheHitRatio(t: TargetStatus): number | null {
  const c = t.latest?.signals.cache;
  if (!c || c.hits + c.reads === 0) return null;
  return c.hits / (c.hits + c.reads);
}

function activeBySeverity(t: TargetStatus): Record<Severity, number> {
  const counts: Record<Severity, number> = { info: 0, warning: 0, critical: 0 };
  for (const f of t.findings) counts[f.severity] += 1;
  return counts;
}

function targetsDocument(source: HttpSource): unknown {
  return {
    targets: source.targets().map((t) => ({
      name: t.name,
      engine: t.engine,
      dsn: redactDsn(t.dsn),
      up: t.latest?.up ?? false,
      downReason: t.latest ? t.latest.downReason : 'not sampled yet',
      serverVersion: t.latest?.serverVersion ?? null,
      lastSampleAt: t.latest ? new Date(t.latest.at).toISOString() : null,
      probes: Object.values(t.latest?.probes ?? {}).map((p) => ({
        probe: p.probe,
        status: p.status,
        lastRunAt: p.lastRunAt === null ? null : new Date(p.lastRunAt).toISOString(),
        durationSeconds: p.durationSeconds,
        code: p.code,
        message: p.message,
      })),
      slowLog: t.slowLog === null ? null : slowLogDocument(t.slowLog),
      saturation: saturation(t),
      cacheHitRatio: cacheHitRatio(t),
      activeFindings: activeBySeverity(t),
    })),
  };
}

/** Rows /api/findings returns at most (newest last-seen first). */
const FINDINGS_LIMIT = 1000;

function findingFilter(url: URL, now: number): FindingFilter {
  const p = url.searchParams;
  const since = p.get('since');
  return {
    status: parseStatus(p.get('status')),
    ...(since ? { since: parseSince(since, now) } : {}),
    ...(p.get('target') ? { target: p.get('target') as string } : {}),
    ...(p.get('kind') ? { kind: p.get('kind') as string } : {}),
  };
}

/**
 * Active findings come from memory (the latest cycle); resolved ones from the state store.
 * Without status= the answer is the active findings (as before the store) plus, with a store,
 * the resolved history matching the filters.
 */
async function findingsDocument(source: HttpSource, url: URL): Promise<{ status: number; body: unknown }> {
  let filter: FindingFilter;
  try {
    filter = findingFilter(url, Date.now());
  } catch (error) {
    return { status: 400, body: { error: (error as Error).message } };
  }
  const active = source
    .targets()
    .filter((t) => filter.target === undefined || t.name === filter.target)
    .flatMap((t) => t.trackedFindings)
    .filter((t) => filter.kind === undefined || t.finding.kind === filter.kind)
    .filter((t) => filter.since === undefined || t.lastSeen >= filter.since);
  const findings: TrackedFinding[] = filter.status === 'resolved' ? [] : [...active];
  if (filter.status !== 'active') {
    if (!source.findingsHistory) {
      if (filter.status === 'resolved')
        return { status: 503, body: { error: 'this agent keeps no state store: no finding history' } };
    } else {
      try {
        const stored = await source.findingsHistory(
          storeQuery({ ...filter, status: 'resolved' }, FINDINGS_LIMIT),
        );
        findings.push(...stored);
      } catch (error) {
        return { status: 503, body: { error: `state store: ${(error as Error).message}` } };
      }
    }
  }
  return { status: 200, body: { findings: findings.map(findingJson) } };
}

/** An agent that monitors nothing is not healthy: a typo in the config must not look like "ok". */
function healthDocument(source: HttpSource): { status: number; body: unknown } {
  const targets = source.targets().length;
  if (targets === 0) return { status: 503, body: { status: 'no targets configured', targets } };
  // A failing store degrades the agent, it does not make it unhealthy: sampling and /metrics go on.
  const store = source.store?.();
  if (store && !store.ok) {
    return {
      status: 200,
      body: {
        status: 'degraded',
        targets,
        store: {
          backend: store.backend,
          ok: false,
          error: store.lastError,
          failingSince: isoOrNull(store.failingSince),
          pendingWrites: store.pending,
        },
      },
    };
  }
  return { status: 200, body: { status: 'ok', targets } };
}

async function serveRunbook(res: ServerResponse, kind: string): Promise<void> {
  const name = kind.replace(/\.md$/, '');
  if (!KIND_PATTERN.test(name)) return send(res, 404, 'text/plain', 'no such runbook\n');
  try {
    const text = await readFile(join(RUNBOOKS_DIR, `${name}.md`), 'utf8');
    send(res, 200, 'text/markdown; charset=utf-8', text);
  } catch {
    send(res, 404, 'text/plain', `no runbook for "${name}"\n`);
  }
}

/**
 * /api/runbooks/<kind>: the runbook rendered as HTML for the console. Runbooks are the package's
 * own files (not user input), so marked's HTML is served as is.
 */
async function serveRunbookHtml(res: ServerResponse, kind: string): Promise<void> {
  if (!KIND_PATTERN.test(kind)) return sendJson(res, 404, { error: 'no such runbook' });
  let text: string;
  try {
    text = await readFile(join(RUNBOOKS_DIR, `${kind}.md`), 'utf8');
  } catch {
    return sendJson(res, 404, { error: `no runbook for "${kind}"` });
  }
  const { Marked } = await import('marked');
  // The console shows the runbook under its own h3: the runbook's h1.. become h4..
  const marked = new Marked({
    gfm: true,
    walkTokens: (token) => {
      if (token.type === 'heading') token.depth = Math.min(6, token.depth + 3);
    },
  });
  sendJson(res, 200, { kind, html: await marked.parse(text) });
}

const REPORT_PATH = /^\/reports\/([A-Za-z0-9._-]+)\.(md|html|json)$/;

/** /reports/ lists the stored reports; /reports/<id>.<md|html|json> renders one. */
async function serveReports(source: HttpSource, url: URL, res: ServerResponse): Promise<void> {
  if (!source.reports) return send(res, 503, 'text/plain', 'this agent keeps no state store: no reports\n');
  const { renderReport, CONTENT_TYPES } = await import('../reports/render.js');
  try {
    if (url.pathname === '/reports/' || url.pathname === '/reports') {
      const { reportIndexHtml } = await import('../reports/render-html.js');
      return send(res, 200, CONTENT_TYPES.html, reportIndexHtml(await source.reports.list()));
    }
    const match = REPORT_PATH.exec(url.pathname);
    const report = match ? await source.reports.get(match[1]!) : null;
    if (!match || !report) return send(res, 404, 'text/plain', 'no such report: /reports/ lists them\n');
    const format = match[2] as 'md' | 'html' | 'json';
    return send(res, 200, CONTENT_TYPES[format], renderReport(report, format));
  } catch (error) {
    return send(res, 503, 'text/plain', `state store: ${(error as Error).message}\n`);
  }
}

export interface RouteContext {
  metrics: Metrics;
  source: HttpSource;
  /** what the console page learns from the config (default: Faro and apply off) */
  console?: ConsoleSettings;
}

/** Paths answered without credentials even when the web config asks for them (liveness probes). */
export const UNAUTHENTICATED_PATHS: ReadonlySet<string> = new Set(['/healthz']);

export async function route(context: RouteContext, url: URL, res: ServerResponse): Promise<void> {
  const { metrics, source } = context;
  if (url.pathname === '/metrics') {
    return send(res, 200, metrics.registry.contentType, await metrics.render());
  }
  if (url.pathname === '/healthz') {
    const health = healthDocument(source);
    return sendJson(res, health.status, health.body);
  }
  if (url.pathname === '/api/targets') return sendJson(res, 200, targetsDocument(source));
  if (url.pathname === '/api/findings') {
    const doc = await findingsDocument(source, url);
    return sendJson(res, doc.status, doc.body);
  }
  if (
    (CONSOLE_API_PATHS as readonly string[]).includes(url.pathname) ||
    FINDING_EVENTS_PATH.test(url.pathname)
  )
    return serveConsoleApi(source.history, source.reports, url, res);
  if (url.pathname === '/reports' || url.pathname.startsWith('/reports/'))
    return serveReports(source, url, res);
  if (url.pathname.startsWith('/api/runbooks/'))
    return serveRunbookHtml(res, url.pathname.slice('/api/runbooks/'.length));
  if (Object.hasOwn(CONSOLE_FILES, url.pathname))
    return serveConsole(res, url.pathname, context.console ?? CONSOLE_OFF_SETTINGS);
  if (url.pathname.startsWith('/runbooks/'))
    return serveRunbook(res, url.pathname.slice('/runbooks/'.length));
  send(
    res,
    404,
    'text/plain',
    'not found: try / (the console), /metrics, /healthz, /api/targets, /api/findings, /runbooks/<kind>, /reports/\n',
  );
}
