import { z } from 'zod';
import { ENGINE_NAMES } from '../engines/names.js';

// `drills:` — the quarterly drills (issue #14): schedules the agent runs in auto mode on
// sandboxes it starts, filing each scorecard in the state store (dbdiag drill history) and as
// files beside the reports. None by default: a drill starts servers and loads the machine.
// Cron expressions are checked by the scheduler at start (node-cron's own parser).

const FORMATS = ['md', 'html', 'json'] as const;

export const drillScheduleSchema = z.object({
  name: z
    .string()
    .regex(/^[a-z0-9][a-z0-9-]*$/, 'lower-case letters, digits and dashes')
    .describe('names the schedule in logs and in the scorecard files'),
  cron: z
    .string()
    .min(1)
    .describe("cron expression, 5 fields (or 6 with seconds first), e.g. quarterly '0 9 1 1,4,7,10 *'"),
  scenarios: z
    .array(z.string().min(1))
    .min(1)
    .describe('the scenarios to run, one after another (dbdiag drill list)'),
  engine: z.enum(ENGINE_NAMES).default('postgres').describe('the sandbox engine'),
  timeZone: z.string().min(1).optional().describe('default drills.timeZone'),
  scale: z.enum(['small', 'default']).default('default').describe('data set size'),
  alertForScale: z
    .number()
    .gt(0)
    .max(1)
    .default(1)
    .describe("multiply every alert rule's for: (the scorecard says so when it is not 1)"),
});

export type DrillSchedule = z.infer<typeof drillScheduleSchema>;

export const drillsSchema = z
  .object({
    timeZone: z.string().min(1).default('UTC').describe('time zone of the cron expressions'),
    schedules: z
      .array(drillScheduleSchema)
      .optional()
      .describe('auto drills the agent runs on a schedule (none by default)'),
    formats: z
      .array(z.enum(FORMATS))
      .min(1)
      .default(['html', 'json', 'md'])
      .describe('scorecard files written per drill, into the reports directory'),
  })
  .prefault({})
  .describe('scheduled drills (README, Drills)');
