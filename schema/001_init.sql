-- fnq schema, version 1. Applied by fnqd in one transaction, which also sets
-- PRAGMA application_id (0x666E7100, "fnq\0") and PRAGMA user_version = 1.
-- Times are integer milliseconds since the Unix epoch. A migration is never
-- edited once released: a change is a new file NNN_name.sql.

-- Registered functions. The definition is the JSON of SPEC §1 (to_json of
-- Function), so a new optional field needs no migration.
CREATE TABLE functions (
  name       TEXT PRIMARY KEY NOT NULL,
  definition TEXT NOT NULL,
  updated_at INTEGER NOT NULL
);

-- One row per call, kept small (no blobs) so that index lookups, claims and
-- list pages touch few pages even with millions of calls stored.
CREATE TABLE calls (
  id                   TEXT PRIMARY KEY NOT NULL,  -- UUIDv7: sorts by creation time
  -- No foreign key to functions: finished calls outlive a deleted function.
  function             TEXT NOT NULL,
  -- The checks are written as comparisons, not IN lists: SQLite builds an
  -- ephemeral table for an IN list on every row it checks (~40% of insert time).
  state                TEXT NOT NULL CHECK (state = 'waiting' OR state = 'queued' OR
                                            state = 'running' OR state = 'succeeded' OR
                                            state = 'failed' OR state = 'timed_out' OR
                                            state = 'cancelled' OR state = 'skipped'),
  attempt              INTEGER NOT NULL DEFAULT 0,  -- attempts started so far
  max_retries          INTEGER NOT NULL DEFAULT 0,
  exit_code            INTEGER,
  signal               INTEGER,
  error                TEXT,
  priority             INTEGER NOT NULL DEFAULT 0,
  sync                 INTEGER NOT NULL DEFAULT 0,  -- 1: a sync invocation, claimed before async calls
  key                  TEXT,                        -- idempotency key, unique per function
  input_from           TEXT,                        -- the call whose output becomes the input
  needs                TEXT,                        -- JSON array of call ids, for display; NULL if none
  pending_needs        INTEGER NOT NULL DEFAULT 0,  -- needs not yet terminal (0 unless waiting)
  created_at           INTEGER NOT NULL,
  run_at               INTEGER NOT NULL,
  started_at           INTEGER,
  finished_at          INTEGER,                     -- set exactly when the state is terminal
  exec_timeout_ms      INTEGER,                     -- per-call override
  input_size           INTEGER NOT NULL DEFAULT 0,
  output_size          INTEGER NOT NULL DEFAULT 0,  -- bytes written, even past max_output
  output_truncated     INTEGER NOT NULL DEFAULT 0,
  callback_url         TEXT,
  -- NULL without a callback_url; else 'pending' until delivered or failed.
  -- callback_next_at is NULL until the call is terminal, then the time of
  -- the next delivery attempt.
  callback_state       TEXT CHECK (callback_state = 'pending' OR callback_state = 'delivered' OR
                                   callback_state = 'failed'),
  callback_attempts    INTEGER NOT NULL DEFAULT 0,
  callback_last_status INTEGER,
  callback_next_at     INTEGER,
  request              TEXT                         -- JSON of RequestInfo (method, path, headers...)
);

-- Input (kind 0), output (1) and stderr tail (2), apart from the call rows.
-- Empty data is not stored. A rowid table: WITHOUT ROWID suits small rows only.
CREATE TABLE call_blobs (
  call_id TEXT NOT NULL,
  kind    INTEGER NOT NULL CHECK (kind BETWEEN 0 AND 2),
  data    BLOB NOT NULL,
  PRIMARY KEY (call_id, kind)
);

-- Dependency edges: call_id waits for needs_id. Edges of a needed call are
-- consumed (deleted) when it becomes terminal and its dependents are released
-- or skipped, so the table holds only edges still to be acted on.
CREATE TABLE call_needs (
  needs_id TEXT NOT NULL,
  call_id  TEXT NOT NULL,
  PRIMARY KEY (needs_id, call_id)
) WITHOUT ROWID;

-- claim: the next runnable calls in order, without a sort.
CREATE INDEX calls_claim ON calls (sync DESC, priority DESC, run_at, id) WHERE state = 'queued';
-- promote_due: waiting calls whose needs are done, by the time they may run.
CREATE INDEX calls_due ON calls (run_at) WHERE state = 'waiting' AND pending_needs = 0;
-- Idempotency: enforced inside the insert transaction.
CREATE UNIQUE INDEX calls_key ON calls (function, key) WHERE key IS NOT NULL;
-- prune: oldest terminal calls first.
CREATE INDEX calls_prune ON calls (finished_at) WHERE finished_at IS NOT NULL;
-- list_calls pages, newest first, by function or by state; also running
-- calls (state = 'running') and count_in_state.
CREATE INDEX calls_by_function ON calls (function, id);
CREATE INDEX calls_by_state ON calls (state, id);
-- due_callbacks and next_callback_at.
CREATE INDEX calls_callbacks ON calls (callback_next_at)
  WHERE callback_state = 'pending' AND callback_next_at IS NOT NULL;
