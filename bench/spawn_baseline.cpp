// Baseline for benchmark 3: posix_spawnp + waitpid of `true`, N times, one
// at a time (the least a queue that runs N processes must do).
// Usage: spawn_baseline N. Prints "spawns=N seconds=S per_s=R".
#include <spawn.h>
#include <sys/wait.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>

extern char** environ;

int main(int argc, char** argv) {
  long n = argc > 1 ? std::atol(argv[1]) : 2000;
  char arg0[] = "true";
  char* args[] = {arg0, nullptr};
  auto start = std::chrono::steady_clock::now();
  for (long i = 0; i < n; ++i) {
    pid_t pid = 0;
    if (posix_spawnp(&pid, "true", nullptr, nullptr, args, environ) != 0) {
      std::perror("posix_spawnp");
      return 1;
    }
    int status = 0;
    if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
      std::fprintf(stderr, "spawn_baseline: true failed\n");
      return 1;
    }
  }
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("spawns=%ld seconds=%.3f per_s=%.0f\n", n, secs, n / secs);
  return 0;
}
