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

const FILTERS = ['target', 'kind', 'severity', 'status', 'hours', 'action'] as const;
const PAGES = ['overview', 'statements', 'reports', 'drills', 'audit'] as const;
type PageName = (typeof PAGES)[number];
type FilterName = (typeof FILTERS)[number];
interface ViewState {
  page: PageName;
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
  const page = (PAGES as readonly string[]).includes(params.get('page') ?? '')
    ? (params.get('page') as PageName)
    : 'overview';
  return { page, filters, finding: params.get('finding') ?? '' };
}

function stateHash(state: ViewState): string {
  const params = new URLSearchParams();
  if (state.page !== 'overview') params.set('page', state.page);
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
  const history = el('div', { class: 'history' }, el('p', {}, 'Loading the history…'));
  void renderHistory(finding, history);
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
        el('h3', {}, 'History'),
        history,
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

// ---- the other pages: statements, reports, drills, audit (each from the state store) ----

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;
const ms = (seconds: number | null): string => (seconds === null ? '–' : `${(seconds * 1000).toFixed(2)} ms`);

function showPage(page: PageName): void {
  for (const name of PAGES)
    for (const node of document.querySelectorAll<HTMLElement>(`[data-page="${name}"]`))
      node.hidden = name !== page;
  for (const link of document.querySelectorAll<HTMLAnchorElement>('nav.pages a')) {
    const isCurrent = link.dataset.target === page;
    if (isCurrent) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
    link.href = stateHash({ ...current, page: (link.dataset.target as PageName) ?? 'overview', finding: '' });
  }
}

function fillOptions(selector: string, values: string[], value: string): void {
  const select = document.querySelector<HTMLSelectElement>(selector);
  if (!select) return;
  const known = new Set([...select.options].map((o) => o.value));
  for (const v of values) if (!known.has(v)) select.append(el('option', {}, v));
  select.value = value;
}

function emptyRow(columns: number, text: string): HTMLTableRowElement {
  return el('tr', {}, el('td', { colspan: String(columns) }, text));
}

/** a small line of the hourly mean times; its numbers are in the row's text for screen readers */
function sparkline(values: number[]): SVGSVGElement {
  const ns = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(ns, 'svg');
  svg.setAttribute('viewBox', '0 0 100 20');
  svg.setAttribute('class', 'spark');
  svg.setAttribute('aria-hidden', 'true');
  const max = Math.max(...values, 1e-9);
  const step = values.length > 1 ? 100 / (values.length - 1) : 0;
  const points = values.map((v, i) => `${(i * step).toFixed(1)},${(19 - (v / max) * 18).toFixed(1)}`);
  if (points.length === 1) points.push(`100,${points[0]!.split(',')[1]}`);
  const line = document.createElementNS(ns, 'polyline');
  line.setAttribute('points', points.join(' '));
  svg.append(line);
  return svg;
}

interface StatementRow {
  target: string;
  queryId: string;
  fingerprint: string | null;
  calls: number;
  totalSeconds: number;
  meanSeconds: number | null;
  history: { hour: string; calls: number; meanSeconds: number | null }[];
}

async function renderStatements(): Promise<string> {
  const query = new URLSearchParams();
  if (current.filters.target) query.set('target', current.filters.target);
  query.set('hours', current.filters.hours || '24');
  const [{ targets }, doc] = await Promise.all([
    getJson<{ targets: Target[] }>('/api/targets'),
    getJson<{ statements: StatementRow[] }>(`/api/statements?${query}`),
  ]);
  fillOptions(
    '#statement-filters select[name="target"]',
    targets.map((t) => t.name),
    current.filters.target,
  );
  fillOptions('#statement-filters select[name="hours"]', [], current.filters.hours || '24');
  const rows = doc.statements.map((s) => {
    const means = s.history.map((h) => h.meanSeconds ?? 0);
    return el(
      'tr',
      {},
      el(
        'td',
        {},
        el('code', {}, s.fingerprint ?? s.queryId),
        el('br'),
        el('small', {}, `${s.target} · ${s.queryId}`),
      ),
      el('td', {}, `${s.totalSeconds.toFixed(2)} s`),
      el('td', {}, String(s.calls)),
      el('td', {}, ms(s.meanSeconds)),
      el(
        'td',
        {},
        sparkline(means),
        el(
          'span',
          { class: 'sr-only' },
          `hourly mean: ${s.history.map((h) => ms(h.meanSeconds)).join(', ')}`,
        ),
        el('small', {}, plural(s.history.length, 'hour')),
      ),
    );
  });
  if (rows.length === 0) rows.push(emptyRow(5, 'No statement recorded in these hours.'));
  $('#statements tbody').replaceChildren(...rows);
  return `${plural(doc.statements.length, 'statement')} shown`;
}

interface ReportRow {
  id: string;
  kind: string;
  generatedAt: string;
  period: { from: string; to: string };
  status: string;
  reason: string;
  links: { html: string; md: string; json: string };
}

async function renderReports(): Promise<string> {
  const { reports } = await getJson<{ reports: ReportRow[] }>('/api/reports');
  const rows = reports.map((r) =>
    el(
      'tr',
      {},
      el('td', {}, el('a', { href: r.links.html }, r.id)),
      el('td', {}, r.kind),
      el('td', {}, `${when(r.period.from)} – ${when(r.period.to)}`),
      el('td', {}, `${r.status}: ${r.reason}`),
      el(
        'td',
        {},
        el('a', { href: r.links.md, 'aria-label': `${r.id} as Markdown` }, 'md'),
        ' · ',
        el('a', { href: r.links.json, 'aria-label': `${r.id} as JSON` }, 'json'),
      ),
    ),
  );
  if (rows.length === 0) rows.push(emptyRow(5, 'No report stored yet (reports.enabled, or dbdiag report).'));
  $('#reports tbody').replaceChildren(...rows);
  return `${plural(reports.length, 'report')} shown`;
}

interface DrillRow {
  id: string;
  scenario: string;
  engine: string;
  result: string;
  failures?: string[];
  finishedAt: string;
  times?: Record<string, number | null>;
}

async function renderDrills(): Promise<string> {
  const { drills } = await getJson<{ drills: DrillRow[] }>('/api/drills');
  const seconds = (v: number | null | undefined) =>
    v === null || v === undefined ? '–' : `${v.toFixed(1)} s`;
  const rows = drills.map((d) =>
    el(
      'tr',
      {},
      el('td', {}, d.scenario, el('br'), el('small', {}, d.id)),
      el('td', {}, d.engine),
      el(
        'td',
        { class: d.result === 'pass' ? '' : 'down' },
        d.result,
        ...(d.failures?.length ? [el('br'), el('small', {}, d.failures.join('; '))] : []),
      ),
      el('td', {}, seconds(d.times?.detectSeconds)),
      el('td', {}, seconds(d.times?.recoverSeconds)),
      el('td', {}, when(d.finishedAt)),
    ),
  );
  if (rows.length === 0) rows.push(emptyRow(6, 'No drill run stored yet (dbdiag drill run).'));
  $('#drills tbody').replaceChildren(...rows);
  return `${plural(drills.length, 'drill run')} shown`;
}

interface AuditRow {
  seq: number;
  action: string;
  who: string;
  target: string | null;
  finding: string | null;
  result: string;
  detail: string | null;
  statements: string[];
  finishedAt: number;
}

async function renderAudit(): Promise<string> {
  const query = new URLSearchParams();
  if (current.filters.action) query.set('action', current.filters.action);
  if (current.filters.target) query.set('target', current.filters.target);
  const [{ targets }, doc] = await Promise.all([
    getJson<{ targets: Target[] }>('/api/targets'),
    getJson<{ chain: { ok: boolean; records: number; problems: number }; records: AuditRow[] }>(
      `/api/audit?${query}`,
    ),
  ]);
  fillOptions(
    '#audit-filters select[name="target"]',
    targets.map((t) => t.name),
    current.filters.target,
  );
  fillOptions('#audit-filters select[name="action"]', [], current.filters.action);
  const chain = $('#audit-chain');
  chain.textContent = doc.chain.ok
    ? `Hash chain intact over ${plural(doc.chain.records, 'record')}.`
    : `Hash chain BROKEN: ${plural(doc.chain.problems, 'problem')} (dbdiag audit verify names them).`;
  chain.className = doc.chain.ok ? '' : 'down';
  const rows = doc.records.map((r) =>
    el(
      'tr',
      {},
      el('td', {}, String(r.seq)),
      el('td', {}, when(new Date(r.finishedAt).toISOString())),
      el('td', {}, r.action),
      el('td', {}, r.who),
      el('td', {}, r.target ?? '–', ...(r.finding ? [el('br'), el('small', {}, r.finding)] : [])),
      el(
        'td',
        {},
        r.result,
        ...(r.detail ? [el('br'), el('small', {}, r.detail)] : []),
        ...r.statements.map((st) => el('pre', {}, el('code', {}, st))),
      ),
    ),
  );
  if (rows.length === 0) rows.push(emptyRow(6, 'No audit record matches these filters.'));
  $('#audit tbody').replaceChildren(...rows);
  return `${plural(doc.records.length, 'audit record')} shown`;
}

const PAGE_RENDERERS: Record<Exclude<PageName, 'overview'>, () => Promise<string>> = {
  statements: renderStatements,
  reports: renderReports,
  drills: renderDrills,
  audit: renderAudit,
};

interface FindingEventRow {
  type: string;
  at: string;
  severity: string;
  summary: string;
}

/** the finding's lifecycle (raised, escalated, resolved...) from the store */
async function renderHistory(finding: Finding, into: HTMLElement): Promise<void> {
  try {
    const { events } = await getJson<{ events: FindingEventRow[] }>(
      `/api/findings/${encodeURIComponent(finding.id)}/events`,
    );
    const items = events.map((e) => el('li', {}, `${when(e.at)}: ${e.type} (${e.severity})`));
    into.replaceChildren(
      items.length ? el('ol', { class: 'history' }, ...items) : el('p', {}, 'No event stored.'),
    );
  } catch (error) {
    into.replaceChildren(el('p', {}, `History unavailable: ${(error as Error).message}`));
  }
}

let current = readState();
let lastFinding = '';

async function refresh(reason: 'load' | 'navigate' | 'timer'): Promise<void> {
  current = readState();
  showPage(current.page);
  if (current.page !== 'overview') {
    try {
      const count = await PAGE_RENDERERS[current.page]();
      announce(`${count}; updated ${new Date().toLocaleTimeString()}.`);
    } catch (error) {
      announce(`Could not reach the agent: ${(error as Error).message}`);
    }
    return;
  }
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
  for (const form of document.querySelectorAll<HTMLFormElement>('form.filters'))
    form.addEventListener('change', (event) => {
      const select = event.target as HTMLSelectElement;
      const name = select.name as FilterName;
      location.hash = stateHash({ ...current, filters: { ...current.filters, [name]: select.value } });
    });
  // the skip link moves the focus without touching the URL (the hash holds the view's state)
  document.querySelector('a.skip')?.addEventListener('click', (event) => {
    event.preventDefault();
    $('#findings-heading').focus();
  });
  window.addEventListener('hashchange', () => void refresh('navigate'));
  void refresh('load');
  setInterval(() => void refresh('timer'), REFRESH_MS);
}

if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
else start();
