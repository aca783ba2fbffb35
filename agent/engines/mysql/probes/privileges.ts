import type { ProbeOutcome } from '../../engine.js';
import type { ProbeContext } from '../context.js';
import {
  ACCOUNT_SQL,
  holds,
  OWN_GRANTS_SQL,
  ownGrants,
  privilegeGaps,
  STATEMENT_SCHEMAS_SQL,
} from '../privileges.js';

// What the account lacks (see ../privileges.ts), on the settings schedule: read from its own
// grants, never found out by a statement failing. The schemas that need SELECT are those the
// server's statements run in, when performance_schema can tell.

export async function samplePrivileges(ctx: ProbeContext): Promise<ProbeOutcome> {
  const at = ctx.now();
  const [me] = await ctx.query(ACCOUNT_SQL);
  const account = String(me?.dbdiag_account ?? "''@''");
  const grants = ownGrants(account, await ctx.query(OWN_GRANTS_SQL));
  ctx.state.grants = grants;
  const schemas =
    ctx.server.performanceSchema && holds(grants, 'SELECT', 'performance_schema')
      ? (await ctx.query(STATEMENT_SCHEMAS_SQL)).map((r) => String(r.schema_name))
      : [];
  const role = account.replace(/^'(.*)'@'(.*)'$/, '$1@$2');
  return {
    status: 'ok',
    signals: { privileges: { at, role, missing: privilegeGaps(grants, schemas) } },
  };
}
