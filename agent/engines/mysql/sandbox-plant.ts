import type { PlantScale, PlantSql } from '../../sandbox/plant.js';
import { mysqlPlanFromJson } from './explain.js';

// The plant's manufacturing schema on MariaDB (agent/sandbox/plant.ts says what it is), the
// same tables and rows as on PostgreSQL, generated set-wise from MariaDB's SEQUENCE engine
// (seq_1_to_N, MariaDB 10.0.3+) so it loads in seconds. work_order_history_details has NO
// index on its work-order key: that is the incident.

export const SCHEMA_SQL = [
  `CREATE TABLE routing_operations (
    part_no        VARCHAR(10)  NOT NULL,
    operation_seq  INT          NOT NULL,
    work_center    VARCHAR(10)  NOT NULL,
    description    VARCHAR(20)  NOT NULL,
    std_minutes    DECIMAL(8,2) NOT NULL,
    PRIMARY KEY (part_no, operation_seq)
  ) ENGINE=InnoDB`,
  `CREATE TABLE work_orders (
    id          BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
    order_no    VARCHAR(40)  NOT NULL UNIQUE,
    part_no     VARCHAR(10)  NOT NULL,
    quantity    INT          NOT NULL,
    status      VARCHAR(12)  NOT NULL,
    created_at  DATETIME(6)  NOT NULL,
    due_at      DATETIME(6)  NOT NULL
  ) ENGINE=InnoDB`,
  // No index on work_order_id: the incident.
  `CREATE TABLE work_order_history_details (
    id             BIGINT      NOT NULL AUTO_INCREMENT PRIMARY KEY,
    work_order_id  BIGINT      NOT NULL,
    operation_seq  INT         NOT NULL,
    recorded_at    DATETIME(6) NOT NULL,
    event          VARCHAR(12) NOT NULL,
    operator_id    INT         NOT NULL,
    qty_good       INT         NOT NULL,
    qty_scrap      INT         NOT NULL,
    note           VARCHAR(40)
  ) ENGINE=InnoDB`,
];

function count(n: number): number {
  if (!Number.isInteger(n) || n < 1) throw new Error(`plant scale: expected a positive integer, got ${n}`);
  return n;
}

/** Parts have 6 to 10 operations, numbered 10, 20, ... as routings usually are. */
const loadRoutings = (parts: number) => `
INSERT INTO routing_operations (part_no, operation_seq, work_center, description, std_minutes)
SELECT CONCAT('P-', LPAD(p.seq, 5, '0')), op.seq * 10, CONCAT('WC-', (p.seq * 7 + op.seq) % 24 + 1),
       ELT(op.seq, 'cut','turn','mill','drill','deburr','heat-treat','grind','wash','inspect','pack'),
       ROUND(5 + RAND() * 55, 2)
FROM seq_1_to_${count(parts)} AS p JOIN seq_1_to_10 AS op
WHERE op.seq <= 6 + p.seq % 5`;

const loadWorkOrders = (workOrders: number, parts: number) => `
INSERT INTO work_orders (id, order_no, part_no, quantity, status, created_at, due_at)
SELECT w.seq, CONCAT('WO-', LPAD(w.seq, 8, '0')), CONCAT('P-', LPAD(1 + w.seq % ${count(parts)}, 5, '0')),
       10 + (w.seq * 37) % 490,
       IF(w.seq > ${count(workOrders)} * 0.9, 'released', 'closed'),
       NOW(6) - INTERVAL ((${workOrders} - w.seq) * 7) MINUTE,
       NOW(6) - INTERVAL ((${workOrders} - w.seq) * 7) MINUTE + INTERVAL 5 DAY
FROM seq_1_to_${workOrders} AS w`;

const loadHistory = (eventsPerOperation: number) => `
INSERT INTO work_order_history_details
  (work_order_id, operation_seq, recorded_at, event, operator_id, qty_good, qty_scrap, note)
SELECT wo.id, r.operation_seq,
       wo.created_at + INTERVAL (r.operation_seq * 12 + e.seq * 3) MINUTE,
       ELT(e.seq, 'started','reported','reported','reported','completed'),
       1 + (wo.id * 13 + e.seq) % 250,
       IF(e.seq = 1, 0, wo.quantity DIV 4),
       IF((wo.id + e.seq) % 17 = 0, 1, 0),
       IF((wo.id + e.seq) % 11 = 0, 'tool change', NULL)
FROM work_orders wo
JOIN routing_operations r ON r.part_no = wo.part_no
JOIN seq_1_to_${count(eventsPerOperation)} AS e`;

/** The application's read path: one work order's operations with their history (the slow JOIN). */
export const READ_WORK_ORDER_SQL = `SELECT wo.order_no, wo.status, r.operation_seq, r.work_center,
       d.event, d.recorded_at, d.qty_good, d.qty_scrap
FROM work_orders wo
JOIN routing_operations r ON r.part_no = wo.part_no
JOIN work_order_history_details d ON d.work_order_id = wo.id AND d.operation_seq = r.operation_seq
WHERE wo.id = ?
ORDER BY r.operation_seq, d.recorded_at`;

export const SUBMIT_WORK_ORDER_SQL = `INSERT INTO work_orders (order_no, part_no, quantity, status, created_at, due_at)
VALUES (?, ?, ?, 'released', NOW(6), NOW(6) + INTERVAL 5 DAY)`;

export const RELEASE_EVENT_SQL = `INSERT INTO work_order_history_details
  (work_order_id, operation_seq, recorded_at, event, operator_id, qty_good, qty_scrap)
VALUES (?, 10, NOW(6), 'released', ?, 0, 0)`;

export const mysqlPlant: PlantSql = {
  schema: SCHEMA_SQL,
  load: (scale: PlantScale) => [
    { sql: loadRoutings(scale.parts), params: [] },
    { sql: loadWorkOrders(scale.workOrders, scale.parts), params: [] },
    { sql: loadHistory(scale.eventsPerOperation), params: [] },
    { sql: 'ANALYZE TABLE routing_operations, work_orders, work_order_history_details', params: [] },
  ],
  createAppUser: (name, password, database) => [
    `CREATE USER '${name}'@'%' IDENTIFIED BY '${password.replaceAll("'", "''")}'`,
    `GRANT SELECT, INSERT, UPDATE ON \`${database}\`.* TO '${name}'@'%'`,
  ],
  resetStatementStats: ['TRUNCATE TABLE performance_schema.events_statements_summary_by_digest'],
  tableBytes: `SELECT DATA_LENGTH + INDEX_LENGTH AS bytes FROM information_schema.TABLES
    WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ?`,
  readWorkOrder: READ_WORK_ORDER_SQL,
  submitWorkOrder: SUBMIT_WORK_ORDER_SQL,
  lastInsertId: 'SELECT LAST_INSERT_ID() AS id',
  releaseEvent: RELEASE_EVENT_SQL,
  // MariaDB from the installed binaries: max_connections counts ordinary logins (root keeps one
  // more slot of its own); refused and timed-out connection attempts of the overloaded app must
  // not get 127.0.0.1 blocked (max_connect_errors), and a thread per connection is kept warm.
  incidentServer: {
    settings: {
      'max-connect-errors': 1_000_000,
      'thread-cache-size': 128,
      'innodb-log-file-size': '8M',
    },
  },
  fullServerMessage: 'Too many connections',
  teamAdminSlots: null,
  statementStatsName: 'performance_schema',
  // EXPLAIN FORMAT=JSON, counted as the agent counts it (query_cost where given, else rows)
  async readPathCost(session, id) {
    const [row] = await session.query(`EXPLAIN FORMAT=JSON ${READ_WORK_ORDER_SQL}`, [id]);
    const text = row === undefined ? undefined : Object.values(row)[0];
    return typeof text === 'string' ? (mysqlPlanFromJson(text)?.cost ?? null) : null;
  },
};
