-- fnq schema for PostgreSQL, version 4: a call's earlier attempts, as
-- schema/004_attempts.sql (a JSON array as text, NULL until the call runs
-- again; adding a nullable column without a default rewrites no row).
ALTER TABLE calls ADD COLUMN attempts TEXT;
