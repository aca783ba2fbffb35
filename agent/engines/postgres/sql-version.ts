// SQL keyed by the minimum server_version_num that runs it (pgwatch style): the probe picks the
// highest key at or below the server's version. No version branches inside the SQL itself.

/** The oldest PostgreSQL dbdiag samples. */
export const MIN_SERVER_VERSION_NUM = 130000;

export type VersionedSql = Readonly<Record<number, string>>;

/** The SQL for this server, or null when the server is older than every key. */
export function sqlForVersion(versions: VersionedSql, serverVersionNum: number): string | null {
  let best: number | null = null;
  for (const key of Object.keys(versions).map(Number)) {
    if (key <= serverVersionNum && (best === null || key > best)) best = key;
  }
  return best === null ? null : (versions[best] ?? null);
}

/** "15.20" from server_version_num 150020; "9.6.24" style never occurs here (13 is the minimum). */
export function versionLabel(serverVersionNum: number): string {
  return `${Math.floor(serverVersionNum / 10000)}.${serverVersionNum % 10000}`;
}
