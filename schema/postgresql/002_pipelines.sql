-- fnq schema for PostgreSQL, version 2: pipelines, as schema/002_pipelines.sql.
CREATE TABLE pipelines (
  id          TEXT COLLATE "C" PRIMARY KEY,
  name        TEXT,
  key         TEXT COLLATE "C",
  stage_count INTEGER NOT NULL,
  created_at  BIGINT NOT NULL
);
CREATE UNIQUE INDEX pipelines_key ON pipelines (key) WHERE key IS NOT NULL;

ALTER TABLE calls ADD COLUMN pipeline TEXT COLLATE "C";
ALTER TABLE calls ADD COLUMN stage TEXT;
CREATE INDEX calls_by_pipeline ON calls (pipeline, id) WHERE pipeline IS NOT NULL;
