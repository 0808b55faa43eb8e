#pragma once

namespace fnq {

// fnqd's whole life: parse flags, open the store, serve until SIGTERM/SIGINT,
// stop gracefully. Returns the process exit code.
int run_daemon(int argc, char** argv);

}  // namespace fnq
