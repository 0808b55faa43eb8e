-- fnq schema for PostgreSQL, version 1: the tables of schema/001_init.sql,
-- plus the hosts of a cluster. Applied by fnqd in one transaction under an
-- advisory lock (hosts starting together do not race); fnq_schema records
-- the version. Times are integer milliseconds since the Unix epoch. A
-- migration is never edited once released: a change is a new file.
-- Identifiers compared by range or order use the "C" collation, so that
-- ordering is bytewise whatever the database's locale.

-- Registered functions; definition is the JSON of SPEC §1. concurrency is
-- copied out of it so that a claim can hold it across hosts.
CREATE TABLE functions (
  name        TEXT COLLATE "C" PRIMARY KEY,
  definition  TEXT NOT NULL,
  concurrency INTEGER,
  updated_at  BIGINT NOT NULL
);

CREATE TABLE calls (
  id                   TEXT COLLATE "C" PRIMARY KEY,  -- UUIDv7: sorts by creation time
  function             TEXT COLLATE "C" NOT NULL,
  state                TEXT NOT NULL CHECK (state IN ('waiting', 'queued', 'running', 'succeeded',
                                                      'failed', 'timed_out', 'cancelled',
                                                      'skipped')),
  attempt              INTEGER NOT NULL DEFAULT 0,  -- attempts started so far
  max_retries          INTEGER NOT NULL DEFAULT 0,
  exit_code            INTEGER,
  signal               INTEGER,
  error                TEXT,
  priority             INTEGER NOT NULL DEFAULT 0,
  sync                 SMALLINT NOT NULL DEFAULT 0,
  key                  TEXT COLLATE "C",
  input_from           TEXT COLLATE "C",
  needs                TEXT,
  pending_needs        INTEGER NOT NULL DEFAULT 0,
  created_at           BIGINT NOT NULL,
  run_at               BIGINT NOT NULL,
  started_at           BIGINT,
  finished_at          BIGINT,
  exec_timeout_ms      BIGINT,
  input_size           BIGINT NOT NULL DEFAULT 0,
  output_size          BIGINT NOT NULL DEFAULT 0,
  output_truncated     SMALLINT NOT NULL DEFAULT 0,
  callback_url         TEXT,
  callback_state       TEXT CHECK (callback_state IN ('pending', 'delivered', 'failed')),
  callback_attempts    INTEGER NOT NULL DEFAULT 0,
  callback_last_status INTEGER,
  callback_next_at     BIGINT,
  request              TEXT,
  -- The host running the current attempt (NULL unless running): an outcome
  -- is applied only by this host for this attempt.
  host                 TEXT,
  -- A cancel asked (on any host) while the call was running: the host
  -- running it sees this and stops the process.
  cancel_requested     SMALLINT NOT NULL DEFAULT 0
);

CREATE TABLE call_blobs (
  call_id TEXT COLLATE "C" NOT NULL,
  kind    SMALLINT NOT NULL CHECK (kind BETWEEN 0 AND 2),
  data    BYTEA NOT NULL,
  PRIMARY KEY (call_id, kind)
);

CREATE TABLE call_needs (
  needs_id TEXT COLLATE "C" NOT NULL,
  call_id  TEXT COLLATE "C" NOT NULL,
  PRIMARY KEY (needs_id, call_id)
);

-- One row per fnqd of the cluster. heartbeat_at is the database's clock,
-- so hosts' clocks need not agree.
CREATE TABLE hosts (
  name         TEXT COLLATE "C" PRIMARY KEY,
  started_at   BIGINT NOT NULL,
  heartbeat_at BIGINT NOT NULL
);

-- The host that runs cluster-wide maintenance (rescue), while expires_at
-- is in the future; it renews the row at each pass.
CREATE TABLE cluster_leader (
  id         INTEGER PRIMARY KEY CHECK (id = 1),
  host       TEXT NOT NULL,
  expires_at BIGINT NOT NULL
);

CREATE INDEX calls_claim ON calls (sync DESC, priority DESC, run_at, id) WHERE state = 'queued';
CREATE INDEX calls_due ON calls (run_at) WHERE state = 'waiting' AND pending_needs = 0;
CREATE UNIQUE INDEX calls_key ON calls (function, key) WHERE key IS NOT NULL;
CREATE INDEX calls_prune ON calls (finished_at) WHERE finished_at IS NOT NULL;
CREATE INDEX calls_by_function ON calls (function, id);
CREATE INDEX calls_by_state ON calls (state, id);
CREATE INDEX calls_callbacks ON calls (callback_next_at)
  WHERE callback_state = 'pending' AND callback_next_at IS NOT NULL;
-- Running calls by host (recovery, rescue) and by function (concurrency).
CREATE INDEX calls_running_by_host ON calls (host) WHERE state = 'running';
CREATE INDEX calls_running_by_function ON calls (function) WHERE state = 'running';
