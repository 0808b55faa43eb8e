#pragma once
// The files fnqd keeps in its state directory.
#include <string>

#include "common/result.h"

namespace fnq {

// Creates the directory (mode 0700) and its parents if missing.
Status ensure_state_dir(const std::string& dir);
// Reads STATE_DIR/token, creating it (32 random bytes, hex, mode 0600) if absent.
Result<std::string> load_or_create_token(const std::string& dir);
// The token in `path` (--token-file), copied to STATE_DIR/token (mode 0600)
// so that fnq on this host finds it as usual.
Result<std::string> use_token_file(const std::string& path, const std::string& dir);
// Writes content to path atomically: a temp file, fsync, rename.
Status write_file_atomic(const std::string& path, const std::string& content, int mode);

}  // namespace fnq
