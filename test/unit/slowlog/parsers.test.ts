import { describe, expect, it } from 'vitest';
import { detectFormat, detectPrefix } from '../../../agent/slowlog/formats.js';
import { digestText } from '../../support/slowlog-text.js';

const MARIADB = `/usr/sbin/mariadbd, Version: 10.11.6-MariaDB-0+deb12u1-log (Debian 12). started with:
Tcp port: 3306  Unix socket: /run/mysqld/mysqld.sock
Time\t\t    Id Command\tArgument
# Time: 240501 10:00:00
# User@Host: app[app] @ localhost []
# Thread_id: 31  Schema: plant  QC_hit: No
# Query_time: 0.500000  Lock_time: 0.000100  Rows_sent: 1  Rows_examined: 5000
# Rows_affected: 0  Bytes_sent: 70
use plant;
SET timestamp=1714557600;
SELECT *
  FROM work_order_history h
  WHERE h.work_order_id = 42;
# User@Host: app[app] @ localhost []
# Thread_id: 31  Schema: plant  QC_hit: No
# Query_time: 1.500000  Lock_time: 0.000100  Rows_sent: 1  Rows_examined: 9000
# Rows_affected: 0  Bytes_sent: 70
SET timestamp=1714557601;
SELECT * FROM work_order_history h WHERE h.work_order_id = 7;
# Time: 2024-05-01T10:00:05.123456Z
# User@Host: report[report] @  [10.0.0.9]  Id:    12
# Query_time: 0.100000  Lock_time: 0.000000 Rows_sent: 10  Rows_examined: 10
SET timestamp=1714557605;
UPDATE orders SET state = 'done' WHERE id IN (1,2,3);
# Time: 2024-05-01T10:00:06.000000Z
# User@Host: root[root] @ localhost []  Id:     5
# Query_time: 0.000010  Lock_time: 0.000000 Rows_sent: 0  Rows_examined: 0
# administrator command: Quit;
`;

describe('MySQL/MariaDB slow log', () => {
  it('reads entries: multi-line statements, Schema/use, user@host, times, rows, admin commands', async () => {
    expect(detectFormat(Buffer.from(MARIADB))).toBe('mysql');
    const d = await digestText(MARIADB, { format: 'mysql', prefix: null });
    expect(d.skips.lines).toBe(0);
    const classes = d.classes();
    expect(classes.map((c) => [c.fingerprint, c.count])).toEqual([
      ['select * from work_order_history h where h.work_order_id = ?', 2],
      ['update orders set state = ? where id in(?+)', 1],
      ['administrator command: quit', 1],
    ]);
    const hist = classes[0]!;
    expect(hist.totalSeconds).toBeCloseTo(2.0);
    expect(hist.maxSeconds).toBe(1.5);
    expect(hist.rowsExamined).toBe(14000);
    expect(hist.rowsSent).toBe(2);
    expect(hist.databases).toEqual(['plant']);
    expect(hist.users).toEqual(['app']);
    expect(hist.hosts).toEqual(['localhost']);
    expect(hist.sample).toBe('SELECT * FROM work_order_history h WHERE h.work_order_id = 7');
    expect(hist.firstSeenAt).toBe(Date.UTC(2024, 4, 1, 10, 0, 0));
    expect(hist.lastSeenAt).toBe(Date.UTC(2024, 4, 1, 10, 0, 1));
    expect(classes[1]!.hosts).toEqual(['10.0.0.9']);
  });

  it('filters by --since/--until on the statement time', async () => {
    const d = await digestText(
      MARIADB,
      { format: 'mysql', prefix: null },
      { since: Date.UTC(2024, 4, 1, 10, 0, 1), until: Date.UTC(2024, 4, 1, 10, 0, 6) },
    );
    expect(d.events).toBe(2);
    expect(d.filtered).toBe(2);
  });

  it('counts a truncated entry and stray lines as skipped, with reasons', async () => {
    const text = `garbage before any header\n${MARIADB}# User@Host: app[app] @ localhost []\n# Query_time: 0.1  Lock_time: 0 Rows_sent: 0  Rows_examined: 0\n`;
    const d = await digestText(text, { format: 'mysql', prefix: null });
    expect(d.events).toBe(4);
    expect(d.skips.lines).toBe(3);
    expect([...d.skips.reasons.keys()]).toEqual([
      'line outside any slow-log entry',
      'entry without a statement (truncated)',
    ]);
  });
});

const PG_STDERR = `2024-05-01 10:00:00.100 UTC [4242] app@plant LOG:  duration: 12.500 ms  statement: SELECT *
\t  FROM work_orders
\t WHERE id = 5
2024-05-01 10:00:00.200 UTC [4242] app@plant LOG:  duration: 0.020 ms  parse <unnamed>: SELECT * FROM work_orders WHERE id = $1
2024-05-01 10:00:00.200 UTC [4242] app@plant LOG:  duration: 0.010 ms  bind <unnamed>: SELECT * FROM work_orders WHERE id = $1
2024-05-01 10:00:00.200 UTC [4242] app@plant DETAIL:  parameters: $1 = '77'
2024-05-01 10:00:00.250 UTC [4242] app@plant LOG:  duration: 40.000 ms  execute <unnamed>: SELECT * FROM work_orders WHERE id = $1
2024-05-01 10:00:00.250 UTC [4242] app@plant DETAIL:  parameters: $1 = '77'
2024-05-01 10:00:01.000 UTC [17] LOG:  checkpoint starting: time
2024-05-01 10:00:02.000 UTC [4243] report@billing LOG:  duration: 1.000 ms  execute S_1: SELECT name FROM "Customers" WHERE id IN ($1, $2)
2024-05-01 10:00:02.000 UTC [4243] report@billing DETAIL:  parameters: $1 = '1', $2 = 'o''brien'
2024-05-01 10:00:03.000 UTC [4243] report@billing ERROR:  relation "nope" does not exist at character 15
2024-05-01 10:00:03.000 UTC [4243] report@billing STATEMENT:  SELECT * FROM nope
`;

describe('PostgreSQL stderr log', () => {
  it('reads simple and extended-protocol durations with the default Debian log_line_prefix', async () => {
    expect(detectFormat(Buffer.from(PG_STDERR))).toBe('postgres-stderr');
    const prefix = detectPrefix(Buffer.from(PG_STDERR));
    expect(prefix).toBe('%m [%p] %q%u@%d ');
    const d = await digestText(PG_STDERR, { format: 'postgres-stderr', prefix });
    expect(d.skips.lines).toBe(0);
    const classes = d.classes();
    expect(classes.map((c) => [c.fingerprint, c.count])).toEqual([
      ['select * from work_orders where id = ?', 2],
      ['select name from "Customers" where id in(?+)', 1],
    ]);
    // the worst sample of the class carries the real parameter values
    expect(classes[0]!.sample).toBe("SELECT * FROM work_orders WHERE id = '77'");
    expect(classes[0]!.totalSeconds).toBeCloseTo(0.0525);
    expect(classes[0]!.databases).toEqual(['plant']);
    expect(classes[0]!.users).toEqual(['app']);
    expect(classes[1]!.sample).toBe(`SELECT name FROM "Customers" WHERE id IN ('1', 'o''brien')`);
    expect(classes[1]!.firstSeenAt).toBe(Date.UTC(2024, 4, 1, 10, 0, 2));
  });

  it('reads a custom log_line_prefix with %t %p %l %u %d %a %h', async () => {
    const prefix = '%t [%p]: [%l-1] user=%u,db=%d,app=%a,client=%h ';
    const log =
      '2024-05-01 10:00:00 UTC [99]: [3-1] user=app,db=plant,app=psql,client=10.1.2.3 LOG:  duration: 5.000 ms  statement: select 1\n' +
      'not a log line at all\n';
    expect(detectPrefix(Buffer.from(log))).toBe(prefix);
    const d = await digestText(log, { format: 'postgres-stderr', prefix });
    const [c] = d.classes();
    expect(c!.fingerprint).toBe('select ?');
    expect(c!.hosts).toEqual(['10.1.2.3']);
    expect(c!.databases).toEqual(['plant']);
    expect(d.skips.lines).toBe(1);
    expect([...d.skips.reasons.keys()]).toEqual(['line does not match log_line_prefix']);
  });
});

describe('PostgreSQL csvlog and jsonlog', () => {
  it('reads csvlog records, quoted multi-line messages and parameter details', async () => {
    const csv =
      '2024-05-01 10:00:00.100 UTC,"app","plant",4242,"127.0.0.1:50000",6632a1.1,1,"SELECT",2024-05-01 09:59:00 UTC,3/10,0,LOG,00000,"duration: 3.000 ms  statement: SELECT ""Name""\nFROM t WHERE a = 1",,,,,,,,,"psql","client backend",,0\n' +
      '2024-05-01 10:00:00.200 UTC,"app","plant",4242,"127.0.0.1:50000",6632a1.1,2,"SELECT",2024-05-01 09:59:00 UTC,3/11,0,LOG,00000,"duration: 4.000 ms  execute <unnamed>: SELECT ""Name"" FROM t WHERE a = $1","parameters: $1 = \'9\'",,,,,,,,"node","client backend",,0\n';
    expect(detectFormat(Buffer.from(csv))).toBe('postgres-csv');
    const d = await digestText(csv, { format: 'postgres-csv', prefix: null });
    const [c] = d.classes();
    expect(c!.fingerprint).toBe('select "Name" from t where a = ?');
    expect(c!.count).toBe(2);
    expect(c!.sample).toBe(`SELECT "Name" FROM t WHERE a = '9'`);
    expect(c!.hosts).toEqual(['127.0.0.1']);
  });

  it('reads jsonlog records', async () => {
    const json =
      '{"timestamp":"2024-05-01 10:00:00.100 UTC","user":"app","dbname":"plant","pid":4242,"remote_host":"127.0.0.1","error_severity":"LOG","message":"duration: 2.500 ms  statement: select * from t where b = \'x\'","backend_type":"client backend"}\n' +
      '{"timestamp":"2024-05-01 10:00:00.200 UTC","user":"app","dbname":"plant","pid":4242,"error_severity":"LOG","message":"duration: 1.000 ms  execute <unnamed>: select * from t where b = $1","detail":"parameters: $1 = \'y\'"}\n' +
      '{"timestamp":"2024-05-01 10:00:01.000 UTC","pid":17,"error_severity":"LOG","message":"checkpoint starting: time"}\n' +
      '{"timestamp": broken\n';
    expect(detectFormat(Buffer.from(json))).toBe('postgres-json');
    const d = await digestText(json, { format: 'postgres-json', prefix: null });
    const [c] = d.classes();
    expect(c!.count).toBe(2);
    expect(c!.sample).toBe("select * from t where b = 'x'");
    expect(c!.firstSeenAt).toBe(Date.UTC(2024, 4, 1, 10, 0, 0, 100));
    expect(d.skips.lines).toBe(1);
  });
});
