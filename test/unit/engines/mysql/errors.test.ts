import { describe, expect, it } from 'vitest';
import { classifyMysqlError } from '../../../../agent/engines/mysql/errors.js';

const err = (fields: Record<string, unknown>): Error => Object.assign(new Error('x'), fields);

describe('classifyMysqlError', () => {
  it.each([
    [{ errno: 1045, code: 'ER_ACCESS_DENIED_ERROR' }, 'auth-failed'],
    [{ errno: 1040, code: 'ER_CON_COUNT_ERROR' }, 'too-many-connections'],
    [{ errno: 1049, code: 'ER_BAD_DB_ERROR' }, 'unknown-database'],
    [{ errno: 1927, code: 'ER_CONNECTION_KILLED' }, 'connection-lost'],
    [{ errno: 2013 }, 'connection-lost'],
    [{ code: 'PROTOCOL_CONNECTION_LOST', fatal: true }, 'connection-lost'],
    [{ code: 'ECONNRESET', errno: -104 }, 'connection-lost'],
    [{ code: 'EPIPE', errno: -32 }, 'connection-lost'],
    [{ code: 'ECONNREFUSED', errno: -111 }, 'server-down'],
    [{ errno: 1142, code: 'ER_TABLEACCESS_DENIED_ERROR' }, 'permission-denied'],
    [{ errno: 1227, code: 'ER_SPECIFIC_ACCESS_DENIED_ERROR' }, 'permission-denied'],
    [{ errno: 1044, code: 'ER_DBACCESS_DENIED_ERROR' }, 'permission-denied'],
    [{ errno: 3024, code: 'ER_QUERY_TIMEOUT' }, 'timeout'],
    [{ errno: 1969, code: 'ER_STATEMENT_TIMEOUT' }, 'timeout'],
    [{ errno: 1064, code: 'ER_PARSE_ERROR' }, 'query-failed'],
    [{ code: 'SOMETHING_NEW', fatal: true }, 'connection-lost'],
  ])('%o -> %s', (fields, code) => {
    expect(classifyMysqlError(err(fields))).toBe(code);
  });
});
