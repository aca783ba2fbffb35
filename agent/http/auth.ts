import { createHash, timingSafeEqual } from 'node:crypto';
import type { WebConfig } from './web-config.js';

// Who may read /metrics and /api: the users and the bearer token of the web config. A bcrypt
// check costs ~50-500 ms of CPU by design, so a successful one is remembered (as the
// exporter-toolkit does) and Prometheus scraping every 15 s costs one check, not one per scrape.

const MAX_REMEMBERED = 64;
/** compared against when the user is unknown, so a wrong user takes as long as a wrong password */
const UNKNOWN_USER_HASH = '$2b$10$cERGC1rGo/zeLW/tfXiUV.w/HOimnNYWds3t7gfJAQ6EiOwh09ldO';

function sha256(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

function sameSecret(a: string, b: string): boolean {
  return timingSafeEqual(sha256(a), sha256(b));
}

export type AuthScheme = 'Basic' | 'Bearer';

export class Authenticator {
  private readonly remembered = new Set<string>();

  constructor(private readonly config: WebConfig) {}

  /** The schemes a client may use, for the WWW-Authenticate challenge. */
  get schemes(): AuthScheme[] {
    const schemes: AuthScheme[] = [];
    if (this.config.basicAuthUsers.size > 0) schemes.push('Basic');
    if (this.config.bearerToken !== null) schemes.push('Bearer');
    return schemes;
  }

  /** True when the request's Authorization header is acceptable (always, without auth configured). */
  async allows(authorization: string | undefined): Promise<boolean> {
    if (this.schemes.length === 0) return true;
    if (authorization === undefined) return false;
    const space = authorization.indexOf(' ');
    if (space < 0) return false;
    const scheme = authorization.slice(0, space).toLowerCase();
    const credentials = authorization.slice(space + 1).trim();
    if (scheme === 'bearer' && this.config.bearerToken !== null) {
      return sameSecret(credentials, this.config.bearerToken);
    }
    if (scheme === 'basic' && this.config.basicAuthUsers.size > 0) return this.basic(credentials);
    return false;
  }

  private async basic(credentials: string): Promise<boolean> {
    const decoded = Buffer.from(credentials, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) return false;
    const user = decoded.slice(0, colon);
    const password = decoded.slice(colon + 1);
    const hash = this.config.basicAuthUsers.get(user);
    const key = sha256(`${user}\0${password}\0${hash ?? ''}`).toString('hex');
    if (hash !== undefined && this.remembered.has(key)) return true;
    // loaded only when basic auth is configured: most agents never need it
    const { default: bcrypt } = await import('bcryptjs');
    const ok = await bcrypt.compare(password, hash ?? UNKNOWN_USER_HASH);
    if (!ok || hash === undefined) return false;
    if (this.remembered.size >= MAX_REMEMBERED) this.remembered.clear();
    this.remembered.add(key);
    return true;
  }
}
