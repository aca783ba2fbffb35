import { byEngine, type EngineName } from '../engines/names.js';
import type { AppRequests } from './app-load.js';
import type { PooledSession } from './app-pool.js';
import type { SandboxServer, SandboxServerOptions, SandboxSession } from './server.js';

// The plant's manufacturing application, on any engine: its schema at a realistic scale, its
// application login, and its two requests. work_order_history_details has NO index on its
// work-order key: that is the incident. The read path JOINs it on (work_order_id,
// operation_seq), and each work order has ~40 history rows (5 events per operation), so the
// right index is the composite (work_order_id, operation_seq) with the work-order key leading.
// Each engine writes the SQL in its dialect (agent/engines/<engine>/sandbox-plant.ts).

export const PLANT_DATABASE = 'plant';
/** the application's login: an ordinary one, so a full server refuses it "too many connections" */
export const PLANT_APP_USER = 'plant_app';
export const HISTORY_TABLE = 'work_order_history_details';

export interface PlantScale {
  parts: number;
  workOrders: number;
  /** history rows per routing operation of a work order */
  eventsPerOperation: number;
}

/** ~1.2 million history rows: a full scan costs tens of milliseconds of CPU, an index probe microseconds. */
export const DEFAULT_PLANT_SCALE: PlantScale = { parts: 400, workOrders: 30_000, eventsPerOperation: 5 };

/** The plant's statements in one engine's dialect ($1 or ? placeholders, in the order given). */
export interface PlantSql {
  /** CREATE TABLE statements, run in the plant database */
  schema: readonly string[];
  /** the set-wise loads, in order */
  load(scale: PlantScale): { sql: string; params: unknown[] }[];
  /** an ordinary login that may read and write the plant's tables in `database` */
  createAppUser(name: string, password: string, database: string): string[];
  /** statement statistics emptied after the load, so the workload's statements stand alone */
  resetStatementStats: readonly string[];
  /** bytes of a table with its indexes; parameter: the table name; row { bytes } */
  tableBytes: string;
  /** parameter: a work-order id */
  readWorkOrder: string;
  /** parameters: order number, part number, quantity; returns { id } unless lastInsertId is needed */
  submitWorkOrder: string;
  /** the id just inserted, as { id }, where the INSERT cannot return it */
  lastInsertId: string | null;
  /** parameters: work-order id, operator id */
  releaseEvent: string;
  /**
   * the incident's server (plant-incident drill, demo): the engine's own options beside the
   * neutral max connections, cache and statement statistics the scenario sets
   */
  incidentServer: Pick<SandboxServerOptions, 'version' | 'reservedConnections' | 'settings'>;
  /** what a full server answers a new ordinary login, as the application logs it */
  fullServerMessage: string;
  /**
   * Team mode: how people still get in when the application holds every slot. null: the engine
   * always keeps one (MariaDB/MySQL: one connection beyond max_connections for an account with
   * SUPER or CONNECTION ADMIN). Else the slots the incident's server keeps for administrators
   * beside the application's 100, and what the application is told once only those are left.
   */
  teamAdminSlots: { reservedConnections: number; fullServerMessage: string } | null;
  /** what the statement statistics are called on the engine, for the narration */
  statementStatsName: string;
  /** the read path's top-level plan cost for work order `id`, as the agent's EXPLAIN counts it (null: unknown) */
  readPathCost(session: SandboxSession, id: number): Promise<number | null>;
}

/** The plant's SQL for every engine, from each engine's descriptor (agent/engines/list.ts). */
export const plantSql: Record<EngineName, PlantSql> = byEngine((engine) => engine.plant);

export interface PlantLoadReport {
  workOrders: number;
  routingOperations: number;
  historyRows: number;
  historyBytes: number;
  seconds: number;
}

async function count(session: SandboxSession, table: string): Promise<number> {
  const rows = await session.query(`SELECT count(*) AS n FROM ${table}`);
  return Number(rows[0]?.n ?? 0);
}

/**
 * Creates the plant database on the server, its tables and rows, the application's login with
 * `appPassword`, and fresh statement statistics. Returns what was loaded.
 */
export async function loadPlant(
  server: SandboxServer,
  appPassword: string,
  scale: PlantScale = DEFAULT_PLANT_SCALE,
): Promise<PlantLoadReport> {
  const sql = plantSql[server.engine];
  const started = performance.now();
  await server.query(`CREATE DATABASE ${PLANT_DATABASE}`);
  const session = await server.connect({ database: PLANT_DATABASE, applicationName: 'dbdiag-sandbox-load' });
  try {
    for (const statement of sql.schema) await session.query(statement);
    for (const step of sql.load(scale)) await session.query(step.sql, step.params);
    for (const statement of sql.createAppUser(PLANT_APP_USER, appPassword, PLANT_DATABASE))
      await session.query(statement);
    for (const statement of sql.resetStatementStats) await session.query(statement);
    const bytes = await session.query(sql.tableBytes, [HISTORY_TABLE]);
    return {
      workOrders: await count(session, 'work_orders'),
      routingOperations: await count(session, 'routing_operations'),
      historyRows: await count(session, HISTORY_TABLE),
      historyBytes: Number(bytes[0]?.bytes ?? 0),
      seconds: (performance.now() - started) / 1000,
    };
  } finally {
    await session.close();
  }
}

/**
 * The plant's requests: a read of one work order's history (the slow JOIN; recent work orders
 * are read most, they are on the shop floor right now) and the submit of a new work order
 * released to its first operation.
 */
export function plantRequests(engine: EngineName, scale: PlantScale): AppRequests {
  const sql = plantSql[engine];
  let maxId = scale.workOrders;
  let orderSeq = 0;
  return {
    async read(session: PooledSession) {
      const recent = Math.max(1, Math.floor(maxId * 0.2));
      const id = maxId - Math.floor(Math.random() ** 2 * recent);
      await session.query(sql.readWorkOrder, [id]);
    },
    async write(session: PooledSession) {
      orderSeq += 1;
      const orderNo = `WO-N${process.pid}-${orderSeq}`;
      const part = `P-${String(1 + Math.floor(Math.random() * scale.parts)).padStart(5, '0')}`;
      await session.query('BEGIN');
      try {
        const inserted = await session.query(sql.submitWorkOrder, [
          orderNo,
          part,
          10 + Math.floor(Math.random() * 490),
        ]);
        const idRow = sql.lastInsertId === null ? inserted[0] : (await session.query(sql.lastInsertId))[0];
        const id = Number(idRow?.id);
        await session.query(sql.releaseEvent, [id, 1 + (id % 250)]);
        await session.query('COMMIT');
        if (id > maxId) maxId = id;
      } catch (error) {
        await session.query('ROLLBACK').catch(() => undefined);
        throw error;
      }
    },
  };
}
