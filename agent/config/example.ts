import { stringify } from 'yaml';
import { z } from 'zod';
import { configSchema } from './schema.js';

// packaging/config.example.yml is rendered from the config schema (its defaults, descriptions
// and examples), so a key added to the schema appears in the example on the next
// `npm run config:example`, and a test fails until it does. Optional keys without a default
// are shown commented out with an example value.

/** A JSON Schema node as z.toJSONSchema writes it (only the parts the example uses). */
interface Node {
  type?: string | string[];
  description?: string;
  default?: unknown;
  examples?: unknown[];
  enum?: unknown[];
  const?: unknown;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  properties?: Record<string, Node>;
  required?: string[];
  items?: Node;
  anyOf?: Node[];
  oneOf?: Node[];
}

/** Optional keys written active in the example (the rest of the optional keys are commented out). */
const ACTIVE_OPTIONAL = new Set(['targets[].dsnEnv']);

const WIDTH = 100;
const INDENT = '  ';

const HEADER = `# dbdiag configuration: every key, its default value and what it does.
# GENERATED from the config schema (agent/config/schema.ts) by \`npm run config:example\`:
# do not edit by hand. Keys commented out are optional and have no default; the value shown
# is an example. Secrets: keep DSNs with passwords out of this file (dsnEnv / poolerDsnEnv
# name an environment variable, e.g. set by systemd's EnvironmentFile=/etc/dbdiag/dbdiag.env).
# Check a file: dbdiag check --config FILE ...; the agent re-reads it on SIGHUP.
`;

export function configJsonSchema(): Node {
  return z.toJSONSchema(configSchema, { io: 'input', unrepresentable: 'any' }) as Node;
}

function isObject(node: Node): boolean {
  return node.properties !== undefined;
}

/** The one variant worth showing for an anyOf / oneOf: the first object, else the first non-null. */
function concrete(node: Node): Node {
  const variants = node.anyOf ?? node.oneOf;
  if (!variants) return node;
  const chosen = variants.find(isObject) ?? variants.find((v) => v.type !== 'null') ?? variants[0];
  return chosen ? { ...chosen, description: node.description ?? chosen.description } : node;
}

function scalar(value: unknown): string {
  return stringify(value, { lineWidth: 0 }).trimEnd();
}

function hints(node: Node): string[] {
  const out: string[] = [];
  if (node.enum) out.push(`one of: ${node.enum.map(String).join(', ')}`);
  const max = node.maximum !== undefined && node.maximum < Number.MAX_SAFE_INTEGER ? node.maximum : undefined;
  if (node.minimum !== undefined && max !== undefined) out.push(`${node.minimum} to ${max}`);
  else if (node.minimum !== undefined) out.push(`at least ${node.minimum}`);
  else if (node.exclusiveMinimum !== undefined) out.push(`above ${node.exclusiveMinimum}`);
  return out;
}

function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/)) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(line);
  return lines;
}

function describe(node: Node, indent: string): string[] {
  const hint = hints(node);
  const text = [node.description, hint.length > 0 ? `[${hint.join('; ')}]` : undefined]
    .filter((part) => part !== undefined)
    .join(' ');
  if (!text) return [];
  return wrap(text, Math.max(40, WIDTH - indent.length - 2)).map((line) => `${indent}# ${line}`);
}

/** Lines of one mapping's keys at `indent`; `path` names the mapping for ACTIVE_OPTIONAL. */
function renderMapping(node: Node, path: string, indent: string, paths: string[]): string[] {
  const lines: string[] = [];
  const required = new Set(node.required ?? []);
  for (const [key, raw] of Object.entries(node.properties ?? {})) {
    const child = concrete(raw);
    const childPath = path ? `${path}.${key}` : key;
    paths.push(childPath);
    const shown =
      required.has(key) || child.default !== undefined || ACTIVE_OPTIONAL.has(childPath) || child.const;
    const body = renderValue(key, child, childPath, paths);
    const block = shown ? body : body.map((line) => `# ${line}`);
    lines.push(...describe(child, indent), ...block.map((line) => `${indent}${line}`));
  }
  return lines;
}

/** `key: value` or `key:` and the nested lines, relative to the key's own indentation. */
function renderValue(key: string, node: Node, path: string, paths: string[]): string[] {
  if (isObject(node)) return [`${key}:`, ...renderMapping(node, path, INDENT, paths)];
  if (node.type === 'array' && node.items) {
    const item = concrete(node.items);
    if (isObject(item)) {
      // one example element: its first line carries the dash
      const lines = renderMapping(item, `${path}[]`, INDENT.repeat(2), paths);
      const first = lines.findIndex((line) => /^\s*[A-Za-z_][\w-]*:/.test(line));
      if (first >= 0) {
        lines[first] = `${INDENT}- ${lines[first]?.slice(INDENT.length * 2)}`;
        // its description lines move out with the dash
        for (let i = first - 1; i >= 0 && lines[i]?.startsWith(`${INDENT.repeat(2)}# `); i--) {
          lines[i] = `${INDENT}${lines[i]?.slice(INDENT.length * 2)}`;
        }
      }
      return [`${key}:`, ...lines];
    }
  }
  const value = node.default ?? node.const ?? node.examples?.[0];
  if (value === undefined) return [`${key}:`];
  if (typeof value === 'object' && value !== null) {
    const nested = scalar(value).split('\n');
    return Array.isArray(value) && value.length === 0
      ? [`${key}: []`]
      : [`${key}:`, ...nested.map((l) => `${INDENT}${l}`)];
  }
  return [`${key}: ${scalar(value)}`];
}

export interface ConfigExample {
  text: string;
  /** every key path the example shows, active or commented out (`targets[].slowLog.path`) */
  paths: string[];
}

export function renderConfigExample(): ConfigExample {
  const paths: string[] = [];
  const body = renderMapping(configJsonSchema(), '', '', paths);
  return { text: `${HEADER}\n${body.join('\n')}\n`, paths };
}
