import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deliverReport } from '../../../agent/reports/deliver.js';
import type { Report } from '../../../agent/reports/model.js';

// Delivery to local receivers: a webhook (an HTTP server on 127.0.0.1) and e-mail (smtp-server
// with authentication). The credentials come from a file and the environment and appear in
// nothing that is sent.

const WEBHOOK_TOKEN = 'T000/B000/xoxbSecretWebhookToken';
const SMTP_PASSWORD = 's3cret-smtp-Pa55';

const report: Report = {
  schemaVersion: 3,
  id: 'daily-20260131T070000Z',
  kind: 'daily',
  generatedAt: '2026-01-31T07:00:01Z',
  trigger: { schedule: 'daily', scheduledFor: '2026-01-31T07:00:00Z', missed: false },
  period: { from: '2026-01-30T07:00:00Z', to: '2026-01-31T07:00:00Z' },
  baseline: {
    source: 'report',
    reportId: 'daily-20260130T070000Z',
    period: { from: '2026-01-29T07:00:00Z', to: '2026-01-30T07:00:00Z' },
  },
  fleet: {
    status: 'critical',
    reason: 'plant: 100/100 connections in use',
    targets: 1,
    findings: { new: 1, persisting: 0, resolved: 0, regressed: 0 },
    regressions: 0,
    maintenance: 0,
  },
  targets: [
    {
      target: 'plant',
      status: 'critical',
      reason: '100/100 connections in use',
      findings: {
        new: [
          {
            id: 'pool-saturation:plant:connections',
            kind: 'pool-saturation',
            severity: 'critical',
            previousSeverity: null,
            object: 'connections',
            summary: '100/100 connections in use',
            firstSeen: '2026-01-31T06:00:00Z',
            lastSeen: '2026-01-31T06:59:00Z',
            resolvedAt: null,
            durationSeconds: 3540,
            occurrences: 236,
            seenIn: { reports: 1, of: 2 },
            fix: {
              summary: 'Raise max_connections, add an index on the JOIN key',
              statements: ['ALTER SYSTEM SET max_connections = 150;'],
            },
            proof: { used: 100, max: 100 },
            runbook: 'http://127.0.0.1:9187/runbooks/pool-saturation.md',
          },
        ],
        persisting: [],
        resolved: [],
        regressed: [],
      },
      capacity: {
        hours: 24,
        connectionsPeak: 100,
        maxConnections: 100,
        headroom: 0,
        saturationMax: 1,
        minutesAtSaturationWarning: 55,
        cacheHitRatio: 0.998,
        dataBytes: 1_230_000,
        dataGrowthBytes: 10_000,
        dataSource: 'database',
        dataGrowthPerDayBytes: 10_000,
        dataLimitBytes: null,
        daysToDataLimit: null,
        transactionIds: null,
        counters: [],
        trend: [],
      },
      statements: { top: [], regressions: [], new: [], all: [], slowLog: [] },
      maintenance: [],
      changes: { settings: [], serverVersions: [], restarts: [] },
      audit: null,
    },
  ],
};

describe('report delivery to local receivers', () => {
  let dir: string;
  let http: Server;
  let smtp: SMTPServer;
  let webhookUrl: string;
  let smtpPort: number;
  const posts: { path: string; body: string }[] = [];
  const mails: { from: string; to: string[]; raw: string; user: string | undefined }[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'dbdiag-deliver-'));
    http = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => {
        body += c.toString('utf8');
      });
      req.on('end', () => {
        posts.push({ path: req.url ?? '', body });
        res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
      });
    });
    await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
    webhookUrl = `http://127.0.0.1:${(http.address() as AddressInfo).port}/services/${WEBHOOK_TOKEN}`;
    smtp = new SMTPServer({
      authOptional: false,
      allowInsecureAuth: true,
      disabledCommands: ['STARTTLS'],
      logger: false,
      onAuth(auth, _session, callback) {
        if (auth.username === 'reports' && auth.password === SMTP_PASSWORD)
          callback(null, { user: auth.username });
        else callback(new Error('invalid login'));
      },
      onData(stream, session, callback) {
        let raw = '';
        stream.on('data', (c: Buffer) => {
          raw += c.toString('utf8');
        });
        stream.on('end', () => {
          mails.push({
            from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
            to: session.envelope.rcptTo.map((r) => r.address),
            raw,
            user: session.user as string | undefined,
          });
          callback();
        });
      },
    });
    await new Promise<void>((r) => smtp.listen(0, '127.0.0.1', r));
    smtpPort = (smtp.server.address() as AddressInfo).port;
  });

  afterAll(async () => {
    await new Promise<void>((r) => http.close(() => r()));
    await new Promise<void>((r) => smtp.close(() => r()));
    rmSync(dir, { recursive: true, force: true });
  });

  it('posts the verdict, the top findings and the link to the webhook, and mails the HTML inline with the JSON attached; no credential in either', async () => {
    const urlFile = join(dir, 'webhook-url');
    writeFileSync(urlFile, `${webhookUrl}\n`);
    const result = await deliverReport(
      report,
      {
        webhook: { urlFile },
        email: {
          host: '127.0.0.1',
          port: smtpPort,
          secure: false,
          from: 'dbdiag@plant.example',
          to: ['dba@plant.example', 'lead@plant.example'],
          userEnv: 'TEST_SMTP_USER',
          passwordEnv: 'TEST_SMTP_PASSWORD',
        },
      },
      'https://dbdiag.plant.example',
      { TEST_SMTP_USER: 'reports', TEST_SMTP_PASSWORD: SMTP_PASSWORD },
    );
    expect(result).toEqual({ webhook: 'sent', email: 'sent' });

    expect(posts).toHaveLength(1);
    const message = JSON.parse(posts[0]!.body) as { text: string };
    expect(message.text).toContain('dbdiag daily report: CRITICAL');
    expect(message.text).toContain('• critical plant: 100/100 connections in use');
    expect(message.text).toContain(
      '<https://dbdiag.plant.example/reports/daily-20260131T070000Z.html|Full report>',
    );
    expect(posts[0]!.body).not.toContain(WEBHOOK_TOKEN);

    expect(mails).toHaveLength(1);
    const mail = mails[0]!;
    expect(mail.user).toBe('reports');
    expect(mail.from).toBe('dbdiag@plant.example');
    expect(mail.to).toEqual(['dba@plant.example', 'lead@plant.example']);
    expect(mail.raw).toMatch(/Subject: dbdiag daily report 2026-01-31: CRITICAL/);
    expect(mail.raw).toMatch(/Content-Type: text\/html/);
    expect(mail.raw).toMatch(/Content-Type: application\/json; name=daily-20260131T070000Z\.json/);
    expect(mail.raw).toContain('Content-Disposition: attachment; filename=daily-20260131T070000Z.json');
    expect(mail.raw).not.toContain(SMTP_PASSWORD);
    expect(mail.raw).not.toContain(Buffer.from(SMTP_PASSWORD).toString('base64'));
    expect(mail.raw).not.toContain(WEBHOOK_TOKEN);
  });

  it('a failing delivery says which and why, without the webhook URL or the password', async () => {
    await expect(
      deliverReport(
        report,
        {
          webhook: { urlEnv: 'TEST_WEBHOOK' },
          email: {
            host: '127.0.0.1',
            port: smtpPort,
            secure: false,
            from: 'dbdiag@plant.example',
            to: ['dba@plant.example'],
            userEnv: 'TEST_SMTP_USER',
            passwordEnv: 'TEST_SMTP_PASSWORD',
          },
        },
        'https://dbdiag.plant.example',
        {
          TEST_WEBHOOK: `${webhookUrl.replace(/:\d+\//, ':1/')}`,
          TEST_SMTP_USER: 'reports',
          TEST_SMTP_PASSWORD: 'wrong-Pa55',
        },
      ),
    ).rejects.toThrow(/^reports\.webhook: .*; reports\.email via 127\.0\.0\.1:\d+: .*/);
    await deliverReport(report, { webhook: { urlEnv: 'TEST_WEBHOOK' } }, 'https://x', {
      TEST_WEBHOOK: 'http://127.0.0.1:1/services/T/B/xoxb',
    }).catch((error: Error) => {
      expect(error.message).not.toContain('xoxb');
    });
  });
});
