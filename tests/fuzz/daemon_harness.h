#pragma once
// fnqd's parts in the fuzzing process: a store in a temporary directory, the
// function registry, and the HTTP server with its real routes, listening on
// 127.0.0.1 with --auth none. The scheduler is built but never started, so
// nothing a fuzz input submits ever runs, and long polls are bounded by a
// short --write-timeout. Built once, on first use, and never torn down (the
// temporary directory is removed at exit).
#include "daemon/api/context.h"

namespace fnq::fuzz {

struct FuzzDaemon {
  ApiContext* ctx = nullptr;
  int port = 0;
};

FuzzDaemon& fuzz_daemon();

}  // namespace fnq::fuzz
