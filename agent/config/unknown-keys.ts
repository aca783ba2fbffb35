import type { z } from 'zod';
import { didYouMean } from './suggest.js';

// Strictness for every mapping in a config, whoever adds it to the schema: a key the schema
// does not know is an error naming the nearest known key, so `target:` or `intervalSecond:` never
// leave an agent silently monitoring nothing or sampling at the default rate. Walking the schema
// (instead of relying on z.strictObject everywhere) keeps a newly added z.object() strict too.

export interface UnknownKey {
  /** dotted path of the unknown key, e.g. "thresholds.saturationWarningRatoi" */
  path: string;
  message: string;
}

interface Def {
  type: string;
  shape?: Record<string, z.ZodType>;
  catchall?: z.ZodType;
  element?: z.ZodType;
  innerType?: z.ZodType;
  in?: z.ZodType;
  out?: z.ZodType;
  options?: readonly z.ZodType[];
  left?: z.ZodType;
  right?: z.ZodType;
}

function defOf(schema: z.ZodType): Def {
  return (schema as unknown as { _zod: { def: Def } })._zod.def;
}

/** The object schemas `schema` may stand for, through optional/default/pipe/union wrappers. */
function objectsOf(schema: z.ZodType): Def[] {
  const def = defOf(schema);
  switch (def.type) {
    case 'object':
      return [def];
    case 'optional':
    case 'nullable':
    case 'default':
    case 'prefault':
    case 'catch':
    case 'readonly':
    case 'nonoptional':
      return def.innerType ? objectsOf(def.innerType) : [];
    case 'pipe':
      return def.in ? objectsOf(def.in) : [];
    case 'union':
      return (def.options ?? []).flatMap(objectsOf);
    case 'intersection':
      return [...(def.left ? objectsOf(def.left) : []), ...(def.right ? objectsOf(def.right) : [])];
    default:
      return [];
  }
}

function elementOf(schema: z.ZodType): z.ZodType | null {
  const def = defOf(schema);
  if (def.type === 'array') return def.element ?? null;
  if (def.innerType) return elementOf(def.innerType);
  if (def.type === 'pipe' && def.in) return elementOf(def.in);
  return null;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** Every key of `value` that `schema` does not declare, depth first, with a suggestion. */
export function unknownKeys(
  schema: z.ZodType,
  value: unknown,
  path: readonly (string | number)[] = [],
): UnknownKey[] {
  const found: UnknownKey[] = [];
  if (Array.isArray(value)) {
    const element = elementOf(schema);
    if (element === null) return found;
    value.forEach((item, i) => {
      found.push(...unknownKeys(element, item, [...path, i]));
    });
    return found;
  }
  if (!isPlainObject(value)) return found;
  const objects = objectsOf(schema);
  if (objects.length === 0 || objects.some((o) => o.catchall !== undefined)) return found;
  const known = new Map<string, z.ZodType[]>();
  for (const o of objects) {
    for (const [key, child] of Object.entries(o.shape ?? {}))
      known.set(key, [...(known.get(key) ?? []), child]);
  }
  for (const [key, child] of Object.entries(value)) {
    const schemas = known.get(key);
    if (schemas === undefined) {
      const where = [...path, key].join('.');
      found.push({ path: where, message: `${where}: unknown key${didYouMean(key, known.keys())}` });
      continue;
    }
    found.push(...unknownKeys(schemas[0]!, child, [...path, key]));
  }
  return found;
}
