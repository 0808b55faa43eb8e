#pragma once
// After a crash, PR_SET_PDEATHSIG has killed each call's direct child, but
// processes it started in the background may live on (reparented to init).
// Every process of a call carries FNQ_CALL_ID in its environment, so at the
// next start they can be found in /proc and their process groups killed.
#include <string>
#include <vector>

namespace fnq {

// SIGKILLs the process group of every live process (of this user) whose
// environment holds FNQ_CALL_ID=<one of ids>. Returns how many were found.
int kill_orphaned_processes(const std::vector<std::string>& call_ids);

}  // namespace fnq
