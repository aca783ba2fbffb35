// The engines dbdiag speaks and the DSN schemes that name each: the one list of engine names.
// EngineName (and so every `Record<EngineName, ...>` registry: drivers.ts, dialects.ts, the
// sandbox servers) and the config's `engine` values come from here; a new engine adds its line.

export const ENGINE_DSN_SCHEMES = {
  postgres: ['postgres', 'postgresql'],
  mysql: ['mysql', 'mariadb'],
} as const satisfies Record<string, readonly string[]>;

export type EngineName = keyof typeof ENGINE_DSN_SCHEMES;

export const ENGINE_NAMES = Object.keys(ENGINE_DSN_SCHEMES) as [EngineName, ...EngineName[]];

/** The engine a DSN scheme names (case-insensitive), null when none does. */
export function engineForScheme(scheme: string): EngineName | null {
  const lower = scheme.toLowerCase();
  for (const engine of ENGINE_NAMES)
    if ((ENGINE_DSN_SCHEMES[engine] as readonly string[]).includes(lower)) return engine;
  return null;
}
