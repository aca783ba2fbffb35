import { readFile } from 'node:fs/promises';
import type { ServerResponse } from 'node:http';
import { join } from 'node:path';
import { packageRoot } from '../package-root.js';

// The console's files (built by `npm run build` — scripts/build-web.mjs — into dist/web/) and
// what the page learns from the agent's config: the agent's version, the Faro collector when
// console.faro.url is set (then faro.js is added to the page and the collector's origin to the
// content security policy), and whether the Apply button is offered.

export interface ConsoleSettings {
  /** the agent's version (package.json), reported to Faro as the app's version */
  version: string;
  /** console.faro.url; null: Faro off, faro.js never loaded, nothing sent anywhere */
  faroUrl: string | null;
  /** apply.enabled: the finding page offers an Apply button (the route still needs the token) */
  applyEnabled: boolean;
  /** console.refreshSeconds */
  refreshSeconds: number;
}

export const CONSOLE_OFF_SETTINGS: ConsoleSettings = {
  version: 'unknown',
  faroUrl: null,
  applyEnabled: false,
  refreshSeconds: 15,
};

export const CONSOLE_FILES: Readonly<Record<string, { file: string; type: string }>> = {
  '/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/console.js': { file: 'console.js', type: 'text/javascript; charset=utf-8' },
  '/console.css': { file: 'console.css', type: 'text/css; charset=utf-8' },
  '/faro.js': { file: 'faro.js', type: 'text/javascript; charset=utf-8' },
};

/** where index.html takes the agent's settings */
const HEAD_MARK = '<!--dbdiag:head-->';

const attr = (value: string): string =>
  value.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** The meta tags (and Faro's script, before the console's) index.html gets from the config. */
export function consoleHead(settings: ConsoleSettings): string {
  const tags = [
    `<meta name="dbdiag-version" content="${attr(settings.version)}">`,
    `<meta name="dbdiag-refresh-seconds" content="${settings.refreshSeconds}">`,
  ];
  if (settings.applyEnabled) tags.push('<meta name="dbdiag-apply" content="on">');
  if (settings.faroUrl !== null)
    tags.push(
      `<meta name="dbdiag-faro-url" content="${attr(settings.faroUrl)}">`,
      '<script src="/faro.js" defer></script>',
    );
  return tags.join('\n');
}

/** Everything the console loads comes from this agent; it talks to the Faro collector only when one is configured. */
export function consoleCsp(settings: ConsoleSettings): string {
  const connect = settings.faroUrl === null ? "'self'" : `'self' ${new URL(settings.faroUrl).origin}`;
  return `default-src 'none'; script-src 'self'; style-src 'self'; connect-src ${connect}; img-src 'self' data:`;
}

export async function serveConsole(
  res: ServerResponse,
  path: string,
  settings: ConsoleSettings,
): Promise<void> {
  const entry = CONSOLE_FILES[path]!;
  if (entry.file === 'faro.js' && settings.faroUrl === null) {
    res.writeHead(404, { 'content-type': 'text/plain', 'cache-control': 'no-store' });
    res.end('Faro is off: set console.faro.url in the config\n');
    return;
  }
  let body: Buffer | string;
  try {
    body = await readFile(join(packageRoot(), 'dist', 'web', entry.file));
  } catch {
    res.writeHead(503, { 'content-type': 'text/plain', 'cache-control': 'no-store' });
    res.end('the console is not built: run `npm run build` (or npm run build:web)\n');
    return;
  }
  if (entry.file === 'index.html') body = body.toString('utf8').replace(HEAD_MARK, consoleHead(settings));
  res.writeHead(200, {
    'content-type': entry.type,
    'cache-control': 'no-cache',
    'content-security-policy': consoleCsp(settings),
    'x-content-type-options': 'nosniff',
  });
  res.end(body);
}
