// Errors carry a string code a caller can branch on, and the thing they are about.

export class AgentError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

export class ConfigError extends AgentError {
  readonly path: string;
  constructor(path: string, message: string, options?: { cause?: unknown }) {
    super('config-invalid', message, options);
    this.path = path;
  }
}

/** A probe failed on a target; `code` classifies the driver error (see classifyDriverError). */
export class ProbeError extends AgentError {
  readonly probe: string;
  readonly target: string;
  constructor(code: string, probe: string, target: string, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.probe = probe;
    this.target = target;
  }
}

/** The connection to a target could not be made or was lost. */
export class ConnectionError extends AgentError {
  readonly target: string;
  constructor(code: string, target: string, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.target = target;
  }
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
