import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { send } from './routes.js';

// POST /api/findings/<id>/apply: the console's Apply button (issue #15 item 3). A mutating route:
// it needs the apply token (apply.tokenFile, sent as "Authorization: Bearer TOKEN") whatever the
// read-only pages ask for, and it runs the same policy as `dbdiag apply` (sandbox freely;
// otherwise the operator's confirmation, the maintenance window, the load check). One apply at a
// time; the answer comes when the fix is applied and measured (or refused). Refusals for a
// missing or wrong token are audited like the policy's.

export const APPLY_PATH = /^\/api\/findings\/([^/]+)\/apply$/;

export interface ApplyResult {
  status: 'refused' | 'applied' | 'failed' | 'reverted';
  reason: string;
  statements: string[];
  verification: unknown;
  auditSeq: number;
}

export interface ApplySource {
  /** the apply token; null when apply.tokenFile is not set (the route then refuses every request) */
  token: string | null;
  /** who the audit log names for a request with the token */
  tokenName: string;
  run(findingId: string, who: string, confirmed: boolean): Promise<ApplyResult>;
  /** audits a request refused before the policy ran (no or wrong token) */
  refuse(findingId: string, reason: string): Promise<void>;
}

const MAX_BODY = 4096;

function sha256(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

function bearer(header: string | undefined): string | null {
  const match = /^Bearer\s+(.+)$/i.exec(header ?? '');
  return match ? match[1]!.trim() : null;
}

async function readBody(req: IncomingMessage): Promise<string> {
  let body = '';
  for await (const chunk of req) {
    body += (chunk as Buffer).toString('utf8');
    if (body.length > MAX_BODY) throw new Error('request body too large');
  }
  return body;
}

function sendJson(res: ServerResponse, status: number, value: unknown): void {
  send(res, status, 'application/json; charset=utf-8', `${JSON.stringify(value, null, 2)}\n`);
}

let running = false;

export async function serveApply(
  source: ApplySource | undefined,
  findingId: string,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  if (!source) return sendJson(res, 503, { error: 'this agent keeps no state store: it cannot apply fixes' });
  const given = bearer(req.headers.authorization);
  const tokenOk =
    source.token !== null && given !== null && timingSafeEqual(sha256(given), sha256(source.token));
  if (!tokenOk) {
    const reason =
      source.token === null
        ? 'no apply token is configured: set apply.tokenFile'
        : given === null
          ? 'an apply token is needed (Authorization: Bearer)'
          : 'wrong apply token';
    await source.refuse(findingId, reason);
    return send(res, 401, 'application/json; charset=utf-8', `${JSON.stringify({ error: reason })}\n`, {
      'www-authenticate': 'Bearer realm="dbdiag-apply"',
    });
  }
  let confirmed = false;
  try {
    const body = await readBody(req);
    if (body.trim() !== '') {
      const parsed = JSON.parse(body) as { confirmed?: unknown };
      confirmed = parsed.confirmed === true;
    }
  } catch (error) {
    return sendJson(res, 400, { error: `bad request body: ${(error as Error).message}` });
  }
  if (running) return sendJson(res, 409, { error: 'another apply is running: wait for it to finish' });
  running = true;
  try {
    const result = await source.run(findingId, source.tokenName, confirmed);
    return sendJson(res, result.status === 'refused' ? 403 : 200, result);
  } catch (error) {
    return sendJson(res, 404, { error: (error as Error).message });
  } finally {
    running = false;
  }
}
