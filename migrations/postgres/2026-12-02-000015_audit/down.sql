DROP TABLE audit_log;
DROP FUNCTION muni_audit_append_only();
