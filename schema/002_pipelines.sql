-- fnq schema, version 2: pipelines (named stages submitted in one request).
-- A pipeline's calls carry its id and their stage name; its state is derived
-- from them. A pipeline row goes when retention has pruned all its calls.
CREATE TABLE pipelines (
  id          TEXT PRIMARY KEY NOT NULL,  -- UUIDv7, as call ids
  name        TEXT,
  key         TEXT,                       -- idempotency key of the whole pipeline
  stage_count INTEGER NOT NULL,
  created_at  INTEGER NOT NULL
);
CREATE UNIQUE INDEX pipelines_key ON pipelines (key) WHERE key IS NOT NULL;

ALTER TABLE calls ADD COLUMN pipeline TEXT;
ALTER TABLE calls ADD COLUMN stage TEXT;
-- GET /v1/pipelines/{id}, ?pipeline= and a pipeline's counts by state.
CREATE INDEX calls_by_pipeline ON calls (pipeline, id) WHERE pipeline IS NOT NULL;
