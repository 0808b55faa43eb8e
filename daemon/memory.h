#pragma once
// fnqd's allocator: which it is, how it is set up, and the one place it is
// asked to give freed memory back.
#include <string>

namespace fnq {

// "jemalloc 5.3.0" when fnqd is linked with jemalloc (the default where
// libjemalloc-dev is installed), else "libc".
std::string allocator_name();

// Before any thread starts (main). With glibc's malloc: buffers of 128 KiB
// or more are mapped and unmapped (glibc would raise that threshold after
// the first such free, and keep the memory in whichever thread's arena
// served it). jemalloc needs nothing here.
void set_up_allocator();

// Returns freed memory to the system now, rather than when the allocator
// would: after a request that made much of its bytes (a large batch), so
// that fnqd's resident size comes back down (docs/internals.md, "JSON
// bodies").
void give_back_free_memory();

}  // namespace fnq
