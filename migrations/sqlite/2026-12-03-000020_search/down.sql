DELETE FROM settings WHERE name = 'database_id';
