// The web console: plain DOM, every value from the agent's read-only API written as text
// (textContent), except the runbook, which the agent renders from its own Markdown files.
// The view's state (target, filters, selected finding) lives in the URL hash, so a link or a
// reload shows the same thing.

type Severity = 'info' | 'warning' | 'critical';

interface Target {
  name: string;
  engine: string;
  up: boolean;
  downReason: string | null;
  saturation: number | null;
  cacheHitRatio: number | null;
  activeFindings: Record<Severity, number>;
}

interface Finding {
  id: string;
  kind: string;
  severity: Severity;
  target: string;
  object: string;
  summary: string;
  evidence: Record<string, unknown>;
  fix: { summary: string; statements: string[]; risk: string; rollback: string; actions?: unknown[] } | null;
  related: string[];
  status: 'active' | 'resolved';
  firstSeen: string;
  lastSeen: string;
  resolvedAt: string | null;
  occurrences: number;
}

const FILTERS = ['target', 'kind', 'severity', 'status'] as const;
type FilterName = (typeof FILTERS)[number];
interface ViewState {
  filters: Record<FilterName, string>;
  finding: string;
}

/** what the agent put in the page's head (agent/http/console.ts) */
function meta(name: string): string | null {
  return document.querySelector(`meta[name="${name}"]`)?.getAttribute('content') ?? null;
}

const REFRESH_MS = (Number(meta('dbdiag-refresh-seconds')) || 15) * 1000;

function readState(): ViewState {
  const params = new URLSearchParams(location.hash.replace(/^#/, ''));
  const filters = Object.fromEntries(FILTERS.map((f) => [f, params.get(f) ?? ''])) as Record<
    FilterName,
    string
  >;
  return { filters, finding: params.get('finding') ?? '' };
}

function stateHash(state: ViewState): string {
  const params = new URLSearchParams();
  for (const f of FILTERS) if (state.filters[f]) params.set(f, state.filters[f]);
  if (state.finding) params.set('finding', state.finding);
  return `#${params.toString()}`;
}

function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, string> = {},
  ...children: (Node | string)[]
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, value);
  node.append(...children);
  return node;
}

function $(selector: string): HTMLElement {
  const node = document.querySelector<HTMLElement>(selector);
  if (!node) throw new Error(`the page lacks ${selector}`);
  return node;
}

const percent = (ratio: number | null): string => (ratio === null ? '–' : `${(ratio * 100).toFixed(1)} %`);
const when = (iso: string | null): string => (iso ? new Date(iso).toLocaleString() : '–');

/** Each call to the agent is announced as a `dbdiag:api` DOM event (faro.ts reports them when Faro is on). */
async function api(path: string, init: RequestInit = {}): Promise<Response> {
  const started = performance.now();
  let status = 0;
  try {
    const res = await fetch(path, { ...init, headers: { accept: 'application/json', ...init.headers } });
    status = res.status;
    return res;
  } finally {
    const detail = { path: path.split('?')[0] ?? path, status, durationMs: performance.now() - started };
    window.dispatchEvent(new CustomEvent('dbdiag:api', { detail }));
  }
}

async function getJson<T>(path: string): Promise<T> {
  const res = await api(path);
  if (!res.ok) throw new Error(`${path}: HTTP ${res.status}`);
  return (await res.json()) as T;
}

function announce(text: string): void {
  $('#status').textContent = text;
}

function renderTargets(targets: Target[]): void {
  const rows = targets.map((t) => {
    const counts = (['critical', 'warning', 'info'] as const)
      .filter((s) => t.activeFindings[s] > 0)
      .map((s) => `${t.activeFindings[s]} ${s}`)
      .join(', ');
    const link = el(
      'a',
      { href: stateHash({ ...current, filters: { ...current.filters, target: t.name }, finding: '' }) },
      t.name,
    );
    const up = el(
      'td',
      t.up ? {} : { class: 'down' },
      t.up ? 'up' : `down${t.downReason ? `: ${t.downReason}` : ''}`,
    );
    return el(
      'tr',
      {},
      el('th', { scope: 'row' }, link),
      up,
      el('td', {}, percent(t.saturation)),
      el('td', {}, percent(t.cacheHitRatio)),
      el('td', {}, counts || 'none'),
    );
  });
  $('#targets tbody').replaceChildren(...rows);
}

function fillSelect(name: FilterName, values: string[]): void {
  const select = document.querySelector<HTMLSelectElement>(`#filters select[name="${name}"]`);
  if (!select) return;
  const known = new Set([...select.options].map((o) => o.value));
  for (const v of values) if (!known.has(v)) select.append(el('option', {}, v));
  select.value = current.filters[name];
}

function renderFindings(findings: Finding[]): Finding[] {
  const shown = findings.filter((f) => !current.filters.severity || f.severity === current.filters.severity);
  const rows = shown.map((f) => {
    const link = el('a', { href: stateHash({ ...current, finding: f.id }) }, f.summary);
    if (f.id === current.finding) link.setAttribute('aria-current', 'true');
    return el(
      'tr',
      f.id === current.finding ? { class: 'selected' } : {},
      el('td', {}, link, el('br'), el('small', {}, f.id)),
      el('td', { class: `sev-${f.severity}` }, f.severity),
      el('td', {}, f.target),
      el('td', {}, f.status === 'resolved' ? `resolved ${when(f.resolvedAt)}` : 'active'),
      el('td', {}, when(f.firstSeen)),
      el('td', {}, when(f.lastSeen)),
    );
  });
  if (rows.length === 0)
    rows.push(el('tr', {}, el('td', { colspan: '6' }, 'No finding matches these filters.')));
  $('#findings tbody').replaceChildren(...rows);
  return shown;
}

function evidenceValue(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

function copyButton(text: string, label: string): HTMLButtonElement {
  const button = el('button', { type: 'button', 'aria-label': label }, 'Copy');
  button.addEventListener('click', () => {
    navigator.clipboard.writeText(text).then(
      () => announce('Copied to the clipboard.'),
      () => announce('The browser refused the clipboard: select the text and copy it.'),
    );
  });
  return button;
}

interface ApplyAnswer {
  status?: string;
  reason?: string;
  error?: string;
  statements?: string[];
  auditSeq?: number;
}

/**
 * The Apply button (only when the agent's apply.enabled is on): the apply token and, for a target
 * that is not a sandbox, the operator's confirmation go to POST /api/findings/<id>/apply, which
 * runs the same policy as `dbdiag apply`. The token is kept in this form only (never stored).
 */
function applyForm(finding: Finding): HTMLFormElement {
  const result = el('p', { class: 'apply-result', role: 'status', 'aria-live': 'polite' });
  const button = el('button', { type: 'submit' }, 'Apply this fix');
  const form = el(
    'form',
    { class: 'apply', 'aria-labelledby': 'apply-heading' },
    el('h4', { id: 'apply-heading' }, 'Apply'),
    el(
      'p',
      {},
      'Runs the statements above on their own connection (online form, lock timeout), measures the statements before and after, and writes an audit record.',
    ),
    el(
      'label',
      {},
      'Apply token ',
      el('input', { type: 'password', name: 'token', autocomplete: 'off', spellcheck: 'false' }),
    ),
    el(
      'label',
      { class: 'confirm' },
      el('input', { type: 'checkbox', name: 'confirmed' }),
      ` I confirm running this fix on ${finding.target} now`,
    ),
    button,
    result,
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const data = new FormData(form);
    const token = String(data.get('token') ?? '').trim();
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (token) headers.authorization = `Bearer ${token}`;
    button.disabled = true;
    result.textContent = 'Applying: the fix runs, then its statements are measured. This takes a while…';
    api(`/api/findings/${encodeURIComponent(finding.id)}/apply`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ confirmed: data.get('confirmed') === 'on' }),
    })
      .then(async (res) => {
        const answer = (await res.json()) as ApplyAnswer;
        const text = answer.error
          ? `Refused (HTTP ${res.status}): ${answer.error}`
          : `${answer.status === 'refused' ? 'Refused' : `Result: ${answer.status}`}: ${answer.reason} (audit record #${answer.auditSeq})`;
        result.textContent = text;
        result.dataset.status = answer.status ?? 'refused';
        announce(text);
      })
      .catch((error: Error) => {
        result.textContent = `The agent did not answer: ${error.message}`;
      })
      .finally(() => {
        button.disabled = false;
      });
  });
  return form;
}

/** causes (what this finding's `related` names) → the finding → what names it as its cause */
function chain(finding: Finding, all: Finding[]): HTMLElement {
  const byId = new Map(all.map((f) => [f.id, f]));
  const item = (id: string, isCurrent: boolean) => {
    const f = byId.get(id);
    const label = f ? `${f.kind} (${f.object})` : id;
    return el(
      'li',
      isCurrent ? { class: 'current', 'aria-current': 'true' } : {},
      isCurrent ? label : el('a', { href: stateHash({ ...current, finding: id }) }, label),
    );
  };
  const effects = all.filter((f) => f.related.includes(finding.id)).map((f) => f.id);
  const list = el(
    'ol',
    { class: 'chain', 'aria-label': 'cause to effect' },
    ...finding.related.map((id) => item(id, false)),
    item(finding.id, true),
    ...effects.map((id) => item(id, false)),
  );
  return list;
}

let runbookRequest = 0;
async function renderDetail(finding: Finding | undefined, all: Finding[]): Promise<void> {
  const section = $('#detail');
  if (!finding) {
    section.hidden = true;
    section.replaceChildren();
    return;
  }
  section.hidden = false;
  const evidence = el('dl', { class: 'evidence' });
  for (const [key, value] of Object.entries(finding.evidence))
    evidence.append(el('dt', {}, key), el('dd', {}, evidenceValue(value)));
  const fix = el('div', { class: 'fix' }, el('h3', {}, 'Fix'));
  if (finding.fix) {
    fix.append(el('p', {}, finding.fix.summary));
    finding.fix.statements.forEach((statement, i) => {
      fix.append(
        el('pre', {}, el('code', { class: 'statement' }, statement)),
        copyButton(statement, `Copy statement ${i + 1}`),
      );
    });
    fix.append(
      el('p', {}, el('strong', {}, 'Risk: '), finding.fix.risk),
      el('p', {}, el('strong', {}, 'Rollback: '), finding.fix.rollback),
    );
    if (
      meta('dbdiag-apply') === 'on' &&
      finding.status === 'active' &&
      (finding.fix.actions?.length ?? 0) > 0
    )
      fix.append(applyForm(finding));
  } else {
    fix.append(el('p', {}, 'No fix to apply: see the runbook.'));
  }
  const runbook = el(
    'aside',
    { class: 'runbook', 'aria-labelledby': 'runbook-heading' },
    el('h3', { id: 'runbook-heading' }, `Runbook: ${finding.kind}`),
    el('p', {}, 'Loading the runbook…'),
  );
  const close = el('a', { href: stateHash({ ...current, finding: '' }) }, 'Back to the list');
  section.replaceChildren(
    el('h2', { id: 'detail-heading', tabindex: '-1' }, finding.summary),
    el(
      'p',
      {},
      el('span', { class: `sev-${finding.severity}` }, finding.severity),
      ` · ${finding.target} · ${finding.status} · first seen ${when(finding.firstSeen)} · last seen ${when(finding.lastSeen)} · seen ${finding.occurrences} times · `,
      close,
    ),
    el(
      'div',
      { class: 'detail-grid' },
      el(
        'div',
        {},
        el('h3', {}, 'Related findings'),
        chain(finding, all),
        el('h3', {}, 'Evidence'),
        evidence,
        fix,
      ),
      runbook,
    ),
  );
  const request = ++runbookRequest;
  try {
    const { html } = await getJson<{ html: string }>(`/api/runbooks/${encodeURIComponent(finding.kind)}`);
    if (request !== runbookRequest) return;
    const body = el('div');
    body.innerHTML = html; // rendered by the agent from the package's own runbooks/<kind>.md
    runbook.replaceChildren(runbook.firstChild as Node, body);
  } catch (error) {
    runbook.replaceChildren(
      runbook.firstChild as Node,
      el('p', {}, `The runbook could not be loaded: ${(error as Error).message}`),
    );
  }
}

let current = readState();
let lastFinding = '';

async function refresh(reason: 'load' | 'navigate' | 'timer'): Promise<void> {
  current = readState();
  const query = new URLSearchParams();
  for (const f of ['target', 'kind', 'status'] as const)
    if (current.filters[f]) query.set(f, current.filters[f]);
  try {
    const [{ targets }, { findings }, everything] = await Promise.all([
      getJson<{ targets: Target[] }>('/api/targets'),
      getJson<{ findings: Finding[] }>(`/api/findings?${query}`),
      getJson<{ findings: Finding[] }>('/api/findings'),
    ]);
    renderTargets(targets);
    fillSelect(
      'target',
      targets.map((t) => t.name),
    );
    fillSelect('kind', [...new Set(everything.findings.map((f) => f.kind))].sort());
    for (const f of ['severity', 'status'] as const) fillSelect(f, []);
    const shown = renderFindings(findings);
    const selected = everything.findings.find((f) => f.id === current.finding);
    if (reason !== 'timer' || current.finding !== lastFinding)
      await renderDetail(selected, everything.findings);
    if (reason === 'navigate' && selected && current.finding !== lastFinding)
      document.getElementById('detail-heading')?.focus();
    lastFinding = current.finding;
    const at = new Date().toLocaleTimeString();
    announce(
      `${shown.length} finding${shown.length === 1 ? '' : 's'} shown, ${targets.length} target${targets.length === 1 ? '' : 's'}; updated ${at}.`,
    );
  } catch (error) {
    announce(`Could not reach the agent: ${(error as Error).message}`);
  }
}

function start(): void {
  $('#filters').addEventListener('change', (event) => {
    const select = event.target as HTMLSelectElement;
    const name = select.name as FilterName;
    location.hash = stateHash({
      filters: { ...current.filters, [name]: select.value },
      finding: current.finding,
    });
  });
  window.addEventListener('hashchange', () => void refresh('navigate'));
  void refresh('load');
  setInterval(() => void refresh('timer'), REFRESH_MS);
}

if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
else start();
