-- fnq schema, version 3: what the dashboard reads, kept by triggers (and,
-- for inserts, by the store) so that it costs a few index lookups however
-- many calls are stored (a count(*) over a million calls reads every row:
-- about a second).

-- Calls of one function in one state, newest first: the calls page with
-- both filters (state=failed&function=resize) reads only what it shows,
-- even when the function has no call in that state.
-- It replaces calls_by_function (function, id): a function's calls newest
-- first are read as one walk per state, merged (queries.h), so each write
-- keeps one index on function, not two.
CREATE INDEX calls_by_function_state ON calls (function, state, id);
DROP INDEX calls_by_function;

-- Calls per function and state, kept by every insert, state change and
-- delete of a call. Rows whose count fell to 0 stay (they are few).
CREATE TABLE call_counts (
  function TEXT NOT NULL,
  state    TEXT NOT NULL,
  n        INTEGER NOT NULL,
  PRIMARY KEY (function, state)
) WITHOUT ROWID;

INSERT INTO call_counts (function, state, n)
  SELECT function, state, count(*) FROM calls GROUP BY function, state;

-- Calls that became terminal, per minute (finished_at / 60000) and state:
-- the dashboard's throughput chart. A retried call counts each time it
-- ends. Rows are deleted with the calls they outlive (Store::prune).
CREATE TABLE call_finishes (
  minute INTEGER NOT NULL,
  state  TEXT NOT NULL,
  n      INTEGER NOT NULL,
  PRIMARY KEY (minute, state)
) WITHOUT ROWID;

INSERT INTO call_finishes (minute, state, n)
  SELECT finished_at / 60000, state, count(*) FROM calls
  WHERE finished_at IS NOT NULL GROUP BY finished_at / 60000, state;

-- Every dependency edge for as long as the dependent call exists (call_needs
-- holds only the edges still to be acted on): the dashboard links a call to
-- the calls that need it.
CREATE TABLE call_dependents (
  needs_id TEXT NOT NULL,
  call_id  TEXT NOT NULL,
  PRIMARY KEY (needs_id, call_id)
) WITHOUT ROWID;

INSERT OR IGNORE INTO call_dependents (needs_id, call_id)
  SELECT j.value, c.id FROM calls c, json_each(c.needs) j WHERE c.needs IS NOT NULL;

-- A call inserted is counted by the store (SqliteStore::submit: one upsert
-- per function and state, and per minute for calls skipped at once, per
-- batch; its dependency edges): an AFTER INSERT trigger, even one whose WHEN
-- is false, cost a third of a large batch's time.

CREATE TRIGGER calls_counted_update AFTER UPDATE OF state ON calls
  WHEN OLD.state IS NOT NEW.state BEGIN
  UPDATE call_counts SET n = n - 1 WHERE function = OLD.function AND state = OLD.state;
  INSERT INTO call_counts (function, state, n) VALUES (NEW.function, NEW.state, 1)
    ON CONFLICT (function, state) DO UPDATE SET n = n + 1;
  INSERT INTO call_finishes (minute, state, n)
    SELECT NEW.finished_at / 60000, NEW.state, 1
    WHERE NEW.finished_at IS NOT NULL AND OLD.finished_at IS NULL
    ON CONFLICT (minute, state) DO UPDATE SET n = n + 1;
END;

CREATE TRIGGER calls_counted_delete AFTER DELETE ON calls BEGIN
  UPDATE call_counts SET n = n - 1 WHERE function = OLD.function AND state = OLD.state;
  DELETE FROM call_dependents WHERE call_id = OLD.id
    AND needs_id IN (SELECT value FROM json_each(OLD.needs) WHERE OLD.needs IS NOT NULL);
END;
