import { readFileSync } from 'node:fs';
import type { ReportsConfig } from '../config/reports.js';
import type { Report } from './model.js';
import { renderHtml } from './render-html.js';
import { renderJson } from './render-md.js';

// Delivery of a report beyond the store and the directory: a Slack-compatible webhook (the
// verdict, the top findings, a link to the full report) and e-mail over SMTP (the HTML inline,
// the JSON attached). Secrets — the webhook URL, the SMTP user and password — come from the
// environment or files only, and never appear in what is sent or logged.

const TOP_FINDINGS = 5;

function secret(
  what: string,
  env: string | undefined,
  file: string | undefined,
  vars: NodeJS.ProcessEnv,
): string | undefined {
  if (env !== undefined) {
    const value = vars[env];
    if (!value) throw new Error(`${what}: environment variable ${env} is not set`);
    return value.trim();
  }
  if (file !== undefined) {
    try {
      return readFileSync(file, 'utf8').trim();
    } catch (error) {
      throw new Error(`${what}: cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
    }
  }
  return undefined;
}

export function reportLink(publicUrl: string, report: Report): string {
  return `${publicUrl.replace(/\/$/, '')}/reports/${encodeURIComponent(report.id)}.html`;
}

/** The webhook message: Slack's `text` (mrkdwn), which Mattermost, Rocket.Chat and Teams' Slack mode read too. */
export function webhookMessage(report: Report, link: string): { text: string } {
  const f = report.fleet;
  const open = report.targets
    .flatMap((t) =>
      [...t.findings.regressed, ...t.findings.new, ...t.findings.persisting].map((x) => ({ t: t.target, x })),
    )
    .sort(
      (a, b) =>
        ['info', 'warning', 'critical'].indexOf(b.x.severity) -
        ['info', 'warning', 'critical'].indexOf(a.x.severity),
    )
    .slice(0, TOP_FINDINGS);
  const lines = [
    `*dbdiag ${report.kind} report: ${f.status.toUpperCase()}* — ${f.reason}`,
    `${report.period.from} – ${report.period.to}: findings ${f.findings.new} new, ${f.findings.persisting} persisting, ${f.findings.regressed} regressed, ${f.findings.resolved} resolved; ${f.regressions} statement regression(s); ${f.maintenance} maintenance item(s)`,
    ...open.map(({ t, x }) => `• ${x.severity} ${t}: ${x.summary}`),
    `<${link}|Full report>`,
  ];
  return { text: lines.join('\n') };
}

export interface DeliveryResult {
  webhook: 'sent' | 'not configured';
  email: 'sent' | 'not configured';
}

export async function deliverReport(
  report: Report,
  config: Pick<ReportsConfig, 'webhook' | 'email'>,
  publicUrl: string,
  vars: NodeJS.ProcessEnv = process.env,
): Promise<DeliveryResult> {
  const link = reportLink(publicUrl, report);
  const result: DeliveryResult = { webhook: 'not configured', email: 'not configured' };
  const failures: string[] = [];
  if (config.webhook) {
    try {
      const url = secret('reports.webhook', config.webhook.urlEnv, config.webhook.urlFile, vars);
      if (!url) throw new Error('reports.webhook: give urlEnv or urlFile');
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(webhookMessage(report, link)),
        signal: AbortSignal.timeout(15_000),
      });
      // the URL is the secret: the error names the status only
      if (!res.ok) throw new Error(`reports.webhook: the receiver answered HTTP ${res.status}`);
      result.webhook = 'sent';
    } catch (error) {
      const e = error as Error;
      const why =
        e.name === 'TimeoutError'
          ? 'no answer in 15 s'
          : e.message.replace(/https?:\/\/\S+/g, '<webhook URL>');
      failures.push(why.startsWith('reports.webhook') ? why : `reports.webhook: ${why}`);
    }
  }
  if (config.email) {
    const mail = config.email;
    try {
      const { createTransport } = await import('nodemailer');
      const user = secret('reports.email user', mail.userEnv, undefined, vars);
      const pass = secret('reports.email password', mail.passwordEnv, mail.passwordFile, vars);
      const transport = createTransport({
        host: mail.host,
        port: mail.port,
        secure: mail.secure,
        ...(user !== undefined ? { auth: { user, pass: pass ?? '' } } : {}),
        connectionTimeout: 15_000,
      });
      await transport.sendMail({
        from: mail.from,
        to: mail.to,
        subject:
          `dbdiag ${report.kind} report ${report.period.to.slice(0, 10)}: ${report.fleet.status.toUpperCase()} - ${report.fleet.reason}`.slice(
            0,
            200,
          ),
        text: `${webhookMessage(report, link).text.replace(/<([^|>]+)\|Full report>/, 'Full report: $1')}\n`,
        html: renderHtml(report),
        attachments: [
          { filename: `${report.id}.json`, content: renderJson(report), contentType: 'application/json' },
        ],
      });
      transport.close();
      result.email = 'sent';
    } catch (error) {
      failures.push(`reports.email via ${mail.host}:${mail.port}: ${(error as Error).message}`);
    }
  }
  if (failures.length > 0) throw new Error(failures.join('; '));
  return result;
}
