-- This database's identity, for what is derived from it elsewhere: a node's search index records
-- the database it was built from, and is rebuilt when it finds another (a restore, a new database
-- at the same address).
INSERT INTO settings (name, value) VALUES ('database_id', gen_random_uuid()::text);
