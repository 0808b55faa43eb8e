#pragma once
// The files fnqd keeps in its state directory.
#include <string>
#include <vector>

#include "common/result.h"
#include "daemon/store/lock_file.h"

namespace fnq {

// Creates the directory (mode 0700) and its parents if missing.
Status ensure_state_dir(const std::string& dir);
// The mode of the files clients read (token, fnqd.json): 0640 when the
// directory's group may read it (a system service shares its state with a
// group: directory 0750), else 0600. The database stays 0600 either way.
int shared_file_mode(const std::string& dir);
// Reads STATE_DIR/token, creating it (32 random bytes, hex, shared_file_mode)
// if absent.
Result<std::string> load_or_create_token(const std::string& dir);
// The token in `path` (--token-file), copied to STATE_DIR/token
// (shared_file_mode) so that fnq on this host finds it as usual.
Result<std::string> use_token_file(const std::string& path, const std::string& dir);
// Writes content to path atomically: a temp file with exactly `mode`
// (whatever the umask), fsync, rename.
Status write_file_atomic(const std::string& path, const std::string& content, int mode);

// Who besides its owner may use the state directory and the token: its
// group may (a packaged service shares them with an "fnq" group: directory
// 0750, token 0640), with a warning; every other user may not, since the
// token lets its reader run any function, unless allow_open (then that is a
// warning too). A missing token is not checked (it is created with
// shared_file_mode).
// Returns the warnings to log.
Result<std::vector<std::string>> check_state_dir_access(const std::string& dir, bool check_token,
                                                        bool allow_open);

// The state directory, ready for the daemon: created, its access checked,
// locked (STATE_DIR/fnqd.lock, for the daemon's life: a second fnqd on it is
// refused, naming the holder's pid), and its token read or created.
struct StateDir {
  LockFile lock;
  std::string token;                  // empty unless want_token
  std::vector<std::string> warnings;  // for the log
};
Result<StateDir> open_state_dir(const std::string& dir, bool want_token, bool allow_open);

}  // namespace fnq
