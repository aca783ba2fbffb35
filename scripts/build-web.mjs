// Bundles the web console (agent/web/) into dist/web/: one minified script, its stylesheet and
// page, served by the agent at / with nothing fetched from elsewhere (works offline).
import { copyFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'dist', 'web');
mkdirSync(out, { recursive: true });
await build({
  entryPoints: [join(root, 'agent', 'web', 'main.ts')],
  outfile: join(out, 'console.js'),
  bundle: true,
  minify: true,
  format: 'iife',
  target: 'es2020',
  platform: 'browser',
  legalComments: 'none',
  logLevel: 'warning',
});
for (const file of ['index.html', 'console.css'])
  copyFileSync(join(root, 'agent', 'web', file), join(out, file));
