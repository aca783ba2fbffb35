import type { EngineDialect } from './engine.js';
import { byEngine, type EngineName } from './names.js';

/** The engines' pure sides (remedies, executor), from the one list (list.ts). */
export const dialects: Record<EngineName, EngineDialect> = byEngine((engine) => engine.dialect);

export function dialectOf(engine: EngineName): EngineDialect {
  return dialects[engine];
}
