#!/usr/bin/env -S npx tsx
// Writes packaging/config.example.yml from the config schema (agent/config/example.ts).
// Run with `npm run config:example` after changing agent/config/; `--check` exits 1 when the
// file is out of date (the config-example test does the same).
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderConfigExample } from '../agent/config/example.ts';

const file = join(dirname(fileURLToPath(import.meta.url)), '..', 'packaging', 'config.example.yml');
const { text } = renderConfigExample();
if (process.argv.includes('--check')) {
  let current = '';
  try {
    current = readFileSync(file, 'utf8');
  } catch {}
  if (current !== text) {
    process.stderr.write(`${file} is out of date: run npm run config:example\n`);
    process.exit(1);
  }
  process.stdout.write(`${file} is up to date\n`);
} else {
  writeFileSync(file, text);
  process.stdout.write(`wrote ${file}\n`);
}
