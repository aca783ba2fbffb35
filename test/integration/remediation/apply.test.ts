import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditRecords, verifyAudit } from '../../../agent/audit/log.js';
import { loadConfig } from '../../../agent/config/load.js';
import { createIndexAction } from '../../../agent/findings/actions.js';
import type { Finding } from '../../../agent/findings/finding.js';
import type { TrackedFinding } from '../../../agent/findings/tracker.js';
import { applyFinding } from '../../../agent/remediation/apply.js';
import { openStore } from '../../../agent/state/open.js';
import type { Store } from '../../../agent/state/store.js';
import { type PostgresServer, startPostgres } from '../../support/postgres.js';

// dbdiag apply on a real PostgreSQL 15 while a workload runs: the policy refuses without
// confirmation, outside the window and when apply is off (each refusal audited); with --yes the
// index is built online (CREATE INDEX CONCURRENTLY, lock_timeout) under the running reads, the
// targeted statement's measured mean time falls and the audit record says verified; an index
// that does not help is measured as no-effect and reverted by its rollback (auto-revert).

const READ_SQL = 'SELECT count(*) FROM public.orders WHERE customer_id = $1';

describe('dbdiag apply on a real PostgreSQL', () => {
  let server: PostgresServer;
  let store: Store;
  let dir: string;
  let statementId: string;
  let workload: pg.Client;
  let running = true;
  let loop: Promise<void>;

  function finding(id: string, name: string, columns: string[]): TrackedFinding {
    const f: Finding = {
      id,
      kind: 'missing-index',
      severity: 'warning',
      target: 'plant',
      object: 'public.orders',
      summary: `public.orders needs an index on (${columns.join(', ')})`,
      evidence: { statementIds: [statementId] },
      fix: {
        summary: 'create the index online',
        statements: [],
        risk: 'brief',
        rollback: 'drop it',
        actions: [
          createIndexAction({ table: 'public.orders', name, columns, lockTimeoutSeconds: 5, risk: 'none' }),
        ],
      },
      runbook: 'runbooks/missing-index.md',
      related: [],
    };
    const now = Date.now();
    return {
      finding: f,
      status: 'active',
      firstSeen: now,
      lastSeen: now,
      resolvedAt: null,
      occurrences: 3,
      severityChanges: [],
      worst: { severity: 'warning', at: now, evidence: f.evidence },
    } as unknown as TrackedFinding;
  }

  function config(apply: string, sandbox = false) {
    const file = join(dir, `c-${Math.random().toString(36).slice(2)}.yml`);
    writeFileSync(
      file,
      `apply:\n${apply}\ntargets:\n  - name: plant\n    dsn: ${server.url()}\n${sandbox ? '    sandbox: true\n' : ''}`,
    );
    return loadConfig(file);
  }

  beforeAll(async () => {
    server = await startPostgres({ version: 15 });
    await server.query('DROP TABLE IF EXISTS public.orders');
    await server.query(
      'CREATE TABLE public.orders AS SELECT g AS id, g % 5000 AS customer_id, g % 7 AS status, repeat($$x$$, 40) AS note FROM generate_series(1, 300000) g',
    );
    await server.query('ANALYZE public.orders');
    await server.query('CREATE EXTENSION IF NOT EXISTS pg_stat_statements');
    workload = await server.connect();
    for (let i = 0; i < 3; i++) await workload.query(READ_SQL, [i]);
    const { rows } = await workload.query<{ queryid: string }>(
      `SELECT queryid::text AS queryid FROM pg_stat_statements WHERE query = $1`,
      [READ_SQL],
    );
    statementId = rows[0]!.queryid;
    loop = (async () => {
      let i = 0;
      while (running) await workload.query(READ_SQL, [i++ % 5000]);
    })();
    dir = mkdtempSync(join(tmpdir(), 'dbdiag-apply-'));
    store = await openStore({ dataDir: dir });
    await store.saveFindings([
      finding('missing-index:plant:public.orders', 'orders_customer_id_idx', ['customer_id']),
      finding('missing-index:plant:public.orders:status', 'orders_status_idx', ['status']),
    ]);
  }, 120_000);

  afterAll(async () => {
    running = false;
    await loop?.catch(() => undefined);
    await workload?.end();
    await store?.close();
    await server?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('refuses when apply is off, without --yes, and outside the window; audits each refusal', async () => {
    const off = await applyFinding(config('  enabled: false'), store, {
      findingId: 'missing-index:plant:public.orders',
      who: 'oncall',
      confirmed: true,
    });
    expect(off).toMatchObject({ status: 'refused', reason: expect.stringMatching(/apply is off/) });
    const unconfirmed = await applyFinding(config('  enabled: true'), store, {
      findingId: 'missing-index:plant:public.orders',
      who: 'oncall',
      confirmed: false,
    });
    expect(unconfirmed.reason).toMatch(/not a sandbox: confirm with --yes/);
    const h = new Date().getUTCHours();
    const closed = `${String((h + 2) % 24).padStart(2, '0')}:00`;
    const closes = `${String((h + 3) % 24).padStart(2, '0')}:00`;
    const outside = await applyFinding(
      config(`  enabled: true\n  window:\n    start: "${closed}"\n    end: "${closes}"`),
      store,
      { findingId: 'missing-index:plant:public.orders', who: 'oncall', confirmed: true },
    );
    expect(outside.reason).toMatch(/outside the maintenance window/);
    const records = await auditRecords(store);
    expect(records.map((r) => [r.action, r.result])).toEqual([
      ['apply-refused', 'refused'],
      ['apply-refused', 'refused'],
      ['apply-refused', 'refused'],
    ]);
    const rows = await server.query(`SELECT 1 FROM pg_indexes WHERE indexname = 'orders_customer_id_idx'`);
    expect(rows).toHaveLength(0);
  }, 60_000);

  // before the useful index exists: the reads scan the table, and an index on a column they do
  // not filter on leaves their measured mean where it was
  it('an index that does not help is reverted by its rollback when autoRevert is on (sandbox: no --yes)', async () => {
    const outcome = await applyFinding(
      config('  enabled: true\n  validationSeconds: 3\n  autoRevert: true', true),
      store,
      { findingId: 'missing-index:plant:public.orders:status', who: 'oncall', confirmed: false },
    );
    expect(outcome.status, JSON.stringify(outcome.verification)).toBe('reverted');
    expect(['no-effect', 'regressed']).toContain(outcome.verification!.verdict);
    expect(outcome.statements.join('\n')).toMatch(/DROP INDEX CONCURRENTLY/);
    const rows = await server.query(`SELECT 1 FROM pg_indexes WHERE indexname = 'orders_status_idx'`);
    expect(rows).toHaveLength(0);
    expect(outcome.audit).toMatchObject({ action: 'apply', result: 'reverted' });
    expect((await verifyAudit(store)).ok).toBe(true);
  }, 60_000);
  it('applies with --yes under a running workload: online build, faster statement, verified, audited', async () => {
    const outcome = await applyFinding(config('  enabled: true\n  validationSeconds: 2'), store, {
      findingId: 'missing-index:plant:public.orders',
      who: 'oncall',
      confirmed: true,
    });
    expect(outcome.status).toBe('applied');
    expect(outcome.statements.join('\n')).toMatch(/CREATE INDEX CONCURRENTLY/);
    expect(outcome.statements.join('\n')).toMatch(/lock_timeout/);
    expect(outcome.verification!.before.calls).toBeGreaterThan(0);
    expect(outcome.verification!.after.calls).toBeGreaterThan(0);
    expect(outcome.verification!.after.meanMs!).toBeLessThan(outcome.verification!.before.meanMs! * 0.75);
    expect(outcome.verification!.verdict).toBe('verified');
    const rows = await server.query(
      `SELECT i.indisvalid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE c.relname = 'orders_customer_id_idx'`,
    );
    expect(rows).toEqual([{ indisvalid: true }]);
    expect(outcome.audit).toMatchObject({ action: 'apply', result: 'verified', who: 'oncall' });
    expect(outcome.audit.statements.join('\n')).toMatch(/CREATE INDEX CONCURRENTLY/);
    expect((await verifyAudit(store)).ok).toBe(true);
  }, 60_000);
});
