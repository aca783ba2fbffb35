import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { configSchema } from '../../../agent/config/schema.js';
import { startDrillSchedules } from '../../../agent/drills/schedule.js';
import { type Scorecard, scorecardErrors } from '../../../agent/drills/scorecard.js';
import { componentLogger } from '../../../agent/log.js';
import { openStore } from '../../../agent/state/open.js';
import { type JsonValue, typedRecords } from '../../../agent/state/store.js';

// The drills' schedule in the config (node-cron, the reports' scheduler), on a per-second cron:
// it runs the auto drill for real on a sandbox it starts, stores the scorecard where
// `dbdiag drill history` reads it and writes its files beside the reports.

const dataDir = mkdtempSync(join(tmpdir(), 'drill-schedule-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

describe('drills.schedules', () => {
  it('runs the scheduled auto drill and files its scorecard with the reports and in the store', async () => {
    const config = configSchema.parse({
      dataDir,
      drills: {
        schedules: [
          { name: 'quarterly', cron: '* * * * * *', scenarios: ['long-transaction'], scale: 'small' },
        ],
      },
    });
    const store = await openStore({ dataDir });
    const log = componentLogger('drill-schedule-test').child({}, { level: 'warn' });
    const scheduler = await startDrillSchedules(store, config, log);
    try {
      const deadline = Date.now() + 170_000;
      while (scheduler.filed.length === 0 && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 500));
    } finally {
      await scheduler.stop();
    }
    const [filed] = scheduler.filed;
    expect(filed?.schedule).toBe('quarterly');
    expect(filed?.scenario).toBe('long-transaction');
    const reports = join(dataDir, 'reports');
    expect(
      filed?.files
        .map((f) => f.slice(reports.length + 1).replace(/-\d{4}-\d{2}-\d{2}T[^.]+\./, '-ID.'))
        .sort(),
    ).toEqual([
      'drill-long-transaction-postgres-ID.html',
      'drill-long-transaction-postgres-ID.json',
      'drill-long-transaction-postgres-ID.md',
    ]);
    for (const file of filed?.files ?? []) expect(existsSync(file)).toBe(true);
    const card = JSON.parse(
      readFileSync(filed?.files.find((f) => f.endsWith('.json')) ?? '', 'utf8'),
    ) as Scorecard;
    expect(await scorecardErrors(card)).toEqual([]);
    expect(card).toMatchObject({ scenario: 'long-transaction', engine: 'postgres', mode: 'auto' });
    expect(card.result, JSON.stringify(card.failures)).toBe('pass');
    const stored = await typedRecords<JsonValue>(store, 'drill-run').list({
      target: 'long-transaction@postgres',
    });
    expect(stored.map((r) => r.id)).toContain(card.id);
    await store.close();
  }, 200_000);
});
