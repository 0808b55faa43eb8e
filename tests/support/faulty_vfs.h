#pragma once
// A SQLite VFS that fails writes on demand, for fault-injection tests (the
// model is SQLite's own I/O-error tests: test_vfs.c, ioerr.test).
//
// Registered as "fnq-faulty" (not the default), it hands every call to the
// default unix VFS. Once armed, it lets `after` more write, sync and truncate
// operations through (on any file: database, WAL, journal), then fails the
// next one with the chosen error, and every later one too when persistent,
// until cleared. Open a store with SqliteOptions::vfs = FaultyVfs::k_name.
#include <sqlite3.h>

namespace fnq::test {

class FaultyVfs {
 public:
  static constexpr const char* k_name = "fnq-faulty";

  enum class Fault {
    disk_full,  // SQLITE_FULL, as the unix VFS reports ENOSPC
    io_error,   // SQLITE_IOERR_WRITE / _FSYNC / _TRUNCATE
  };

  // Registers the VFS on first use; the same controller for the whole process.
  static FaultyVfs& instance();

  void arm(int after, Fault fault, bool persistent);
  void clear();
  // Whether a fault fired since the last arm().
  bool fired() const;
};

}  // namespace fnq::test
