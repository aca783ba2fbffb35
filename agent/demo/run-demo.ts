import {
  INCIDENT_TARGET,
  type IncidentTimeline,
  type PlantIncidentOptions,
  type PlantIncidentResult,
  runPlantIncident,
} from '../drills/scenarios/plant-incident.js';
import { formatSummary } from './summary.js';

// The demo: the plant-incident drill scenario (agent/drills/scenarios/plant-incident.ts owns the
// sandbox server, the plant's data, the agent, the application's rising load, the diagnosis, the
// fix and the recovery), narrated as it happens and summed up at the end (./narration.ts,
// ./summary.ts). PostgreSQL by default: the plant's own database.

export const DEMO_TARGET = INCIDENT_TARGET;

export type DemoOptions = Omit<PlantIncidentOptions, 'purpose'>;
export type DemoTimeline = IncidentTimeline;
export type DemoResult = PlantIncidentResult;

/** Replays the incident in a dbdiag-demo-* sandbox; the caller prints formatSummary(result.summary). */
export function runDemo(options: DemoOptions): Promise<DemoResult> {
  return runPlantIncident({ ...options, purpose: 'demo' });
}

export { formatSummary };
