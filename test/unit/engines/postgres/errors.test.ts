import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { classifyPostgresError } from '../../../../agent/engines/postgres/errors.js';

function serverError(code: string): pg.DatabaseError {
  const error = new pg.DatabaseError('server said no', 0, 'error');
  error.code = code;
  return error;
}

function socketError(code: string): Error {
  return Object.assign(new Error(`connect ${code}`), { code, errno: -1, syscall: 'connect' });
}

describe('classifyPostgresError', () => {
  it.each([
    ['28P01', 'auth-failed'],
    ['28000', 'auth-failed'],
    ['53300', 'too-many-connections'],
    ['3D000', 'unknown-database'],
    ['42501', 'permission-denied'],
    ['57014', 'timeout'],
    ['55P03', 'timeout'],
    ['42P01', 'query-failed'],
  ])('maps SQLSTATE %s to %s', (state, code) => {
    expect(classifyPostgresError(serverError(state), 'sample')).toBe(code);
    expect(classifyPostgresError(serverError(state), 'connect')).toBe(code);
  });

  it.each(['57P01', '57P02', '57P03'])(
    'maps %s to connection-lost while sampling (re-open the session) and server-down while connecting',
    (state) => {
      expect(classifyPostgresError(serverError(state), 'sample')).toBe('connection-lost');
      expect(classifyPostgresError(serverError(state), 'connect')).toBe('server-down');
    },
  );

  it.each(['ECONNREFUSED', 'ENOTFOUND', 'EHOSTUNREACH'])('maps socket %s to server-down', (errno) => {
    expect(classifyPostgresError(socketError(errno), 'sample')).toBe('server-down');
    expect(classifyPostgresError(socketError(errno), 'connect')).toBe('server-down');
  });

  it.each(['ECONNRESET', 'EPIPE'])('maps socket %s to connection-lost while sampling', (errno) => {
    expect(classifyPostgresError(socketError(errno), 'sample')).toBe('connection-lost');
  });

  it('treats a node-postgres error without SQLSTATE or errno (socket closed) as a lost connection', () => {
    expect(classifyPostgresError(new Error('Connection terminated unexpectedly'), 'sample')).toBe(
      'connection-lost',
    );
    expect(classifyPostgresError(new Error('Connection terminated unexpectedly'), 'connect')).toBe(
      'server-down',
    );
  });

  it('looks inside the AggregateError of a multi-address connect', () => {
    const error = new AggregateError([socketError('ECONNREFUSED'), socketError('ECONNREFUSED')]);
    expect(classifyPostgresError(error, 'connect')).toBe('server-down');
  });
});
