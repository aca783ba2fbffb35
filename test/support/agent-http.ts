import type { RunningAgent } from '../../agent/runtime/agent.js';

// Reading a running agent the way Prometheus and an operator do: over HTTP.

/** The value of the first series of `name` for `target` on /metrics, or null when absent. */
export async function metric(agent: RunningAgent, name: string, target: string): Promise<number | null> {
  const text = await (await fetch(`${agent.url}/metrics`)).text();
  for (const line of text.split('\n')) {
    if (line.startsWith(`${name}{`) && line.includes(`target="${target}"`)) {
      return Number(line.slice(line.lastIndexOf(' ') + 1));
    }
  }
  return null;
}

export interface TargetDoc {
  name: string;
  up: boolean;
  downReason: string | null;
}

/** The target's entry of /api/targets. */
export async function targetDoc(agent: RunningAgent, target: string): Promise<TargetDoc> {
  const doc = (await (await fetch(`${agent.url}/api/targets`)).json()) as { targets: TargetDoc[] };
  const found = doc.targets.find((t) => t.name === target);
  if (!found) throw new Error(`no target ${target} in /api/targets`);
  return found;
}
