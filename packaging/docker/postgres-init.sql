-- The monitoring role dbdiag uses (README, "PostgreSQL targets"): pg_monitor, no superuser.
CREATE ROLE dbdiag LOGIN PASSWORD 'dbdiag-example' IN ROLE pg_monitor;
CREATE EXTENSION IF NOT EXISTS pg_stat_statements;
