#pragma once
// fnq's exit codes (SPEC §5). The codes for fnq's own errors follow
// sysexits(3); the codes for calls follow timeout(1) and the shell.
#include <vector>

#include "common/model.h"
#include "common/result.h"

namespace fnq::cli {

inline constexpr int k_exit_ok = 0;
inline constexpr int k_exit_failure = 1;       // anything not below; a call failed without a code
inline constexpr int k_exit_usage = 64;        // EX_USAGE: bad arguments, bad duration, bad ID
inline constexpr int k_exit_bad_input = 65;    // EX_DATAERR: malformed JSON, invalid name, HTTP 400
inline constexpr int k_exit_no_input = 66;     // EX_NOINPUT: unknown call ID, unreadable input file
inline constexpr int k_exit_unavailable = 69;  // EX_UNAVAILABLE: fnqd unreachable or stopping
inline constexpr int k_exit_io_error = 74;     // EX_IOERR: stdout could not be written
inline constexpr int k_exit_wait_timeout = 75;     // EX_TEMPFAIL: --timeout passed first
inline constexpr int k_exit_unauthorized = 77;     // EX_NOPERM: token refused or unreadable
inline constexpr int k_exit_call_timed_out = 124;  // as timeout(1)
inline constexpr int k_exit_call_cancelled = 125;  // cancelled or skipped
inline constexpr int k_exit_signal_base = 128;     // killed by signal N: 128+N, as the shell

// 0 for a succeeded call; the table of SPEC §5 for a terminal one; 75 for
// one that has not finished.
int exit_code_for_call(const Call& call);

// await and invoke: when not every call finished (done is false), 75 and
// nothing else, so "75" always means "nothing was written, ask again later".
// Otherwise 0 if all succeeded, else the code of the first unsuccessful call
// in the order given.
int exit_code_for_calls(const std::vector<Call>& calls, bool done);

// What a 404 means depends on what the request named. A submission names a
// function and maybe calls (--needs, --input-from); the daemon's message
// tells which one it did not know.
enum class Subject { call, function, submission, other };

// The subject a not_found error is about, resolving `submission`.
Subject subject_of(const Error& error, Subject subject);

// The exit code for an error from the daemon or from discovering it.
int exit_code_for_error(const Error& error, Subject subject);

}  // namespace fnq::cli
