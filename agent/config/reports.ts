import { z } from 'zod';

// `reports:` — scheduled health-check reports (issue #13). Off by default; when enabled
// without schedules, a daily health check, a weekly summary and a monthly maintenance review.
// Cron expressions are checked by the scheduler at start (node-cron's own parser).

const KINDS = ['daily', 'weekly', 'monthly', 'custom'] as const;
const FORMATS = ['md', 'html', 'json'] as const;

function validTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

const timeZone = z
  .string()
  .refine(validTimeZone, { message: 'not an IANA time zone (e.g. UTC, Europe/Berlin, Asia/Shanghai)' });

export const reportScheduleSchema = z.object({
  name: z
    .string()
    .regex(/^[a-z0-9][a-z0-9-]*$/, 'lower-case letters, digits and dashes')
    .describe('names the schedule in logs and in the reports it makes'),
  cron: z.string().min(1).describe('cron expression, 5 fields (or 6 with seconds first), in the time zone'),
  kind: z.enum(KINDS).describe('daily (24 h), weekly (7 d), monthly (30 d) or custom (period)'),
  period: z
    .string()
    .regex(/^\d+(\.\d+)?[smhdw]$/, 'a duration such as 30m, 24h, 7d')
    .optional()
    .describe('the length a custom report covers, ending when it runs'),
  timeZone: timeZone.optional().describe('default reports.timeZone'),
  target: z.string().min(1).optional().describe('only this target (default all)'),
  formats: z.array(z.enum(FORMATS)).min(1).optional().describe('default reports.formats'),
});

export const DEFAULT_SCHEDULES: z.input<typeof reportScheduleSchema>[] = [
  { name: 'daily', cron: '0 7 * * *', kind: 'daily' },
  { name: 'weekly', cron: '0 7 * * 1', kind: 'weekly' },
  { name: 'monthly', cron: '0 7 1 * *', kind: 'monthly' },
];

export const reportsSchema = z
  .object({
    enabled: z.boolean().default(false).describe('the agent makes reports on its schedules'),
    timeZone: timeZone.default('UTC').describe('time zone of the cron expressions'),
    directory: z
      .string()
      .min(1)
      .optional()
      .describe('where report files are written; default <dataDir>/reports'),
    formats: z
      .array(z.enum(FORMATS))
      .min(1)
      .default(['html', 'json', 'md'])
      .describe('files written per report'),
    dataLimits: z
      .record(z.string().min(1), z.number().positive())
      .default({})
      .describe(
        'per target name: the data size (bytes) it must stay under, e.g. the disk or a quota; reports give the days until it at the period growth rate',
      ),
    publicUrl: z
      .string()
      .url()
      .optional()
      .describe(
        "base URL of the links in webhooks and mails (<publicUrl>/reports/<id>.html); default the agent's own",
      ),
    webhook: z
      .object({
        urlEnv: z.string().min(1).optional().describe('environment variable holding the webhook URL'),
        urlFile: z
          .string()
          .min(1)
          .optional()
          .describe('file holding the webhook URL (it is a secret: never in the config)'),
      })
      .optional()
      .describe('Slack-compatible incoming webhook: the verdict, the top findings and a link to the report'),
    email: z
      .object({
        host: z.string().min(1).describe('SMTP server'),
        port: z.number().int().min(1).max(65_535).default(587),
        secure: z
          .boolean()
          .default(false)
          .describe('TLS from the start (port 465); otherwise STARTTLS when offered'),
        from: z.string().min(3),
        to: z.array(z.string().min(3)).min(1),
        userEnv: z.string().min(1).optional().describe('environment variable holding the SMTP user'),
        passwordEnv: z.string().min(1).optional().describe('environment variable holding the SMTP password'),
        passwordFile: z.string().min(1).optional().describe('file holding the SMTP password'),
      })
      .optional()
      .describe('mail each report: the HTML inline, the JSON attached'),
    schedules: z
      .array(reportScheduleSchema)
      .optional()
      .describe('default: daily 07:00, weekly Monday 07:00, monthly on the 1st 07:00'),
  })
  .prefault({})
  .describe('scheduled health-check reports, kept in the state store and served at /reports/');

export type ReportsConfig = z.infer<typeof reportsSchema>;
export type ReportSchedule = z.infer<typeof reportScheduleSchema>;
