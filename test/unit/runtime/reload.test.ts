import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../agent/config/load.js';
import type { Config } from '../../../agent/config/schema.js';
import { describeChanges, diffConfig, effectiveConfig } from '../../../agent/runtime/reload.js';

function config(overrides: Record<string, unknown>): Config {
  return loadConfig(undefined, {
    urls: ['postgres://dbdiag:s3cret@db1:5432/plant'],
    ...(overrides as object),
  });
}

describe('diffConfig', () => {
  const running = config({});

  it('says nothing changed for the same config', () => {
    const changes = diffConfig(running, config({}));
    expect(describeChanges(changes)).toBe('no changes');
  });

  it('applies thresholds and intervals live and keeps the listen address until a restart', () => {
    const next = {
      ...config({ listen: '0.0.0.0:9999', intervalSeconds: 5 }),
      thresholds: { ...running.thresholds, resolveAfterSeconds: 5 },
    };
    const changes = diffConfig(running, next);
    expect(changes.live.map((c) => c.path).sort()).toEqual([
      'intervalSeconds',
      'thresholds.resolveAfterSeconds',
    ]);
    expect(changes.needsRestart).toEqual([{ path: 'listen', from: '127.0.0.1:9187', to: '0.0.0.0:9999' }]);
    expect(describeChanges(changes)).toBe(
      'intervalSeconds 15 -> 5; thresholds.resolveAfterSeconds 60 -> 5; listen 127.0.0.1:9187 -> 0.0.0.0:9999 takes effect on restart',
    );
    const effective = effectiveConfig(running, next);
    expect(effective.listen).toBe('127.0.0.1:9187');
    expect(effective.intervalSeconds).toBe(5);
    expect(effective.thresholds.resolveAfterSeconds).toBe(5);
  });

  it('names targets added, removed and changed, never their DSNs', () => {
    const next: Config = {
      ...running,
      targets: [
        {
          ...(running.targets[0] as Config['targets'][number]),
          dsn: 'postgres://dbdiag:n3w-secret@db1:5432/plant',
        },
        { name: 'mes', dsn: 'mysql://dbdiag:other@db2/mes' },
      ],
    };
    const changes = diffConfig(running, next);
    expect(changes.added).toEqual(['mes']);
    expect(changes.removed).toEqual([]);
    expect([...changes.changed]).toEqual([['db1:5432/plant', ['dsn']]]);
    const line = describeChanges(changes);
    expect(line).toBe('target "mes" added; target "db1:5432/plant" changed (dsn): reconnecting it');
    expect(line).not.toMatch(/secret|other/);
    expect(describeChanges(diffConfig(next, running))).toContain('target "mes" removed');
  });
});
