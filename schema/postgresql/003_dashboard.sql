-- fnq schema for PostgreSQL, version 3: what the dashboard reads, kept by
-- triggers (see schema/003_dashboard.sql). The counters are split into 16
-- shards by the writing backend, so that concurrent transactions on
-- different connections do not wait on each other's counter rows; readers
-- add the shards up.

-- Calls of one function in one state, newest first: the calls page with
-- both filters (state=failed&function=resize) reads only what it shows,
-- even when the function has no call in that state.
CREATE INDEX calls_by_function_state ON calls (function, state, id);

CREATE TABLE call_counts (
  function TEXT COLLATE "C" NOT NULL,
  state    TEXT NOT NULL,
  shard    SMALLINT NOT NULL,
  n        BIGINT NOT NULL,
  PRIMARY KEY (function, state, shard)
);

INSERT INTO call_counts (function, state, shard, n)
  SELECT function, state, 0, count(*) FROM calls GROUP BY function, state;

CREATE TABLE call_finishes (
  minute BIGINT NOT NULL,
  state  TEXT NOT NULL,
  shard  SMALLINT NOT NULL,
  n      BIGINT NOT NULL,
  PRIMARY KEY (minute, state, shard)
);

INSERT INTO call_finishes (minute, state, shard, n)
  SELECT finished_at / 60000, state, 0, count(*) FROM calls
  WHERE finished_at IS NOT NULL GROUP BY finished_at / 60000, state;

CREATE TABLE call_dependents (
  needs_id TEXT COLLATE "C" NOT NULL,
  call_id  TEXT COLLATE "C" NOT NULL,
  PRIMARY KEY (needs_id, call_id)
);

INSERT INTO call_dependents (needs_id, call_id)
  SELECT DISTINCT j.value, c.id FROM calls c, json_array_elements_text(c.needs::json) j
  WHERE c.needs IS NOT NULL
  ON CONFLICT DO NOTHING;

CREATE FUNCTION fnq_count_call(fn TEXT, st TEXT, delta BIGINT) RETURNS void AS $$
  INSERT INTO call_counts (function, state, shard, n)
    VALUES (fn, st, pg_backend_pid() % 16, delta)
    ON CONFLICT (function, state, shard) DO UPDATE SET n = call_counts.n + delta;
$$ LANGUAGE sql;

CREATE FUNCTION fnq_count_finish(fin BIGINT, st TEXT) RETURNS void AS $$
  INSERT INTO call_finishes (minute, state, shard, n)
    VALUES (fin / 60000, st, pg_backend_pid() % 16, 1)
    ON CONFLICT (minute, state, shard) DO UPDATE SET n = call_finishes.n + 1;
$$ LANGUAGE sql;

CREATE FUNCTION fnq_calls_counted() RETURNS trigger AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    PERFORM fnq_count_call(NEW.function, NEW.state, 1);
    IF NEW.finished_at IS NOT NULL THEN
      PERFORM fnq_count_finish(NEW.finished_at, NEW.state);
    END IF;
    IF NEW.needs IS NOT NULL THEN
      INSERT INTO call_dependents (needs_id, call_id)
        SELECT value, NEW.id FROM json_array_elements_text(NEW.needs::json)
        ON CONFLICT DO NOTHING;
    END IF;
    RETURN NULL;
  ELSIF TG_OP = 'UPDATE' THEN
    IF OLD.state IS DISTINCT FROM NEW.state THEN
      PERFORM fnq_count_call(OLD.function, OLD.state, -1);
      PERFORM fnq_count_call(NEW.function, NEW.state, 1);
      IF NEW.finished_at IS NOT NULL AND OLD.finished_at IS NULL THEN
        PERFORM fnq_count_finish(NEW.finished_at, NEW.state);
      END IF;
    END IF;
    RETURN NULL;
  ELSE
    PERFORM fnq_count_call(OLD.function, OLD.state, -1);
    IF OLD.needs IS NOT NULL THEN
      DELETE FROM call_dependents WHERE call_id = OLD.id
        AND needs_id IN (SELECT value FROM json_array_elements_text(OLD.needs::json));
    END IF;
    RETURN NULL;
  END IF;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER calls_counted AFTER INSERT OR UPDATE OF state OR DELETE ON calls
  FOR EACH ROW EXECUTE FUNCTION fnq_calls_counted();
