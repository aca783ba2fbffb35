#!/usr/bin/env node
// Prints what `npm pack` would put in the tarball: its size, unpacked size, file count and the
// largest files, so a change that bloats the package shows. Reads the `files` list of
// package.json; packs the current dist/ (run `npm run build` first), without the prepack build.
import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], {
  cwd: root,
  encoding: 'utf8',
  stdio: ['ignore', 'pipe', 'inherit'],
});
const [pack] = JSON.parse(out);
const kib = (bytes) => `${(bytes / 1024).toFixed(1)} KiB`;
const byTop = new Map();
for (const file of pack.files) {
  const top = file.path
    .split('/')
    .slice(0, file.path.startsWith('dist/') ? 3 : 1)
    .join('/');
  byTop.set(top, (byTop.get(top) ?? 0) + file.size);
}
process.stdout.write(
  `${pack.filename}: ${kib(pack.size)} packed, ${kib(pack.unpackedSize)} unpacked, ${pack.entryCount} files\n`,
);
for (const [top, size] of [...byTop].sort((a, b) => b[1] - a[1])) {
  process.stdout.write(`  ${kib(size).padStart(10)}  ${top}\n`);
}
const largest = [...pack.files].sort((a, b) => b.size - a.size).slice(0, 5);
process.stdout.write('largest files:\n');
for (const file of largest) process.stdout.write(`  ${kib(file.size).padStart(10)}  ${file.path}\n`);
