#include "daemon/store/sqlite_space.h"

#include <sys/stat.h>
#include <sys/statvfs.h>

#include <cstdio>

namespace fnq {
namespace {

// The WAL index (-shm) takes 32 KiB per 4096 frames of the WAL; a frame is
// a page (4 KiB by default) and a 24-byte header.
constexpr std::uint64_t k_shm_block = 32 * 1024;
constexpr std::uint64_t k_frames_per_shm_block = 4096;
constexpr std::uint64_t k_wal_frame = 4096 + 24;

std::uint64_t file_size(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 ? static_cast<std::uint64_t>(st.st_size) : 0;
}

bool file_exists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

std::string directory_of(const std::string& path) {
  auto slash = path.rfind('/');
  if (slash == std::string::npos) {
    return ".";
  }
  return slash == 0 ? "/" : path.substr(0, slash);
}

// What a full checkpoint adds to the database file: in WAL mode page_count
// is the size after the last commit, which the file reaches once merged.
Result<std::uint64_t> checkpoint_growth(Database& db) {
  FNQ_TRY_ASSIGN(std::int64_t pages, db.query_int("PRAGMA page_count"));
  FNQ_TRY_ASSIGN(std::int64_t page_size, db.query_int("PRAGMA page_size"));
  auto merged = static_cast<std::uint64_t>(pages * page_size);
  std::uint64_t now = file_size(db.path());
  return merged > now ? merged - now : 0;
}

}  // namespace

std::optional<std::uint64_t> free_bytes_near(const std::string& path) {
  struct statvfs fs {};
  if (::statvfs(directory_of(path).c_str(), &fs) != 0) {
    return std::nullopt;
  }
  return static_cast<std::uint64_t>(fs.f_bavail) * fs.f_frsize;
}

std::string rough_size(std::uint64_t bytes) {
  constexpr std::uint64_t k_kib = 1024;
  constexpr std::uint64_t k_mib = 1024 * 1024;
  char buf[32];
  if (bytes < k_mib) {
    std::snprintf(buf, sizeof buf, "%llu KiB",
                  static_cast<unsigned long long>((bytes + k_kib - 1) / k_kib));
  } else {
    std::uint64_t tenths = (bytes * 10 + k_mib - 1) / k_mib;
    std::snprintf(buf, sizeof buf, "%llu.%llu MiB", static_cast<unsigned long long>(tenths / 10),
                  static_cast<unsigned long long>(tenths % 10));
  }
  return buf;
}

Status checkpoint_before_close(Database& db) {
  const std::string wal = db.path() + "-wal";
  if (file_size(wal) == 0) {
    return {};  // nothing to merge; closing only removes the files
  }
  std::string kept = "kept the write-ahead log " + wal + " (" + rough_size(file_size(wal)) +
                     ") for the next start instead of merging it into the database";
  auto growth = checkpoint_growth(db);
  if (!growth) {
    db.keep_wal_at_close();
    return make_error(growth.error().kind, kept + ": " + growth.error().message);
  }
  std::uint64_t need = *growth + k_room_to_start;
  auto free = free_bytes_near(db.path());
  if (free && *free < need) {
    db.keep_wal_at_close();
    return make_error(ErrorKind::disk_full,
                      kept + ": merging needs about " + rough_size(need) +
                          " free on the filesystem of " + directory_of(db.path()) + ", which has " +
                          rough_size(*free) + " (it is merged once there is room)");
  }
  Status merged = db.run("PRAGMA wal_checkpoint(TRUNCATE)");
  if (!merged) {
    db.keep_wal_at_close();
    return make_error(merged.error().kind, kept + ": " + merged.error().message);
  }
  return {};
}

Error explain_open_error(const std::string& path, Error error) {
  if (error.kind != ErrorKind::disk_full && error.kind != ErrorKind::io) {
    return error;
  }
  auto free = free_bytes_near(path);
  std::uint64_t wal = file_size(path + "-wal");
  std::uint64_t shm = file_exists(path + "-shm")
                          ? 0
                          : (wal / k_wal_frame / k_frames_per_shm_block + 1) * k_shm_block;
  // Opening needs the index and room for the first commits; working on
  // needs room to merge the WAL too.
  std::uint64_t to_open = shm + k_room_to_start;
  if (!free || (error.kind == ErrorKind::io && *free >= to_open)) {
    return error;  // not for want of space, as far as can be told
  }
  std::uint64_t need = wal + to_open;
  std::uint64_t missing = *free < need ? need - *free : k_room_to_start;
  std::string why = wal > 0 ? "fnqd needs room to merge " + path + "-wal (" + rough_size(wal) +
                                  ") into the database and to take new writes"
                            : "fnqd needs room for the database's index and new writes";
  return make_error(ErrorKind::disk_full,
                    "cannot open database " + path + ": no space left on device (free at least " +
                        rough_size(missing) + " on the filesystem of " + directory_of(path) +
                        ", which has " + rough_size(*free) + " free: " + why + ")");
}

}  // namespace fnq
