import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { connectFailure } from '../../../../agent/engines/postgres/errors.js';

function serverError(code: string, message: string): pg.DatabaseError {
  const error = new pg.DatabaseError(message, message.length, 'error');
  error.code = code;
  return error;
}

const attempt = { database: 'plant', user: 'mon' };

describe('connectFailure: the cause of a failed connect, by what happened on the wire', () => {
  it('no password against SCRAM is a missing password, not a server that is down', () => {
    const clientSide = new Error('SASL: SCRAM-SERVER-FIRST-MESSAGE: client password must be a string');
    const f = connectFailure(
      clientSide,
      { ...attempt, authRequested: 'SCRAM-SHA-256', passwordGiven: false },
      'x',
    );
    expect(f.code).toBe('auth-failed');
    expect(f.reason).toMatch(/password authentication required .*SCRAM-SHA-256.* no password was supplied/);
  });

  it("a wrong password stays the server's own message, with the next step", () => {
    const error = serverError('28P01', 'password authentication failed for user "mon"');
    const f = connectFailure(
      error,
      { ...attempt, authRequested: 'SCRAM-SHA-256', passwordGiven: true },
      'described',
    );
    expect(f).toEqual({
      code: 'auth-failed',
      reason: 'described',
      next: 'check the user and password (and pg_hba.conf)',
    });
  });

  it('a refused socket with no authentication asked is a server that is down', () => {
    const error = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    const f = connectFailure(error, { ...attempt, authRequested: null, passwordGiven: false }, 'refused');
    expect(f.code).toBe('server-down');
    expect(f.next).toMatch(/server running/);
  });

  it('42501 at connect is the database CONNECT privilege', () => {
    const error = serverError('42501', 'permission denied for database "plant"');
    const f = connectFailure(error, { ...attempt, authRequested: null, passwordGiven: true }, 'denied');
    expect(f.next).toBe('GRANT CONNECT ON DATABASE "plant" TO "mon"');
  });
});
