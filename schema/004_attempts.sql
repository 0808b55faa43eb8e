-- fnq schema, version 4: a call's earlier attempts, each an attempt that
-- ended and was followed by another (a retry, a requeue after a restart, a
-- manual retry), as a JSON array, oldest first:
--   [{"attempt": 1, "started_at": ms, "finished_at": ms, "state": "failed",
--     "exit_code": 1, "signal": null, "error": "exit status 1"}, ...]
-- NULL for a call that never ran again: written only by the statement that
-- requeues a call, so inserting calls costs nothing more (no default, no
-- trigger, no index).
ALTER TABLE calls ADD COLUMN attempts TEXT;
