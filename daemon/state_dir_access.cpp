// Checking who may use the state directory, and locking it.
#include <grp.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "common/fd.h"
#include "daemon/state_dir.h"

namespace fnq {
namespace {

std::string mode_text(mode_t mode) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "%04o", static_cast<unsigned>(mode & 07777));
  return buf;
}

std::string group_name(gid_t gid) {
  const group* g = getgrgid(gid);
  return g ? g->gr_name : std::to_string(gid);
}

// One file's access beyond its owner: group `group_bits` -> a warning,
// `world_bits` -> a refusal unless allow_open.
Status check_one(const std::string& path, const std::string& what, mode_t group_bits,
                 mode_t world_bits, bool allow_open, std::vector<std::string>* warnings) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) {
      return {};
    }
    return make_error(ErrorKind::io, "cannot stat " + path + ": " + errno_text(errno));
  }
  std::string mode = "mode " + mode_text(st.st_mode);
  if ((st.st_mode & world_bits) != 0) {
    std::string open = what + " " + path + " is open to every user (" + mode + ")";
    if (!allow_open) {
      return make_error(ErrorKind::invalid_input,
                        open + ": anyone could read the token and run functions (run chmod o-rwx " +
                            path + ", or start fnqd with --allow-open-state-dir)");
    }
    warnings->push_back(open + ", allowed by --allow-open-state-dir");
  }
  if ((st.st_mode & group_bits) != 0) {
    warnings->push_back(what + " " + path + " is open to group " + group_name(st.st_gid) + " (" +
                        mode + "); its members can read the token and run functions");
  }
  return {};
}

}  // namespace

Result<std::vector<std::string>> check_state_dir_access(const std::string& dir, bool check_token,
                                                        bool allow_open) {
  std::vector<std::string> warnings;
  FNQ_TRY(check_one(dir, "state directory", S_IRGRP | S_IWGRP, S_IRWXO, allow_open, &warnings));
  if (check_token) {
    FNQ_TRY(check_one(dir + "/token", "token file", S_IRGRP | S_IWGRP, S_IROTH | S_IWOTH,
                      allow_open, &warnings));
  }
  return warnings;
}

Result<StateDir> open_state_dir(const std::string& dir, bool want_token, bool allow_open) {
  FNQ_TRY(ensure_state_dir(dir));
  FNQ_TRY_ASSIGN(auto warnings, check_state_dir_access(dir, want_token, allow_open));
  StateDir state;
  state.warnings = std::move(warnings);
  auto lock = LockFile::acquire(dir + "/fnqd.lock", "state directory " + dir);
  if (!lock) {
    Error e = lock.error();
    if (e.kind == ErrorKind::conflict) {
      e.message += " (stop it first, or give this fnqd its own --state-dir)";
    }
    return e;
  }
  state.lock = std::move(lock).value();
  if (want_token) {
    FNQ_TRY_ASSIGN(auto token, load_or_create_token(dir));
    state.token = std::move(token);
  }
  return state;
}

}  // namespace fnq
