DROP TABLE maintenance_runs;
DROP TABLE backup_runs;
