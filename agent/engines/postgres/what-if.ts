import type { IndexSpec, IndexVerifier, PlanCost, TableFacts } from '../engine.js';
import { type PgQuery, postgresTableFacts } from './catalog-facts.js';
import { explainPostgres } from './explain.js';

// HypoPG what-if: hypothetical indexes live only in this backend's memory (no lock, no
// disk), are seen by EXPLAIN (not by execution), and are reset right after each plan. Used
// only when the extension is installed in the database: the agent never creates extensions.

export const HYPOPG_INSTALLED_SQL = `/* dbdiag:what-if */ SELECT quote_ident(n.nspname) AS schema FROM pg_extension e
JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'hypopg'`;

function quote(name: string): string {
  return /^[a-z_][a-z0-9_$]*$/.test(name) ? name : `"${name.replaceAll('"', '""')}"`;
}

export function hypotheticalDdl(spec: IndexSpec): string {
  const table = spec.table.split('.').map(quote).join('.');
  const cols = spec.columns.map((c) => (c.includes('(') ? `(${c})` : quote(c))).join(', ');
  return `CREATE INDEX ON ${table} (${cols})${spec.where ? ` WHERE ${spec.where}` : ''}`;
}

/** The verifier of one PostgreSQL session (it runs on the session's own connection). */
export function createPostgresVerifier(query: PgQuery, versionNum: number, database: string): IndexVerifier {
  let hypopg: Promise<string | null> | null = null;
  const schema = (): Promise<string | null> => {
    hypopg ??= query<{ schema: string }>(HYPOPG_INSTALLED_SQL).then(
      (rows) => rows[0]?.schema ?? null,
      () => null,
    );
    return hypopg;
  };
  const sameDatabase = (db: string | null) => db === null || db === database;
  return {
    async whatIf() {
      return (await schema()) !== null;
    },
    async tableFacts(db, table, columns): Promise<TableFacts | null> {
      if (!sameDatabase(db)) return null;
      return postgresTableFacts(query, table, columns);
    },
    async explain(db, statement, hypothetical = []): Promise<PlanCost | null> {
      if (!sameDatabase(db)) return null;
      const ext = hypothetical.length > 0 ? await schema() : null;
      if (hypothetical.length > 0 && ext === null) return null;
      try {
        for (const spec of hypothetical) {
          await query(`/* dbdiag:what-if */ SELECT * FROM ${ext}.hypopg_create_index($1)`, [
            hypotheticalDdl(spec),
          ]);
        }
        return await explainPostgres(query, versionNum, statement);
      } catch {
        return null;
      } finally {
        if (hypothetical.length > 0)
          await query(`/* dbdiag:what-if */ SELECT ${ext}.hypopg_reset()`).catch(() => undefined);
      }
    },
  };
}
