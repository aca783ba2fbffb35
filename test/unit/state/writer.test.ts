import { describe, expect, it } from 'vitest';
import { rootLogger } from '../../../agent/log.js';
import type { FindingEvent, HourlyRollup, Store } from '../../../agent/state/store.js';
import { StoreWriter } from '../../../agent/state/writer.js';

// The writer's contract with a store that fails (a disk full, a server down): enqueue never
// throws or waits, the failure is counted and reported, nothing keyed is lost, and everything
// is written once the store answers again. (The store itself is tested on real backends.)

function failingStore() {
  const written = { rollups: [] as HourlyRollup[], events: [] as FindingEvent[] };
  let failing = true;
  const fail = async () => {
    if (failing) throw new Error('SQLITE_FULL: database or disk is full');
  };
  const store = {
    backend: 'sqlite',
    location: '/tmp/x',
    saveFindings: fail,
    appendFindingEvents: async (e: readonly FindingEvent[]) => {
      await fail();
      written.events.push(...e);
    },
    saveRollups: async (r: readonly HourlyRollup[]) => {
      await fail();
      written.rollups.push(...r);
    },
    saveSettingChanges: fail,
    saveServerVersion: fail,
    putRecords: fail,
  } as unknown as Store;
  return { store, written, heal: () => (failing = false) };
}

const rollup = (samples: number) => ({ target: 'db', hour: 0, samples }) as HourlyRollup;
const event = (at: number) =>
  ({
    id: 'x',
    firstSeen: 0,
    target: 'db',
    kind: 'slow-query',
    type: 'raised',
    at,
    severity: 'info',
    summary: '',
  }) as FindingEvent;

describe('store writer', () => {
  it('a failing store is counted and reported; the latest state of each key and every event are written once it heals', async () => {
    const { store, written, heal } = failingStore();
    const writer = new StoreWriter(store, rootLogger.child({ component: 'test' }), 60_000);
    writer.enqueue({ rollups: [rollup(1)], events: [event(1)] });
    await writer.flush();
    expect(writer.status()).toMatchObject({
      ok: false,
      lastError: 'SQLITE_FULL: database or disk is full',
      pending: 2,
    });
    expect(writer.status().errors.get('write')).toBe(1);
    writer.enqueue({ rollups: [rollup(2)], events: [event(2)] });
    await writer.flush();
    expect(writer.status().errors.get('write')).toBe(2);
    heal();
    await writer.flush();
    expect(writer.status()).toMatchObject({ ok: true, lastError: null, pending: 0 });
    expect(written.rollups.map((r) => r.samples)).toEqual([2]);
    expect(written.events.map((e) => e.at)).toEqual([1, 2]);
    await writer.close();
  });
});
