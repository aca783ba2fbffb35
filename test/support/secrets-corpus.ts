// Statements that carry secrets, as applications and administrators really send them. Each
// secret is unique in the whole corpus so a hit on any surface names the statement it came from.
// Used by the unit tests of the redaction (agent/slowlog/redact*.ts, agent/config/dsn-secrets.ts)
// and by the integration test that runs them through real servers and searches every surface of
// the agent for the secrets.

export interface SecretStatement {
  /** the SQL to run (on the engine named by the list it is in) */
  sql: string;
  /** strings that must never appear on any surface */
  secrets: string[];
  /** the statement fails on purpose (its text still reaches logs / statistics) */
  mayFail?: boolean;
  /** literals only (no credential): shown when a person asks for samples (`digest`, showSamples) */
  literalsOnly?: boolean;
}

export const POSTGRES_SECRETS: readonly SecretStatement[] = [
  { sql: "CREATE ROLE rd_app LOGIN PASSWORD 'LeakMe1-Pw-4242'", secrets: ['LeakMe1-Pw-4242'] },
  { sql: "ALTER ROLE rd_app PASSWORD 'LeakMe2-Pw-888'", secrets: ['LeakMe2-Pw-888'] },
  { sql: "ALTER USER rd_app WITH ENCRYPTED PASSWORD 'Leak Me3 pw''q'", secrets: ['Leak Me3'] },
  {
    sql: "CREATE USER MAPPING FOR rd_app SERVER rd_srv OPTIONS (user 'remote', password 'LeakMe4-Map')",
    secrets: ['LeakMe4-Map'],
  },
  {
    sql: "CREATE SERVER rd_srv2 FOREIGN DATA WRAPPER rd_fdw OPTIONS (host 'db.internal', password 'LeakMe5-Srv')",
    secrets: ['LeakMe5-Srv'],
  },
  {
    sql: "CREATE SUBSCRIPTION rd_sub CONNECTION 'host=10.0.0.9 user=rep password=LeakMe6-Sub' PUBLICATION p WITH (connect = false)",
    secrets: ['LeakMe6-Sub'],
    mayFail: true,
  },
  {
    sql: "SELECT pgp_sym_encrypt('card 4111111111111111', 'LeakMe7-Key')",
    secrets: ['LeakMe7-Key', '4111111111111111'],
    mayFail: true,
  },
  { sql: "SET rd.api_token = 'LeakMe8-Tok'", secrets: ['LeakMe8-Tok'] },
  {
    sql: "SELECT count(*) FROM rd_cards WHERE cc = '4000056655665556' AND note = $$LeakMe9-Dollar$$",
    secrets: ['4000056655665556', 'LeakMe9-Dollar'],
    literalsOnly: true,
  },
  { sql: "DO $body$ BEGIN PERFORM 'LeakMe10-Do'; END $body$", secrets: ['LeakMe10-Do'], literalsOnly: true },
  {
    sql: "ALTER ROLE rd_app PASSWORD E'LeakMe11\\'esc'",
    secrets: ['LeakMe11'],
  },
];

export const MYSQL_SECRETS: readonly SecretStatement[] = [
  { sql: "CREATE USER 'rd_app'@'localhost' IDENTIFIED BY 'LeakMy1-Pw-4242'", secrets: ['LeakMy1-Pw-4242'] },
  { sql: "ALTER USER 'rd_app'@'localhost' IDENTIFIED BY 'LeakMy2-Pw-888'", secrets: ['LeakMy2-Pw-888'] },
  { sql: "SET PASSWORD FOR 'rd_app'@'localhost' = PASSWORD('LeakMy3-Set')", secrets: ['LeakMy3-Set'] },
  {
    sql: "GRANT SELECT ON rd.* TO 'rd_app2'@'localhost' IDENTIFIED BY \"LeakMy4-Dq\"",
    secrets: ['LeakMy4-Dq'],
  },
  {
    sql: "SELECT AES_ENCRYPT('card 5555555555554444', 'LeakMy5-Key')",
    secrets: ['LeakMy5-Key', '5555555555554444'],
  },
  {
    sql: "SELECT COUNT(*) FROM rd_cards WHERE cc = '4111111111111111' AND note = 'LeakMy6-it\\'s'",
    secrets: ['4111111111111111', 'LeakMy6'],
    literalsOnly: true,
  },
  {
    sql: "CHANGE MASTER TO MASTER_HOST='10.0.0.9', MASTER_USER='rep', MASTER_PASSWORD='LeakMy7-Rep'",
    secrets: ['LeakMy7-Rep'],
    mayFail: true,
  },
  { sql: "SELECT 'LeakMy8-Plain' AS rd_note, SLEEP(0.3)", secrets: ['LeakMy8-Plain'], literalsOnly: true },
];
