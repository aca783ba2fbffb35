import { describe, expect, it } from 'vitest';
import { dialects } from '../../../agent/engines/dialects.js';
import { choosePrefix, needsPrefix, prefixLadder } from '../../../agent/engines/mysql/explain.js';
import {
  createIndexAction,
  dropIndexAction,
  tableMaintenanceAction,
} from '../../../agent/findings/actions.js';

// Each engine renders fix actions in one place: the online forms, the lock timeout first,
// a rollback for every index change. These are the texts people paste and the executor runs.

const create = createIndexAction({
  table: 'public.work_order_history_details',
  name: 'work_order_history_details_work_order_id_idx',
  columns: ['work_order_id', 'lower(note)'],
  lockTimeoutSeconds: 5,
  risk: 'r',
});

describe('postgres remedies', () => {
  const { render } = dialects.postgres.remedies;

  it('creates an index CONCURRENTLY behind a lock_timeout, expressions wrapped, and drops it CONCURRENTLY as the rollback', () => {
    expect(render(create).statements).toEqual([
      "SET lock_timeout = '5s';",
      'CREATE INDEX CONCURRENTLY work_order_history_details_work_order_id_idx ON public.work_order_history_details (work_order_id, (lower(note)));',
    ]);
    expect(create.rollback && render(create.rollback).statements).toEqual([
      'DROP INDEX CONCURRENTLY public.work_order_history_details_work_order_id_idx;',
    ]);
  });

  it('re-creates a dropped index from its catalog definition, CONCURRENTLY', () => {
    const drop = dropIndexAction({
      table: 'public.t',
      name: 't_a_idx',
      columns: ['a'],
      unique: true,
      where: null,
      definition: 'CREATE UNIQUE INDEX t_a_idx ON public.t USING btree (a)',
      risk: 'r',
    });
    expect(render(drop).statements).toEqual(['DROP INDEX CONCURRENTLY public.t_a_idx;']);
    expect(drop.rollback && render(drop.rollback).statements).toEqual([
      'CREATE UNIQUE INDEX CONCURRENTLY t_a_idx ON public.t USING btree (a);',
    ]);
  });

  it('quotes identifiers that need it', () => {
    const odd = createIndexAction({ table: 'Sales.Order Lines', name: 'Ix', columns: ['Qty'], risk: 'r' });
    expect(render(odd).statements).toEqual([
      'CREATE INDEX CONCURRENTLY "Ix" ON "Sales"."Order Lines" ("Qty");',
    ]);
  });

  it('vacuums without FULL and analyzes', () => {
    expect(render(tableMaintenanceAction('vacuum', 'public.t', 'none', 'r')).statements).toEqual([
      'VACUUM (ANALYZE, VERBOSE) public.t;',
    ]);
    expect(render(tableMaintenanceAction('analyze', 'public.t', 'none', 'r')).statements).toEqual([
      'ANALYZE public.t;',
    ]);
  });

  it('names settings and how they take effect: max_connections needs a restart, the idle timeout a reload', () => {
    const { setting } = dialects.postgres.remedies;
    expect(setting('max-connections')).toMatchObject({ name: 'max_connections', apply: 'restart' });
    expect(setting('idle-in-transaction-timeout')).toMatchObject({ apply: 'reload' });
    expect(
      render({
        type: 'set-setting',
        setting: 'idle-in-transaction-timeout',
        value: 300,
        apply: 'reload',
        lock: 'none',
        expectedSeconds: null,
        risk: 'r',
        rollback: null,
      }).statements,
    ).toEqual(["ALTER SYSTEM SET idle_in_transaction_session_timeout = '5min'; SELECT pg_reload_conf();"]);
  });
});

describe('mysql remedies', () => {
  const { render } = dialects.mysql.remedies;

  it('creates and drops an index with online DDL (ALGORITHM=INPLACE, LOCK=NONE) behind a lock_wait_timeout', () => {
    expect(render(create).statements).toEqual([
      'SET SESSION lock_wait_timeout = 5;',
      'ALTER TABLE public.work_order_history_details ADD INDEX work_order_history_details_work_order_id_idx (work_order_id, (lower(note))), ALGORITHM=INPLACE, LOCK=NONE;',
    ]);
    expect(create.rollback && render(create.rollback).statements).toEqual([
      'ALTER TABLE public.work_order_history_details DROP INDEX work_order_history_details_work_order_id_idx, ALGORITHM=INPLACE, LOCK=NONE;',
    ]);
  });

  it('re-creates a dropped index with online DDL, never CREATE INDEX CONCURRENTLY (which MySQL does not have)', () => {
    const drop = dropIndexAction({
      table: 'shop.items',
      name: 'items_a',
      columns: ['a', 'b(10)'],
      unique: false,
      where: null,
      definition: 'CREATE INDEX `items_a` ON `shop`.`items` (a, b(10))',
      risk: 'r',
    });
    expect(drop.rollback && render(drop.rollback).statements).toEqual([
      'ALTER TABLE shop.items ADD INDEX items_a (a, b(10)), ALGORITHM=INPLACE, LOCK=NONE;',
    ]);
  });

  it('rebuilds a table instead of vacuuming it, and never sets wait_timeout below 5 minutes', () => {
    expect(render(tableMaintenanceAction('optimize', 'shop.journal', 'brief', 'r')).statements[0]).toMatch(
      /^ALTER TABLE shop\.journal ENGINE=InnoDB, ALGORITHM=INPLACE, LOCK=NONE;/,
    );
    expect(
      render({
        type: 'set-setting',
        setting: 'idle-in-transaction-timeout',
        value: 60,
        apply: 'online',
        lock: 'none',
        expectedSeconds: null,
        risk: 'r',
        rollback: null,
      }).statements[0],
    ).toMatch(/^SET GLOBAL wait_timeout = 300;/);
  });
});

describe('index shapes each engine renders (issue #12): covering, operator class, prefix', () => {
  const shaped = createIndexAction({
    table: 'shop.referrers',
    name: 'referrers_referrer_idx',
    columns: ['referrer'],
    include: ['visits'],
    opclass: { referrer: 'text_pattern_ops' },
    prefix: { referrer: 40 },
    risk: 'r',
  });

  it('PostgreSQL: INCLUDE for the payload and the operator class after its key column (no prefix indexes)', () => {
    expect(dialects.postgres.remedies.render(shaped).statements).toEqual([
      'CREATE INDEX CONCURRENTLY referrers_referrer_idx ON shop.referrers (referrer text_pattern_ops) INCLUDE (visits);',
    ]);
  });

  it('MySQL/MariaDB: the payload as trailing key columns and the prefix length on its column (no operator classes)', () => {
    expect(dialects.mysql.remedies.render(shaped).statements).toEqual([
      'ALTER TABLE shop.referrers ADD INDEX referrers_referrer_idx (referrer(40), visits), ALGORITHM=INPLACE, LOCK=NONE;',
    ]);
  });

  it('MySQL/MariaDB prefix length: only for columns over the 3,072-byte key limit or TEXT, shortest prefix near the full selectivity', () => {
    expect(needsPrefix('varchar', 4096)).toBe(true);
    expect(needsPrefix('varchar', 400)).toBe(false);
    expect(needsPrefix('text', null)).toBe(true);
    // utf8mb4 VARCHAR(1024): at most 768 characters fit the key
    expect(prefixLadder(1024, 4).at(-1)).toBe(768);
    expect(prefixLadder(100, 1).at(-1)).toBe(96);
    // 'https://partners.example.com/r/' + a number: 32 characters tell 10 values apart, 40 all of them
    expect(
      choosePrefix(10_000, [
        { length: 24, distinct: 1 },
        { length: 32, distinct: 10 },
        { length: 40, distinct: 10_000 },
        { length: 48, distinct: 10_000 },
      ]),
    ).toBe(40);
    // never close enough: the longest tried
    expect(
      choosePrefix(100, [
        { length: 8, distinct: 3 },
        { length: 16, distinct: 50 },
      ]),
    ).toBe(16);
  });
});
