#pragma once
// Processes that left a call's process group (setsid, setpgid, a double fork)
// survive the kill of that group when the call ends. fnqd makes itself a
// child subreaper (PR_SET_CHILD_SUBREAPER, set in daemon/main.cpp), so such a
// process is reparented to fnqd's main thread instead of init once its parent
// exits. When a call ends, the executor walks the trees under the main
// thread's children and kills those whose environment carries the call's
// FNQ_CALL_ID, then reaps what it adopted. It reads one /proc file when
// nothing escaped.
//
// What remains possible: a process that clears FNQ_CALL_ID from its
// environment, or that runs as another user (its environment is unreadable),
// is not recognised and lives on (it is reaped when it exits).
#include <sys/types.h>

#include <string>

namespace fnq {

// The value of FNQ_CALL_ID in /proc/<pid>/environ; "" if absent, or if the
// process is exiting, a zombie, or not readable.
std::string process_call_id(pid_t pid);

// True if this process is a child subreaper (PR_GET_CHILD_SUBREAPER).
bool is_child_subreaper();

// SIGKILLs every process (and its process group) under this process's main
// thread whose FNQ_CALL_ID is call_id, until none is left or a bound of
// about one second passes, and reaps the main thread's zombie children.
// Does nothing unless is_child_subreaper(). Returns how many were killed.
int kill_escaped_processes(const std::string& call_id);

}  // namespace fnq
