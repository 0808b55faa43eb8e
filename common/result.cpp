#include "common/result.h"

namespace fnq {

const char* to_string(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::invalid_input: return "invalid input";
    case ErrorKind::not_found: return "not found";
    case ErrorKind::conflict: return "conflict";
    case ErrorKind::unauthorized: return "unauthorized";
    case ErrorKind::unavailable: return "unavailable";
    case ErrorKind::too_large: return "too large";
    case ErrorKind::disk_full: return "disk full";
    case ErrorKind::shutting_down: return "shutting down";
    case ErrorKind::timeout: return "timeout";
    case ErrorKind::io: return "i/o error";
    case ErrorKind::internal: return "internal error";
  }
  return "error";
}

}  // namespace fnq
