import { readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMetrics } from '../../agent/exporter/metrics.js';
import { FINDING_KINDS } from '../../agent/findings/finding.js';
import { createHttpServer, listen } from '../../agent/http/server.js';
import { componentLogger } from '../../agent/log.js';
import { RUNBOOKS_DIR } from '../../agent/package-root.js';

// Every finding kind has a runbook page with every section, Diagnosis gives queries for both
// engines and PromQL, Mitigation warns before what locks or restarts, and the agent serves it.

const SECTIONS = ['Meaning', 'Impact', 'Diagnosis', 'Mitigation', 'Verification', 'Drill'] as const;

function section(text: string, name: string): string | null {
  const start = text.indexOf(`\n## ${name}\n`);
  if (start < 0) return null;
  const rest = text.slice(start + name.length + 5);
  const next = rest.search(/\n## /);
  return next < 0 ? rest : rest.slice(0, next);
}

describe.each(FINDING_KINDS)('runbooks/%s.md', (kind) => {
  const text = readFileSync(join(RUNBOOKS_DIR, `${kind}.md`), 'utf8');

  it('has a title and every section, each with content', () => {
    expect(text.startsWith('# ')).toBe(true);
    for (const name of SECTIONS) {
      const body = section(text, name);
      expect(body, `section "## ${name}"`).not.toBeNull();
      expect(body?.trim().length ?? 0, `section "## ${name}" is empty`).toBeGreaterThan(40);
    }
  });

  it('gives the diagnosis for PostgreSQL, for MySQL/MariaDB, and in PromQL', () => {
    const diagnosis = section(text, 'Diagnosis') ?? '';
    expect(diagnosis).toMatch(/PostgreSQL/);
    expect(diagnosis).toMatch(/MySQL/);
    expect(diagnosis).toMatch(/dbdiag_[a-z_]+/);
  });

  it('says WARNING before any step that locks or restarts', () => {
    const mitigation = section(text, 'Mitigation') ?? '';
    for (const line of mitigation.split('\n')) {
      if (/\b(restart|ACCESS EXCLUSIVE|VACUUM FULL)\b/i.test(line) && !/^\s*Rollback/i.test(line)) {
        const before = mitigation.slice(0, mitigation.indexOf(line) + line.length);
        expect(before, `no WARNING before: ${line.trim()}`).toMatch(/WARNING/);
      }
    }
    expect(mitigation).toMatch(/[Rr]ollback/);
  });
});

describe('the agent serves runbooks', () => {
  let server: Server;
  let url: string;
  beforeAll(async () => {
    server = createHttpServer({
      metrics: createMetrics({ targets: () => [] }),
      source: { targets: () => [] },
      log: componentLogger('test'),
    });
    url = await listen(server, '127.0.0.1:0');
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it.each(FINDING_KINDS)('GET /runbooks/%s.md returns the page', async (kind) => {
    const response = await fetch(`${url}/runbooks/${kind}.md`);
    expect(response.status).toBe(200);
    expect(await response.text()).toBe(readFileSync(join(RUNBOOKS_DIR, `${kind}.md`), 'utf8'));
  });
});
