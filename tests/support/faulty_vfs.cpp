#include "support/faulty_vfs.h"

#include <mutex>
#include <stdexcept>

namespace fnq::test {
namespace {

// The shared fault state: the writer thread and the test thread both use it.
struct FaultState {
  std::mutex mutex;
  bool armed = false;
  int remaining = 0;
  FaultyVfs::Fault fault = FaultyVfs::Fault::disk_full;
  bool persistent = true;
  bool fired = false;
};

FaultState& state() {
  static FaultState s;
  return s;
}

sqlite3_vfs* g_real = nullptr;

// SQLITE_OK, or the error this operation is to fail with.
int next_operation(int io_error_code) {
  FaultState& s = state();
  std::lock_guard<std::mutex> lock(s.mutex);
  if (!s.armed) {
    return SQLITE_OK;
  }
  if (s.remaining > 0) {
    --s.remaining;
    return SQLITE_OK;
  }
  s.fired = true;
  s.armed = s.persistent;
  return s.fault == FaultyVfs::Fault::disk_full ? SQLITE_FULL : io_error_code;
}

// Our file, followed in the same allocation by the real VFS's file.
struct FaultyFile {
  sqlite3_file base;
  sqlite3_file* real;
};

sqlite3_file* real_of(sqlite3_file* f) { return reinterpret_cast<FaultyFile*>(f)->real; }
const sqlite3_io_methods* real_methods(sqlite3_file* f) { return real_of(f)->pMethods; }

int x_close(sqlite3_file* f) { return real_methods(f)->xClose(real_of(f)); }

int x_read(sqlite3_file* f, void* buf, int amount, sqlite3_int64 offset) {
  return real_methods(f)->xRead(real_of(f), buf, amount, offset);
}

int x_write(sqlite3_file* f, const void* buf, int amount, sqlite3_int64 offset) {
  if (int rc = next_operation(SQLITE_IOERR_WRITE); rc != SQLITE_OK) {
    return rc;
  }
  return real_methods(f)->xWrite(real_of(f), buf, amount, offset);
}

int x_truncate(sqlite3_file* f, sqlite3_int64 size) {
  if (int rc = next_operation(SQLITE_IOERR_TRUNCATE); rc != SQLITE_OK) {
    return rc;
  }
  return real_methods(f)->xTruncate(real_of(f), size);
}

int x_sync(sqlite3_file* f, int flags) {
  if (int rc = next_operation(SQLITE_IOERR_FSYNC); rc != SQLITE_OK) {
    return rc;
  }
  return real_methods(f)->xSync(real_of(f), flags);
}

int x_file_size(sqlite3_file* f, sqlite3_int64* size) {
  return real_methods(f)->xFileSize(real_of(f), size);
}

int x_lock(sqlite3_file* f, int level) { return real_methods(f)->xLock(real_of(f), level); }
int x_unlock(sqlite3_file* f, int level) { return real_methods(f)->xUnlock(real_of(f), level); }

int x_check_reserved_lock(sqlite3_file* f, int* out) {
  return real_methods(f)->xCheckReservedLock(real_of(f), out);
}

int x_file_control(sqlite3_file* f, int op, void* arg) {
  return real_methods(f)->xFileControl(real_of(f), op, arg);
}

int x_sector_size(sqlite3_file* f) { return real_methods(f)->xSectorSize(real_of(f)); }

int x_device_characteristics(sqlite3_file* f) {
  return real_methods(f)->xDeviceCharacteristics(real_of(f));
}

int x_shm_map(sqlite3_file* f, int region, int size, int extend, void volatile** out) {
  return real_methods(f)->xShmMap(real_of(f), region, size, extend, out);
}

int x_shm_lock(sqlite3_file* f, int offset, int n, int flags) {
  return real_methods(f)->xShmLock(real_of(f), offset, n, flags);
}

void x_shm_barrier(sqlite3_file* f) { real_methods(f)->xShmBarrier(real_of(f)); }

int x_shm_unmap(sqlite3_file* f, int delete_flag) {
  return real_methods(f)->xShmUnmap(real_of(f), delete_flag);
}

int x_fetch(sqlite3_file* f, sqlite3_int64 offset, int amount, void** out) {
  return real_methods(f)->xFetch(real_of(f), offset, amount, out);
}

int x_unfetch(sqlite3_file* f, sqlite3_int64 offset, void* p) {
  return real_methods(f)->xUnfetch(real_of(f), offset, p);
}

const sqlite3_io_methods k_methods = {
    3,
    x_close,
    x_read,
    x_write,
    x_truncate,
    x_sync,
    x_file_size,
    x_lock,
    x_unlock,
    x_check_reserved_lock,
    x_file_control,
    x_sector_size,
    x_device_characteristics,
    x_shm_map,
    x_shm_lock,
    x_shm_barrier,
    x_shm_unmap,
    x_fetch,
    x_unfetch,
};

int x_open(sqlite3_vfs*, const char* name, sqlite3_file* f, int flags, int* out_flags) {
  auto* file = reinterpret_cast<FaultyFile*>(f);
  file->real = reinterpret_cast<sqlite3_file*>(file + 1);
  int rc = g_real->xOpen(g_real, name, file->real, flags, out_flags);
  // Without methods, SQLite will not call xClose: the real open failed.
  file->base.pMethods = file->real->pMethods ? &k_methods : nullptr;
  return rc;
}

int x_delete(sqlite3_vfs*, const char* name, int sync_dir) {
  return g_real->xDelete(g_real, name, sync_dir);
}

int x_access(sqlite3_vfs*, const char* name, int flags, int* out) {
  return g_real->xAccess(g_real, name, flags, out);
}

int x_full_pathname(sqlite3_vfs*, const char* name, int n, char* out) {
  return g_real->xFullPathname(g_real, name, n, out);
}

void* x_dl_open(sqlite3_vfs*, const char* path) { return g_real->xDlOpen(g_real, path); }
void x_dl_error(sqlite3_vfs*, int n, char* out) { g_real->xDlError(g_real, n, out); }
void (*x_dl_sym(sqlite3_vfs*, void* lib, const char* sym))(void) {
  return g_real->xDlSym(g_real, lib, sym);
}
void x_dl_close(sqlite3_vfs*, void* lib) { g_real->xDlClose(g_real, lib); }
int x_randomness(sqlite3_vfs*, int n, char* out) { return g_real->xRandomness(g_real, n, out); }
int x_sleep(sqlite3_vfs*, int micros) { return g_real->xSleep(g_real, micros); }
int x_current_time(sqlite3_vfs*, double* out) { return g_real->xCurrentTime(g_real, out); }
int x_get_last_error(sqlite3_vfs*, int n, char* out) {
  return g_real->xGetLastError(g_real, n, out);
}
int x_current_time_int64(sqlite3_vfs*, sqlite3_int64* out) {
  return g_real->xCurrentTimeInt64(g_real, out);
}

sqlite3_vfs make_vfs() {
  sqlite3_vfs v{};
  v.iVersion = 2;
  v.szOsFile = static_cast<int>(sizeof(FaultyFile)) + g_real->szOsFile;
  v.mxPathname = g_real->mxPathname;
  v.zName = FaultyVfs::k_name;
  v.xOpen = x_open;
  v.xDelete = x_delete;
  v.xAccess = x_access;
  v.xFullPathname = x_full_pathname;
  v.xDlOpen = x_dl_open;
  v.xDlError = x_dl_error;
  v.xDlSym = x_dl_sym;
  v.xDlClose = x_dl_close;
  v.xRandomness = x_randomness;
  v.xSleep = x_sleep;
  v.xCurrentTime = x_current_time;
  v.xGetLastError = x_get_last_error;
  v.xCurrentTimeInt64 = x_current_time_int64;
  return v;
}

}  // namespace

FaultyVfs& FaultyVfs::instance() {
  static FaultyVfs controller = [] {
    g_real = sqlite3_vfs_find(nullptr);
    if (!g_real || g_real->iVersion < 2 || !g_real->xCurrentTimeInt64) {
      throw std::runtime_error("the default SQLite VFS is too old to wrap");
    }
    static sqlite3_vfs vfs = make_vfs();
    if (sqlite3_vfs_register(&vfs, 0) != SQLITE_OK) {
      throw std::runtime_error("cannot register the fnq-faulty VFS");
    }
    return FaultyVfs();
  }();
  return controller;
}

void FaultyVfs::arm(int after, Fault fault, bool persistent) {
  FaultState& s = state();
  std::lock_guard<std::mutex> lock(s.mutex);
  s.armed = true;
  s.remaining = after;
  s.fault = fault;
  s.persistent = persistent;
  s.fired = false;
}

void FaultyVfs::clear() {
  FaultState& s = state();
  std::lock_guard<std::mutex> lock(s.mutex);
  s.armed = false;
}

bool FaultyVfs::fired() const {
  FaultState& s = state();
  std::lock_guard<std::mutex> lock(s.mutex);
  return s.fired;
}

}  // namespace fnq::test
