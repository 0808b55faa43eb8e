#pragma once
// Room on the database's filesystem. Merging the write-ahead log into the
// database (a checkpoint) grows the database file by up to what the WAL
// holds, so on a nearly full disk a checkpoint at stop could fill it, and
// the next start would find no room. So: the last checkpoint is made only
// when it leaves room to start again, a failed one keeps the WAL (nothing is
// lost: the next open reads it), and an open that fails for want of space
// says what to free.
#include <cstdint>
#include <optional>
#include <string>

#include "daemon/store/sqlite.h"

namespace fnq {

// Bytes that must stay free after the last checkpoint: the next start
// writes the WAL index (-shm), fnqd.json and its first commits.
inline constexpr std::uint64_t k_room_to_start = 256 * 1024;

// Free bytes (for an unprivileged user) on the filesystem holding path.
std::optional<std::uint64_t> free_bytes_near(const std::string& path);

// "1.3 MiB", "12 KiB": rounded up, for messages.
std::string rough_size(std::uint64_t bytes);

// Before the writer's connection, the last one open, is closed: merges the
// WAL into the database and truncates it (checkpoint TRUNCATE) if the disk
// has room for that and k_room_to_start; otherwise, or if the checkpoint
// fails, tells SQLite not to checkpoint at close, so the WAL is kept whole.
// The error says why the WAL was kept (for the log).
Status checkpoint_before_close(Database& db);

// An error opening the database at `path`, said again when a full disk
// looks like its cause: how much to free, and where.
Error explain_open_error(const std::string& path, Error error);

}  // namespace fnq
