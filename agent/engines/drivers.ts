import type { EngineDescriptor, EngineDriver } from './engine.js';
import { byEngine, type EngineName } from './names.js';

/** A driver that loads its module (and the client library) on its first connection. */
function loadedOnUse(engine: EngineDescriptor<EngineName>): EngineDriver {
  let loaded: Promise<EngineDriver> | undefined;
  const load = (): Promise<EngineDriver> => {
    loaded ??= engine.loadDriver();
    return loaded;
  };
  return {
    engine: engine.name,
    connect: async (target, limits, log) => (await load()).connect(target, limits, log),
    openActionConnection: async (target, options) => (await load()).openActionConnection(target, options),
  };
}

/** The engines dbdiag speaks, from the one list (list.ts). */
export const drivers: Record<EngineName, EngineDriver> = byEngine(loadedOnUse);
