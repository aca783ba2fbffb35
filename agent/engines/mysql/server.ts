// What the agent knows about the server it talks to, and the pick of versioned SQL for it.
// MySQL and MariaDB forked at 5.5 and their catalogs drifted apart: every query that differs
// is a named constant per flavor, keyed by the minimum version that runs it (pgwatch style).

export type Flavor = 'mysql' | 'mariadb';

export interface ServerInfo {
  flavor: Flavor;
  /** as the server says it, e.g. "10.11.19-MariaDB-0+deb12u1" or "8.0.40" */
  version: string;
  /** [major, minor, patch] */
  versionNumber: readonly [number, number, number];
  /** @@performance_schema: read-only, so fixed for the life of the server process */
  performanceSchema: boolean;
}

/** SQL per flavor, keyed by the lowest server version ("8.0", "10.5", "8.0.16") that runs it. */
export type VersionedSql = Readonly<Partial<Record<Flavor, Readonly<Record<string, string>>>>>;

/** Oldest versions dbdiag supports (older ones lack the performance_schema columns it reads). */
export const MINIMUM_VERSIONS: Readonly<Record<Flavor, string>> = { mysql: '8.0', mariadb: '10.5' };

export function parseVersion(text: string): [number, number, number] {
  const match = /^(\d+)\.(\d+)(?:\.(\d+))?/.exec(text);
  if (!match) return [0, 0, 0];
  return [Number(match[1]), Number(match[2]), Number(match[3] ?? 0)];
}

export function compareVersions(a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < 3; i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/**
 * MariaDB says so in VERSION() ("10.11.19-MariaDB-...") and in @@version_comment; a MySQL
 * build never does. (MariaDB 10.x once reported "5.5.5-10.x" in the handshake only, not here.)
 */
export function detectFlavor(version: string, versionComment: string): Flavor {
  return /mariadb/i.test(version) || /mariadb/i.test(versionComment) ? 'mariadb' : 'mysql';
}

/** The query for this server: the highest version key at or below its version; null when none fits. */
export function pickSql(
  versions: VersionedSql,
  server: Pick<ServerInfo, 'flavor' | 'versionNumber'>,
): string | null {
  const byVersion = versions[server.flavor];
  if (!byVersion) return null;
  let best: { key: number[]; sql: string } | null = null;
  for (const [key, sql] of Object.entries(byVersion)) {
    const keyNumber = parseVersion(key);
    if (compareVersions(keyNumber, server.versionNumber) > 0) continue;
    if (best === null || compareVersions(keyNumber, best.key) > 0) best = { key: keyNumber, sql };
  }
  return best?.sql ?? null;
}

export function describeServer(server: Pick<ServerInfo, 'flavor' | 'version'>): string {
  return `${server.flavor === 'mariadb' ? 'MariaDB' : 'MySQL'} ${server.version}`;
}
