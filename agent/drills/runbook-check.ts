import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { byEngine, type EngineName } from '../engines/names.js';
import { RUNBOOKS_DIR } from '../package-root.js';
import type { RunbookCheck } from './scorecard.js';

// The runbook check of a drill: the finding's runbook URL answers, and the Diagnosis queries
// the runbook gives for the engine run on the faulty server while the fault is on. The
// Diagnosis section gives one ```sql block per engine, after a line naming the engine.

/** How a runbook's Diagnosis section names each engine before its SQL block (each engine's descriptor says). */
const RUNBOOK_ENGINE_HEADINGS: Record<EngineName, RegExp> = byEngine((engine) => engine.runbookHeading);

function section(text: string, name: string): string {
  const start = text.indexOf(`\n## ${name}\n`);
  if (start < 0) return '';
  const rest = text.slice(start + name.length + 5);
  const next = rest.search(/\n## /);
  return next < 0 ? rest : rest.slice(0, next);
}

/**
 * The engine's Diagnosis statements from a runbook's text: the ```sql blocks whose nearest
 * preceding prose line names the engine, split into statements. Statements with a placeholder
 * to fill in (`<table>`, `$target`) are left out: a person picks the value.
 */
export function diagnosisStatements(runbook: string, engine: EngineName): string[] {
  const diagnosis = section(runbook, 'Diagnosis');
  const statements: string[] = [];
  const block = /```sql\n([\s\S]*?)```/g;
  for (let m = block.exec(diagnosis); m !== null; m = block.exec(diagnosis)) {
    const prose = diagnosis
      .slice(0, m.index)
      .split('\n')
      .filter((line) => line.trim() !== '' && !line.startsWith('```'));
    const heading = prose.at(-1) ?? '';
    if (!RUNBOOK_ENGINE_HEADINGS[engine].test(heading)) continue;
    for (const statement of (m[1] ?? '').split(/;\s*(?:\n|$)|;\s+(?=[A-Z])/)) {
      const sql = statement.trim();
      if (sql === '' || /<[a-z_ ]+>|\$[a-z]+/i.test(sql)) continue;
      statements.push(sql);
    }
  }
  return statements;
}

/** The runbook's file, from the finding's runbook URL (…/runbooks/<kind>.md[#anchor]). */
export function runbookFile(url: string): string | null {
  const name = /\/runbooks\/([a-z0-9-]+\.md)(?:#.*)?$/.exec(url)?.[1];
  return name === undefined ? null : join(RUNBOOKS_DIR, name);
}

async function urlResolves(url: string): Promise<boolean> {
  if (/^https?:\/\//.test(url)) {
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(5000) });
      await response.arrayBuffer();
      return response.ok;
    } catch {
      return false;
    }
  }
  const file = runbookFile(url);
  return file !== null && existsSync(file);
}

/** Checks the runbook of a finding: URL, then each Diagnosis statement on `query`. */
export async function checkRunbook(
  url: string | null,
  engine: EngineName,
  query: (sql: string) => Promise<unknown>,
): Promise<RunbookCheck> {
  if (url === null) return { url, resolved: false, diagnosisRan: false, statements: 0, failed: [] };
  const resolved = await urlResolves(url);
  const file = runbookFile(url);
  const text = file !== null && existsSync(file) ? readFileSync(file, 'utf8') : '';
  const statements = diagnosisStatements(text, engine);
  const failed: string[] = [];
  for (const sql of statements) {
    try {
      await query(sql);
    } catch (error) {
      failed.push(`${sql.slice(0, 80)}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  return {
    url,
    resolved,
    diagnosisRan: statements.length > 0 && failed.length === 0,
    statements: statements.length,
    failed,
  };
}
