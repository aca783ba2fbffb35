import { ENGINES } from './list.js';

// The engines' names and the DSN schemes that name each, from the one list (list.ts).
// EngineName (and so every `Record<EngineName, ...>` registry) and the config's `engine` values
// come from here.

export type EngineName = (typeof ENGINES)[number]['name'];

export const ENGINE_NAMES = ENGINES.map((engine) => engine.name) as [EngineName, ...EngineName[]];

/** The engine a DSN scheme names (case-insensitive), null when none does. */
export function engineForScheme(scheme: string): EngineName | null {
  const lower = scheme.toLowerCase();
  return ENGINES.find((engine) => engine.dsnSchemes.includes(lower))?.name ?? null;
}

/** One value per engine, built from its descriptor: a registry the compiler sees as complete. */
export function byEngine<T>(pick: (engine: (typeof ENGINES)[number]) => T): Record<EngineName, T> {
  return Object.fromEntries(ENGINES.map((engine) => [engine.name, pick(engine)])) as Record<EngineName, T>;
}
