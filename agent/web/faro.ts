// Grafana Faro for the console, loaded only when the agent's config sets console.faro.url (the
// agent then adds this script and the collector's meta tag to the page, and the collector's
// origin to the content security policy). Sends the console's errors, web vitals, sessions,
// navigation and resource timings, and one `api_call` event per request the console makes to the
// agent (main.ts announces each one as a `dbdiag:api` DOM event).

import { faro, getWebInstrumentations, initializeFaro } from '@grafana/faro-web-sdk';

export interface ApiCallDetail {
  path: string;
  status: number;
  durationMs: number;
}

function meta(name: string): string | null {
  return document.querySelector(`meta[name="${name}"]`)?.getAttribute('content') ?? null;
}

const url = meta('dbdiag-faro-url');
if (url) {
  initializeFaro({
    url,
    app: { name: 'dbdiag-console', version: meta('dbdiag-version') ?? 'unknown' },
    instrumentations: getWebInstrumentations({ captureConsole: true }),
    sessionTracking: { enabled: true },
  });
  window.addEventListener('dbdiag:api', (event) => {
    const { path, status, durationMs } = (event as CustomEvent<ApiCallDetail>).detail;
    faro.api.pushEvent('api_call', {
      path,
      status: String(status),
      durationMs: durationMs.toFixed(1),
    });
  });
}
