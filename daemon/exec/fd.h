#pragma once
// Pipes and descriptor flags for the executor. Every descriptor it opens is
// close-on-exec, so a child inherits only the 0/1/2 it is explicitly given.
#include "common/fd.h"
#include "common/result.h"

namespace fnq {

// Both ends of a pipe, close-on-exec.
struct Pipe {
  Fd read;
  Fd write;
  static Result<Pipe> create();
};

Status set_nonblocking(const Fd& fd);

// Renumbers fd to 3 or above (still close-on-exec), so that a child's
// dup2() onto 0/1/2 can neither clobber another pipe end nor hit
// dup2(fd, fd), which would leave close-on-exec set. Matters only when the
// daemon runs with some of 0/1/2 closed.
Status move_above_stdio(Fd& fd);

}  // namespace fnq
