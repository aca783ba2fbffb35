import { describe, expect, it } from 'vitest';
import { dialects } from '../../../agent/engines/dialects.js';
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
