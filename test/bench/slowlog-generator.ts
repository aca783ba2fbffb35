import { createWriteStream } from 'node:fs';

// Generates realistic slow logs for the digest benchmark and tests: hundreds of statement
// shapes (joins, IN lists of varying length, multi-row inserts, updates, trace comments),
// literals varied on every line, MySQL/MariaDB slow-log and PostgreSQL stderr formats.

export type GeneratedFormat = 'mysql' | 'postgres-stderr';

/** Deterministic PRNG (mulberry32), so a size and seed always give the same log. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const TABLES = [
  'orders',
  'order_items',
  'customers',
  'work_orders',
  'work_order_history',
  'products',
  'invoices',
  'shipments',
  'users',
  'sessions',
  'audit_log',
  'inventory',
];
const COLUMNS = [
  'id',
  'status',
  'customer_id',
  'created_at',
  'updated_at',
  'amount',
  'name',
  'email',
  'sku',
  'qty',
  'state',
  'owner_id',
];

export interface Shape {
  /** builds a statement with fresh literals; `pg` uses PostgreSQL quoting */
  make(r: () => number, pg: boolean): string;
}

function int(r: () => number, max: number): number {
  return Math.floor(r() * max);
}
function str(r: () => number): string {
  const words = ['open', 'closed', 'pending', "o'brien", 'x', 'Ünïcode', 'alpha beta', 'a,b'];
  return `'${words[int(r, words.length)]!.replace(/'/g, "''")}${int(r, 1000)}'`;
}

/** `count` distinct shapes built from templates × tables × columns. */
export function makeShapes(count: number): Shape[] {
  const shapes: Shape[] = [];
  const templates: Array<(t: string, c: string, t2: string, c2: string) => Shape> = [
    (t, c) => ({ make: (r) => `SELECT * FROM ${t} WHERE ${c} = ${int(r, 100000)}` }),
    (t, c, _t2, c2) => ({
      make: (r) =>
        `SELECT ${c}, ${c2} FROM ${t} WHERE ${c2} = ${str(r)} ORDER BY ${c} DESC LIMIT ${1 + int(r, 50)}`,
    }),
    (t, c) => ({
      make: (r) =>
        `SELECT count(*) FROM ${t} WHERE ${c} IN (${Array.from({ length: 1 + int(r, 30) }, () => int(r, 9999)).join(', ')})`,
    }),
    (t, c, t2, c2) => ({
      make: (r) =>
        `SELECT t0.${c}, t1.${c2} FROM ${t} t0 JOIN ${t2} t1 ON t1.${c2} = t0.id WHERE t0.${c} > ${int(r, 1000)} AND t1.${c2} < ${int(r, 1000)}`,
    }),
    (t, c, _t2, c2) => ({
      make: (r) => `UPDATE ${t} SET ${c} = ${str(r)}, ${c2} = ${int(r, 100)} WHERE id = ${int(r, 1e6)}`,
    }),
    (t, c, _t2, c2) => ({
      make: (r) =>
        `INSERT INTO ${t} (${c}, ${c2}) VALUES ${Array.from({ length: 1 + int(r, 8) }, () => `(${int(r, 1000)}, ${str(r)})`).join(', ')}`,
    }),
    (t, c) => ({ make: (r) => `DELETE FROM ${t} WHERE ${c} < '2024-0${1 + int(r, 9)}-1${int(r, 9)}'` }),
    (t, c, t2) => ({
      make: (r) =>
        `/* trace_id=${int(r, 1e9).toString(16)} span=${int(r, 1e6)} */ SELECT a.${c} FROM ${t} a\n  LEFT JOIN ${t2} b ON b.id = a.id\n  WHERE a.${c} BETWEEN ${int(r, 100)} AND ${100 + int(r, 100)}`,
    }),
  ];
  let n = 0;
  outer: for (let i = 0; ; i++) {
    for (const template of templates) {
      const t = TABLES[(i + n) % TABLES.length]!;
      const t2 = TABLES[(i * 7 + 3 + n) % TABLES.length]!;
      const c = COLUMNS[(i * 5 + n) % COLUMNS.length]!;
      const c2 = COLUMNS[(i * 3 + 1) % COLUMNS.length]!;
      // make table names distinct per round so every shape is its own class
      const round = Math.floor(i / TABLES.length);
      shapes.push(template(round === 0 ? t : `${t}_${round}`, c, round === 0 ? t2 : `${t2}_${round}`, c2));
      if (++n >= count) break outer;
    }
  }
  return shapes;
}

const USERS = ['app', 'report', 'batch'];
const DBS = ['plant', 'billing'];

function pad2(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

export function mysqlEntry(sql: string, at: number, r: () => number, seconds: number): string {
  const d = new Date(at);
  const user = USERS[int(r, USERS.length)]!;
  const time = `${d.getUTCFullYear() % 100}${pad2(d.getUTCMonth() + 1)}${pad2(d.getUTCDate())} ${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}:${pad2(d.getUTCSeconds())}`;
  const sent = int(r, 100);
  return (
    `# Time: ${time}\n` +
    `# User@Host: ${user}[${user}] @ app-${int(r, 4)} [10.0.0.${int(r, 4)}]\n` +
    `# Thread_id: ${int(r, 5000)}  Schema: ${DBS[int(r, DBS.length)]}  QC_hit: No\n` +
    `# Query_time: ${seconds.toFixed(6)}  Lock_time: ${(seconds / 50).toFixed(6)}  Rows_sent: ${sent}  Rows_examined: ${sent * (1 + int(r, 1000))}\n` +
    `# Rows_affected: 0  Bytes_sent: ${int(r, 10000)}\n` +
    `SET timestamp=${Math.floor(at / 1000)};\n` +
    `${sql};\n`
  );
}

export function postgresEntry(
  sql: string,
  at: number,
  r: () => number,
  seconds: number,
  extended: boolean,
): string {
  const d = new Date(at).toISOString().replace('T', ' ').replace('Z', ' UTC');
  const pid = 1000 + int(r, 200);
  const prefix = `${d} [${pid}] ${USERS[int(r, USERS.length)]}@${DBS[int(r, DBS.length)]} `;
  const ms = (seconds * 1000).toFixed(3);
  const body = sql.replace(/\n/g, '\n\t');
  if (!extended) return `${prefix}LOG:  duration: ${ms} ms  statement: ${body}\n`;
  // extended protocol: the literals become $n parameters listed in the DETAIL line
  const params: string[] = [];
  const text = body.replace(/'(?:[^']|'')*'|\b\d+\b/g, (lit) => {
    params.push(`$${params.length + 1} = '${lit.startsWith("'") ? lit.slice(1, -1) : lit}'`);
    return `$${params.length}`;
  });
  return (
    `${prefix}LOG:  duration: ${ms} ms  execute <unnamed>: ${text}\n` +
    (params.length > 0 ? `${prefix}DETAIL:  parameters: ${params.join(', ')}\n` : '')
  );
}

/** Writes a log of about `bytes` bytes; returns the number of statements written. */
export async function generateLog(
  path: string,
  format: GeneratedFormat,
  bytes: number,
  shapesCount = 400,
  seed = 42,
): Promise<number> {
  const r = rng(seed);
  const shapes = makeShapes(shapesCount);
  const out = createWriteStream(path, { highWaterMark: 4 << 20 });
  let written = 0;
  let events = 0;
  let at = Date.UTC(2024, 4, 1, 0, 0, 0);
  let batch: string[] = [];
  let batchBytes = 0;
  if (format === 'mysql') {
    const banner =
      '/usr/sbin/mariadbd, Version: 10.11.6-MariaDB-log (Debian 12). started with:\nTcp port: 3306  Unix socket: /run/mysqld/mysqld.sock\nTime                Id Command    Argument\n';
    batch.push(banner);
    batchBytes += banner.length;
  }
  while (written < bytes) {
    // skewed popularity: a few shapes dominate, as in real workloads
    const shape = shapes[Math.floor(shapes.length * r() ** 3)]!;
    const seconds = 0.0001 + r() ** 4 * 2;
    at += int(r, 40);
    const sql = shape.make(r, format !== 'mysql');
    const entry =
      format === 'mysql' ? mysqlEntry(sql, at, r, seconds) : postgresEntry(sql, at, r, seconds, r() < 0.3);
    batch.push(entry);
    batchBytes += entry.length;
    events++;
    if (batchBytes > 1 << 20) {
      const chunk = batch.join('');
      written += Buffer.byteLength(chunk);
      if (!out.write(chunk)) await new Promise<void>((res) => out.once('drain', () => res()));
      batch = [];
      batchBytes = 0;
    }
  }
  if (batch.length > 0) out.write(batch.join(''));
  await new Promise<void>((res, rej) => out.end((err?: Error | null) => (err ? rej(err) : res())));
  return events;
}
