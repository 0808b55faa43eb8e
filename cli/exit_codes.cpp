#include "cli/exit_codes.h"

namespace fnq::cli {

int exit_code_for_call(const Call& call) {
  switch (call.state) {
    case CallState::succeeded: return k_exit_ok;
    case CallState::failed:
      if (call.exit_code && *call.exit_code > 0 && *call.exit_code < 256) {
        return *call.exit_code;
      }
      if (call.signal && *call.signal > 0) {
        return k_exit_signal_base + *call.signal;
      }
      return k_exit_failure;  // e.g. "daemon stopped while running; no retries left"
    case CallState::timed_out: return k_exit_call_timed_out;
    case CallState::cancelled:
    case CallState::skipped: return k_exit_call_cancelled;
    case CallState::waiting:
    case CallState::queued:
    case CallState::running: break;
  }
  return k_exit_wait_timeout;
}

int exit_code_for_calls(const std::vector<Call>& calls, bool done) {
  if (!done) {
    return k_exit_wait_timeout;
  }
  for (const auto& call : calls) {
    int code = exit_code_for_call(call);
    if (code != k_exit_ok) {
      return code;
    }
  }
  return k_exit_ok;
}

Subject subject_of(const Error& error, Subject subject) {
  if (subject != Subject::submission) {
    return subject;
  }
  return error.message.find("function") != std::string::npos ? Subject::function : Subject::call;
}

int exit_code_for_error(const Error& error, Subject subject) {
  subject = subject_of(error, subject);
  switch (error.kind) {
    case ErrorKind::invalid_input: return k_exit_bad_input;
    case ErrorKind::not_found: return subject == Subject::call ? k_exit_no_input : k_exit_bad_input;
    case ErrorKind::conflict:
      // An ambiguous ID prefix names no call, like an unknown one.
      if (subject == Subject::call && error.message.find("ambiguous") != std::string::npos) {
        return k_exit_no_input;
      }
      return k_exit_failure;
    case ErrorKind::unauthorized: return k_exit_unauthorized;
    case ErrorKind::unavailable:
    case ErrorKind::shutting_down:
    case ErrorKind::timeout: return k_exit_unavailable;
    case ErrorKind::too_large: return k_exit_bad_input;
    case ErrorKind::disk_full:
    case ErrorKind::io:
    case ErrorKind::internal: break;
  }
  return k_exit_failure;
}

}  // namespace fnq::cli
