import { readFile } from 'node:fs/promises';
import type { ServerResponse } from 'node:http';
import { join } from 'node:path';
import type { Metrics } from '../exporter/metrics.js';
import type { Finding } from '../findings/finding.js';
import { RUNBOOKS_DIR } from '../package-root.js';
import { redactDsn } from '../redact/dsn.js';
import type { SlowLogStatus } from '../slowlog/follow.js';
import type { Snapshot } from '../snapshot/snapshot.js';

// The routes. Every one answers from memory (the last snapshot, the findings): a slow or down
// database never makes a request hang.

export interface TargetStatus {
  name: string;
  engine: string;
  dsn: string;
  latest: Snapshot | undefined;
  findings: readonly Finding[];
  /** the slow-log follower's state; null when the target names no slow log */
  slowLog: SlowLogStatus | null;
}

export interface HttpSource {
  targets(): readonly TargetStatus[];
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
    })),
  };
}

function findingsDocument(source: HttpSource, target?: string): { findings: Finding[] } {
  return {
    findings: source
      .targets()
      .filter((t) => target === undefined || t.name === target)
      .flatMap((t) => t.findings),
  };
}

/** An agent that monitors nothing is not healthy: a typo in the config must not look like "ok". */
function healthDocument(source: HttpSource): { status: number; body: unknown } {
  const targets = source.targets().length;
  if (targets === 0) return { status: 503, body: { status: 'no targets configured', targets } };
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

export interface RouteContext {
  metrics: Metrics;
  source: HttpSource;
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
    return sendJson(res, 200, findingsDocument(source, url.searchParams.get('target') ?? undefined));
  }
  if (url.pathname.startsWith('/runbooks/'))
    return serveRunbook(res, url.pathname.slice('/runbooks/'.length));
  send(
    res,
    404,
    'text/plain',
    'not found: try /metrics, /healthz, /api/targets, /api/findings, /runbooks/<kind>\n',
  );
}
