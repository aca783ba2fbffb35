-- The monitoring account dbdiag uses (README, "The monitoring account"; `dbdiag grants`).
CREATE USER 'dbdiag'@'%' IDENTIFIED BY 'dbdiag-example';
GRANT PROCESS, REPLICATION CLIENT ON *.* TO 'dbdiag'@'%';
GRANT SELECT ON performance_schema.* TO 'dbdiag'@'%';
GRANT SHOW VIEW ON *.* TO 'dbdiag'@'%';
