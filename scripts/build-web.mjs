// Bundles the web console (agent/web/) into dist/web/: one minified script, its stylesheet and
// page, served by the agent at / with nothing fetched from elsewhere (works offline). Grafana
// Faro is a bundle of its own (faro.js), loaded only when console.faro.url is configured, so the
// console itself stays small.
import { copyFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'dist', 'web');
mkdirSync(out, { recursive: true });
for (const [entry, file] of [
  ['main.ts', 'console.js'],
  ['faro.ts', 'faro.js'],
]) {
  await build({
    entryPoints: [join(root, 'agent', 'web', entry)],
    outfile: join(out, file),
    bundle: true,
    minify: true,
    format: 'iife',
    target: 'es2020',
    platform: 'browser',
    legalComments: 'none',
    logLevel: 'warning',
  });
}
for (const file of ['index.html', 'console.css'])
  copyFileSync(join(root, 'agent', 'web', file), join(out, file));
