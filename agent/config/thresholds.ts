import { z } from 'zod';

// Every advisor threshold lives here, with where its number comes from. Advisors read these
// from the frozen config; a config file may override any of them under `thresholds:`.
export const thresholdsSchema = z
  .object({
    /** used / (max - reserved) at or above this for the window: warning (pgwatch and pghero warn near 90%) */
    saturationWarningRatio: z.number().min(0).max(2).default(0.9),
    /** at or above this: critical (no slot left for a new application connection) */
    saturationCriticalRatio: z.number().min(0).max(2).default(1.0),
    /** how long saturation must hold before a finding is raised, in seconds */
    saturationWindowSeconds: z.number().min(0).default(30),
    /** interval buffer-cache hit ratio under this is low (OLTP rule of thumb: 99%) */
    cacheHitRatioMin: z.number().min(0).max(1).default(0.99),
    /** consecutive low samples before low-cache-hit is raised */
    cacheHitSamples: z.number().int().min(1).default(3),
    /** a finding resolves after its condition has been clear this long, in seconds */
    resolveAfterSeconds: z.number().min(0).default(60),
  })
  .passthrough();

export type Thresholds = z.infer<typeof thresholdsSchema>;
