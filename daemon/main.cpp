#include <sys/prctl.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <stdexcept>
#include <thread>

#include "daemon/daemon.h"
#include "daemon/memory.h"

namespace {

// What an exception says, for the error line.
const char* describe(const std::exception_ptr& error) {
  try {
    std::rethrow_exception(error);
  } catch (const std::exception& e) {
    return e.what();
  } catch (...) {
    return "an exception of unknown type";
  }
}

// An exception that escapes a thread ends here: one error line, then abort
// (the process cannot go on, and a core dump shows where it was thrown).
[[noreturn]] void on_terminate() {
  std::exception_ptr error = std::current_exception();
  std::fprintf(stderr, "fnqd: error: internal error: %s (please report it)\n",
               error ? describe(error) : "std::terminate called");
  std::abort();
}

// FNQD_INJECT_FAILURE=main|thread makes fnqd throw at start, in the main thread
// or in another one, so that tests can check the handlers above. Unset, it
// costs one getenv.
void inject_failure() {
  const char* where = std::getenv("FNQD_INJECT_FAILURE");
  if (where == nullptr) {
    return;
  }
  if (std::strcmp(where, "main") == 0) {
    throw std::runtime_error("injected failure (FNQD_INJECT_FAILURE=main)");
  }
  if (std::strcmp(where, "thread") == 0) {
    std::thread([] {
      throw std::runtime_error("injected failure (FNQD_INJECT_FAILURE=thread)");
    }).join();
  }
}

}  // namespace

// Processes that leave a call's process group are reparented to fnqd rather
// than to init, so the executor can find and kill them when the call ends
// (daemon/exec/escapes.h). An exception that reaches main ends fnqd with an
// error line and exit status 1 instead of std::terminate.
int main(int argc, char** argv) {
  std::set_terminate(on_terminate);
  prctl(PR_SET_CHILD_SUBREAPER, 1);
  fnq::set_up_allocator();
  try {
    inject_failure();
    return fnq::run_daemon(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "fnqd: error: internal error: %s (please report it)\n", e.what());
  } catch (...) {
    std::fprintf(stderr,
                 "fnqd: error: internal error: an exception of unknown type (please report it)\n");
  }
  return 1;
}
