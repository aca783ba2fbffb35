import { describe, expect, it } from 'vitest';
import { inactiveSlot } from '../../../agent/advisors/inactive-slot.js';
import {
  classifyStatement,
  readSplitCandidate,
  statementTables,
} from '../../../agent/advisors/read-split-candidate.js';
import { replicaLag } from '../../../agent/advisors/replica-lag.js';
import { replicationBroken } from '../../../agent/advisors/replication-broken.js';
import type {
  EngineName,
  ReplicaSelf,
  ReplicationSignals,
  SlotStat,
  StatementStat,
} from '../../../agent/snapshot/signals.js';
import { input, snapshot, T0 } from './fixtures.js';

const GIB = 1024 ** 3;

function self(over: Partial<ReplicaSelf> = {}): ReplicaSelf {
  return {
    lagBytes: 0,
    lagSeconds: 0,
    paused: false,
    receiving: true,
    lastError: null,
    conflicts: 0,
    ...over,
  };
}

function onReplica(at: number, s: ReplicaSelf, engine: EngineName = 'postgres') {
  const replication: ReplicationSignals = { at, role: 'replica', replicas: [], slots: [], self: s };
  return snapshot(at, { replication }, engine);
}

function onPrimary(at: number, over: Partial<ReplicationSignals> = {}) {
  return snapshot(at, { replication: { at, role: 'primary', replicas: [], slots: [], self: null, ...over } });
}

function slot(over: Partial<SlotStat> = {}): SlotStat {
  return {
    name: 'old_replica',
    active: false,
    retainedBytes: 2 * GIB,
    safeBytes: null,
    walStatus: 'extended',
    ...over,
  };
}

/** one sample every 15 s from T0, lag per sample */
function lagSeries(lags: number[], over: Partial<ReplicaSelf> = {}) {
  return lags.map((lag, i) =>
    onReplica(T0 + i * 15_000, self({ lagSeconds: lag, lagBytes: lag * 1000, ...over })),
  );
}

describe('replica-lag', () => {
  it('warns when the lag holds at or above the warning level for the whole window and does not grow', () => {
    const [f] = replicaLag(input(lagSeries([40, 45, 42, 44, 41])));
    expect(f?.severity).toBe('warning');
    expect(f?.object).toBe('db');
    expect(f?.evidence).toMatchObject({ seenFrom: 'replica', lagSeconds: 41, paused: false });
    expect(f?.runbook).toBe('http://agent/runbooks/replica-lag.md');
  });

  it('is critical while the lag grows (replay stalled) even under the critical level', () => {
    const [f] = replicaLag(input(lagSeries([31, 46, 61, 76, 91])));
    expect(f?.severity).toBe('critical');
    expect(f?.evidence.growthSecondsPerSecond).toBe(1);
  });

  it('is critical at the critical lag', () => {
    expect(replicaLag(input(lagSeries([400, 400, 401, 400, 400])))[0]?.severity).toBe('critical');
  });

  it('proposes resuming replay when it is paused, rendered for each engine', () => {
    const history = lagSeries([60, 75, 90, 105, 120], { paused: true });
    const pg = replicaLag(input(history))[0];
    expect(pg?.fix?.actions.map((a) => a.type)).toEqual(['resume-replication']);
    expect(pg?.fix?.statements[0]).toBe('SELECT pg_wal_replay_resume();');
    const my = replicaLag(input(history, { engine: 'mysql' }))[0];
    expect(my?.fix?.statements[0]).toBe('START REPLICA SQL_THREAD;');
  });

  it('does not flag a burst the replica absorbs inside the window (one sample under the warning level)', () => {
    expect(replicaLag(input(lagSeries([40, 45, 10, 44, 41])))).toEqual([]);
  });

  it('does not flag an idle caught-up replica (zero lag), nor an unknown lag', () => {
    expect(replicaLag(input(lagSeries([0, 0, 0, 0])))).toEqual([]);
    const unknown = [0, 1, 2].map((i) =>
      onReplica(T0 + i * 15_000, self({ lagSeconds: null, lagBytes: null })),
    );
    expect(replicaLag(input(unknown))).toEqual([]);
  });

  it('on a primary: one finding per replica that trails, named by the replica', () => {
    const history = [0, 1, 2, 3, 4].map((i) =>
      onPrimary(T0 + i * 15_000, {
        replicas: [
          { name: 'r_far', state: 'streaming', lagBytes: 1e6, lagSeconds: 50 },
          { name: 'r_near', state: 'streaming', lagBytes: 0, lagSeconds: 0 },
        ],
      }),
    );
    const found = replicaLag(input(history));
    expect(found.map((f) => [f.object, f.severity, f.evidence.seenFrom])).toEqual([
      ['r_far', 'warning', 'primary'],
    ]);
  });
});

describe('replication-broken', () => {
  it('is critical on an apply error, with the skip as a last resort carrying its warning (MariaDB)', () => {
    const history = [
      onReplica(T0, self({ lastError: 'Error 1062: Duplicate entry', receiving: true }), 'mysql'),
    ];
    const [f] = replicationBroken(input(history, { engine: 'mysql' }));
    expect(f?.severity).toBe('critical');
    expect(f?.summary).toContain('Duplicate entry');
    expect(f?.fix?.statements.join('\n')).toContain('WARNING: skips the failing event');
  });

  it('is critical when the replica received nothing for the whole window, and proposes starting it again', () => {
    const history = [0, 1, 2, 3, 4].map((i) => onReplica(T0 + i * 15_000, self({ receiving: false })));
    const [f] = replicationBroken(input(history, { engine: 'mysql' }));
    expect(f?.severity).toBe('critical');
    expect(f?.fix?.actions.map((a) => a.type)).toEqual(['resume-replication']);
    expect(f?.fix?.statements).toContain('START REPLICA;');
  });

  it('does not flag a receiver that came back inside the window (a reconnect)', () => {
    const history = [false, false, true, false, false].map((receiving, i) =>
      onReplica(T0 + i * 15_000, self({ receiving })),
    );
    expect(replicationBroken(input(history))).toEqual([]);
  });

  it('warns on queries cancelled by recovery conflicts in the window (PostgreSQL)', () => {
    const history = [0, 1, 2].map((i) => onReplica(T0 + i * 15_000, self({ conflicts: 10 + i * 2 })));
    const [f] = replicationBroken(input(history));
    expect(f?.severity).toBe('warning');
    expect(f?.evidence.conflictsInWindow).toBe(4);
  });

  it('does not flag a healthy replica whose receiving state is not visible to the role', () => {
    const history = [0, 1, 2].map((i) => onReplica(T0 + i * 15_000, self({ receiving: null })));
    expect(replicationBroken(input(history))).toEqual([]);
  });

  it('flags an invalidated slot on a primary', () => {
    const [f] = replicationBroken(
      input([onPrimary(T0, { slots: [slot({ walStatus: 'lost', retainedBytes: null })] })]),
    );
    expect(f?.object).toBe('slot old_replica');
  });
});

describe('inactive-slot', () => {
  it('reports the WAL an inactive slot keeps, how fast it grows, and proposes dropping it with its risk', () => {
    const history = [0, 1].map((i) =>
      onPrimary(T0 + i * 3_600_000, { slots: [slot({ retainedBytes: (2 + i) * GIB })] }),
    );
    const [f] = inactiveSlot(input(history));
    expect(f?.severity).toBe('warning');
    expect(f?.evidence).toMatchObject({
      retainedBytes: 3 * GIB,
      growthBytesPerHour: GIB,
      daysUntilDiskFull: null,
    });
    expect(f?.fix?.actions[0]).toMatchObject({ type: 'drop-replication-slot', slot: 'old_replica' });
    expect(f?.fix?.statements).toContain("SELECT pg_drop_replication_slot('old_replica');");
    expect(f?.fix?.risk).toMatch(/^WARNING: dropping the slot cannot be undone/);
  });

  it('is critical when the server will invalidate the slot within a day', () => {
    const history = [0, 1].map((i) =>
      onPrimary(T0 + i * 3_600_000, { slots: [slot({ retainedBytes: (2 + i) * GIB, safeBytes: 5 * GIB })] }),
    );
    const [f] = inactiveSlot(input(history));
    expect(f?.severity).toBe('critical');
    expect(f?.evidence.daysUntilInvalidated).toBeCloseTo(5 / 24, 2);
  });

  it('does not flag an active slot, nor an inactive one keeping little (a replica reconnecting)', () => {
    expect(
      inactiveSlot(input([onPrimary(T0, { slots: [slot({ active: true, retainedBytes: 20 * GIB })] })])),
    ).toEqual([]);
    expect(
      inactiveSlot(input([onPrimary(T0, { slots: [slot({ retainedBytes: 16 * 1024 * 1024 })] })])),
    ).toEqual([]);
  });
});

function stat(id: string, fingerprint: string, calls: number, totalSeconds: number): StatementStat {
  return {
    id,
    fingerprint,
    database: 'plant',
    user: 'app',
    calls,
    totalSeconds,
    rows: calls,
    rowsExamined: null,
    noIndexUsedCalls: null,
    blocksHit: null,
    blocksRead: null,
    sample: null,
  };
}

function withStatements(statements: StatementStat[], replication?: ReplicationSignals) {
  return snapshot(T0, {
    statements: { at: T0, source: 'pg_stat_statements', resetAt: null, statements },
    ...(replication ? { replication } : {}),
  });
}

describe('read-split-candidate', () => {
  it('classifies statements: reads, locking reads, writes hidden in a SELECT, and the rest', () => {
    expect(classifyStatement('SELECT status FROM work_orders WHERE id = $1')).toBe('read');
    expect(classifyStatement('/* app */ with t AS (SELECT 1) SELECT * FROM t')).toBe('read');
    expect(classifyStatement('SELECT * FROM accounts WHERE id = $1 FOR UPDATE')).toBe('locking-read');
    expect(classifyStatement('SELECT * FROM t WHERE id = ? LOCK IN SHARE MODE')).toBe('locking-read');
    expect(classifyStatement('WITH d AS (DELETE FROM q RETURNING *) SELECT * FROM d')).toBe('write');
    expect(classifyStatement('SELECT nextval($1)')).toBe('write');
    expect(classifyStatement('UPDATE work_orders SET status = $1 WHERE id = $2')).toBe('write');
    expect(classifyStatement('BEGIN')).toBe('other');
    expect(
      statementTables('SELECT * FROM plant.`work_orders` w JOIN "public".details d ON d.id = w.id'),
    ).toEqual(['work_orders', 'details']);
  });

  const READS = stat('1', 'SELECT * FROM work_orders WHERE id = $1', 9000, 9);
  const REPORT = stat('2', 'SELECT count(*) FROM work_orders WHERE status = $1', 900, 6);
  const WRITE = stat('3', 'UPDATE work_orders SET status = $1 WHERE id = $2', 1000, 3);
  const LOG_READ = stat('4', 'SELECT * FROM event_log WHERE id = $1', 100, 2);
  const LOG_WRITE = stat('5', 'INSERT INTO event_log (id, msg) VALUES ($1, $2)', 5000, 5);

  it('names the reads of a mostly-read table, not its write, not the reads of a write-heavy table', () => {
    const [f] = readSplitCandidate(input([withStatements([READS, REPORT, WRITE, LOG_READ, LOG_WRITE])]));
    expect(f?.severity).toBe('info');
    const named = ((f?.evidence.statements ?? []) as { id: string }[]).map((s) => s.id);
    expect(named).toEqual(['1', '2']);
    expect(f?.evidence.primaryTimeShare).toBe(0.6);
    expect(f?.evidence.stalenessSeconds).toBeNull();
    expect(f?.summary).toContain('work_orders');
    expect(f?.summary).not.toContain('event_log');
  });

  it('states the staleness to tolerate from the replicas measured lag', () => {
    const replication: ReplicationSignals = {
      at: T0,
      role: 'primary',
      replicas: [{ name: 'r1', state: 'streaming', lagBytes: 100, lagSeconds: 4.2 }],
      slots: [],
      self: null,
    };
    const [f] = readSplitCandidate(input([withStatements([READS, WRITE], replication)]));
    expect(f?.evidence.stalenessSeconds).toBe(4.2);
    expect(f?.evidence.replicas).toEqual(['r1']);
  });

  it('never names a locking read, nor a read called as often as a write on its table (one transaction)', () => {
    const locking = stat('6', 'SELECT * FROM work_orders WHERE id = $1 FOR UPDATE', 9000, 9);
    const pairedRead = stat('7', 'SELECT qty FROM stock WHERE id = $1', 1000, 5);
    const pairedWrite = stat('8', 'UPDATE stock SET qty = qty - $1 WHERE id = $2', 1010, 1);
    const reads = stat('9', 'SELECT * FROM stock WHERE sku = $1', 40_000, 4);
    const found = readSplitCandidate(
      input([withStatements([locking, WRITE, pairedRead, pairedWrite, reads])]),
    );
    expect(((found[0]?.evidence.statements ?? []) as { id: string }[]).map((s) => s.id)).toEqual(['9']);
  });

  it('says nothing on a replica, nor for reads that cost the primary little', () => {
    const onReplicaSide: ReplicationSignals = {
      at: T0,
      role: 'replica',
      replicas: [],
      slots: [],
      self: self(),
    };
    expect(readSplitCandidate(input([withStatements([READS, WRITE], onReplicaSide)]))).toEqual([]);
    const cheap = stat('10', 'SELECT * FROM work_orders WHERE id = $1', 9000, 0.01);
    expect(readSplitCandidate(input([withStatements([cheap, WRITE])]))).toEqual([]);
  });
});
