import type { Logger } from '../../log.js';
import type { IndexSpec, IndexVerifier, PlanCost, TableFacts } from '../engine.js';
import { type PgQuery, postgresTableFacts, type TableAccess } from './catalog-facts.js';
import { explainPostgres, explainWithHelper } from './explain.js';
import type { HelperFacts } from './helper.js';
import { indexDdl } from './remedies.js';

// HypoPG what-if: hypothetical indexes live only in this backend's memory (no lock, no
// disk), are seen by EXPLAIN (not by execution), and are reset right after each plan. Used
// only when the extension is installed in the database: the agent never creates extensions.
//
// Sandbox build (only for a target explicitly marked a sandbox, e.g. the demo's embedded
// server; never a user's database): without HypoPG the candidate is built for real inside a
// transaction, the statement planned with it, and the transaction rolled back — the
// planner's own cost with the real index, nothing left behind. A plain CREATE INDEX takes a
// SHARE lock: writes to that table wait while it builds (a few seconds for a million rows
// under load). Acceptable on a sandbox, which is why it is opt-in and never the default.

export const HYPOPG_INSTALLED_SQL = `/* dbdiag:what-if */ SELECT quote_ident(n.nspname) AS schema FROM pg_extension e
JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'hypopg'`;

export function hypotheticalDdl(spec: IndexSpec): string {
  return indexDdl(spec);
}

/** The sandbox build waits this long for its SHARE lock (behind the writes in flight), per attempt. */
export const SANDBOX_LOCK_TIMEOUT = '5s';
const SANDBOX_LOCK_ATTEMPTS = 3;
/** A build of a few million rows on a busy small machine stays well within this. */
export const SANDBOX_BUILD_TIMEOUT_MS = 120_000;
const LOCK_NOT_AVAILABLE = '55P03';

/** A what-if index is named like HypoPG's (`<...>name`), so the advisors tell it from real ones alike. */
export function sandboxIndexName(spec: IndexSpec, n: number): string {
  const bare = spec.table.split('.').at(-1) ?? spec.table;
  const cols = spec.columns.map((c) => c.replace(/[^A-Za-z0-9_]/g, '')).join('_');
  return `<sandbox${n}>${bare}_${cols}`.slice(0, 63);
}

export function sandboxDdl(spec: IndexSpec, n: number): string {
  return `/* dbdiag:what-if */ ${indexDdl(spec, { name: sandboxIndexName(spec, n) })}`;
}

export interface PostgresVerifierOptions {
  /** the target is a sandbox: without HypoPG, build the candidates and roll back (see above) */
  sandboxProof?: boolean;
  /** the dbdiag helper: used when the role may not read every table itself */
  helper?: HelperFacts;
  log?: Logger;
}

/** Does `statement` name `table` (schema.table or its bare name) as a word? */
function names(statement: string, table: string): boolean {
  const bare = table.split('.').at(-1) ?? table;
  const escaped = bare.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`(^|[^A-Za-z0-9_$])"?${escaped}"?($|[^A-Za-z0-9_$])`, 'i').test(statement);
}

/**
 * Without the helper, EXPLAIN runs with the role's own privileges: a statement on a table it
 * may not read (or, for UPDATE/DELETE, modify) is not planned at all, rather than leave a
 * "permission denied" in the server log each cycle. The privileges probe says what is missing.
 */
export function mayExplainDirectly(statement: string, access: ReadonlyMap<string, TableAccess>): boolean {
  const writes = /^\s*(\/\*.*?\*\/\s*)*(update|delete|insert)\b/is.test(statement);
  for (const [table, a] of access) {
    if (a.select && (a.modify || !writes)) continue;
    if (names(statement, table)) return false;
  }
  return true;
}

/** The plan of `statement` with `specs` built for real in a transaction that is always rolled back. */
export async function explainWithSandboxBuild(
  query: PgQuery,
  versionNum: number,
  statement: string,
  specs: readonly IndexSpec[],
): Promise<PlanCost | null> {
  for (let attempt = 1; ; attempt++) {
    await query('/* dbdiag:what-if */ BEGIN');
    try {
      await query(`/* dbdiag:what-if */ SET LOCAL lock_timeout = '${SANDBOX_LOCK_TIMEOUT}'`);
      await query(`/* dbdiag:what-if */ SET LOCAL statement_timeout = ${SANDBOX_BUILD_TIMEOUT_MS}`);
      for (const [i, spec] of specs.entries())
        await query(sandboxDdl(spec, i + 1), undefined, { timeoutMs: SANDBOX_BUILD_TIMEOUT_MS + 1000 });
      const plan = await explainPostgres(query, versionNum, statement);
      return plan && { ...plan, whatIf: 'sandbox-build' };
    } catch (error) {
      const state = (error as { sqlState?: string }).sqlState;
      if (state !== LOCK_NOT_AVAILABLE || attempt >= SANDBOX_LOCK_ATTEMPTS) throw error;
    } finally {
      await query('/* dbdiag:what-if */ ROLLBACK');
    }
  }
}

/** The verifier of one PostgreSQL session (it runs on the session's own connection). */
export function createPostgresVerifier(
  query: PgQuery,
  versionNum: number,
  database: string,
  options: PostgresVerifierOptions = {},
): IndexVerifier {
  // cleared when a sandbox build fails: from then on EXPLAIN evidence, as without HypoPG
  let sandbox = options.sandboxProof === true;
  let hypopg: Promise<string | null> | null = null;
  const schema = (): Promise<string | null> => {
    hypopg ??= query<{ schema: string }>(HYPOPG_INSTALLED_SQL).then(
      (rows) => rows[0]?.schema ?? null,
      () => null,
    );
    return hypopg;
  };
  const sameDatabase = (db: string | null) => db === null || db === database;
  // Superuser / pg_read_all_data: the role's own reads, exactly as before. Otherwise the helper.
  const own = options.helper === undefined || options.helper.readsAllData;
  const columnStatsHelper = !own && options.helper?.columnStats === true;
  const explainHelper = !own && options.helper?.explain === true;
  /** what the role may do with each table seen in tableFacts (schema.table) */
  const access = new Map<string, TableAccess>();
  const plan = (statement: string): Promise<PlanCost | null> => {
    if (explainHelper) return explainWithHelper(query, versionNum, statement);
    if (!own && !mayExplainDirectly(statement, access)) return Promise.resolve(null);
    return explainPostgres(query, versionNum, statement);
  };
  return {
    async whatIf() {
      return (await schema()) !== null || sandbox;
    },
    async tableFacts(db, table, columns): Promise<TableFacts | null> {
      if (!sameDatabase(db)) return null;
      const read = await postgresTableFacts(query, table, columns, { columnStatsHelper });
      if (read === null) return null;
      access.set(read.facts.table, read.access);
      return read.facts;
    },
    async explain(db, statement, hypothetical = []): Promise<PlanCost | null> {
      if (!sameDatabase(db)) return null;
      const ext = hypothetical.length > 0 ? await schema() : null;
      if (hypothetical.length > 0 && ext === null) {
        if (!sandbox) return null;
        const started = performance.now();
        try {
          const plan = await explainWithSandboxBuild(query, versionNum, statement, hypothetical);
          options.log?.debug(
            { indexes: hypothetical.length, seconds: (performance.now() - started) / 1000, cost: plan?.cost },
            'sandbox build planned and rolled back',
          );
          return plan;
        } catch (error) {
          sandbox = false;
          options.log?.warn(
            { err: error },
            'sandbox index build failed: index advice falls back to EXPLAIN evidence on this connection',
          );
          return null;
        }
      }
      try {
        for (const spec of hypothetical) {
          await query(`/* dbdiag:what-if */ SELECT * FROM ${ext}.hypopg_create_index($1)`, [
            hypotheticalDdl(spec),
          ]);
        }
        const planned = await plan(statement);
        return planned && hypothetical.length > 0 ? { ...planned, whatIf: 'hypopg' } : planned;
      } catch {
        return null;
      } finally {
        if (hypothetical.length > 0)
          await query(`/* dbdiag:what-if */ SELECT ${ext}.hypopg_reset()`).catch(() => undefined);
      }
    },
  };
}
