import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv, type ValidateFunction } from 'ajv';
import { packageRoot } from '../package-root.js';

// The published JSON Schema of a report (schemas/report.schema.json), checked with ajv: a
// report file given to --compare-to is read only when it is one.

export const REPORT_SCHEMA_PATH = join(packageRoot(), 'schemas', 'report.schema.json');

let validate: ValidateFunction | null = null;

/** null when the document is a valid report, else the first problem in one line */
export function validateReport(document: unknown): string | null {
  validate ??= new Ajv({ allErrors: false, strict: true }).compile(
    JSON.parse(readFileSync(REPORT_SCHEMA_PATH, 'utf8')) as object,
  );
  if (validate(document)) return null;
  const e = validate.errors?.[0];
  return e ? `${e.instancePath || '/'} ${e.message ?? 'is invalid'}` : 'invalid';
}
