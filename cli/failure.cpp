#include "cli/failure.h"

#include <cctype>

namespace fnq::cli {

namespace {

std::string tidy(std::string text) {
  while (!text.empty() && (text.back() == ' ' || text.back() == '\n')) {
    text.pop_back();
  }
  // One closing period goes; an ellipsis ("a, b, ...") stays.
  if (!text.empty() && text.back() == '.' && (text.size() < 2 || text[text.size() - 2] != '.')) {
    text.pop_back();
  }
  // "Connection refused" -> "connection refused", but "SIGTERM ..." and "HTTP 500" stay.
  if (text.size() >= 1 && std::isupper(static_cast<unsigned char>(text[0])) &&
      (text.size() == 1 || !std::isupper(static_cast<unsigned char>(text[1])))) {
    text[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(text[0])));
  }
  return text;
}

}  // namespace

std::string format_failure(const Failure& failure) {
  std::string line = "fnq: error: " + tidy(failure.what);
  std::string why = tidy(failure.why);
  if (!why.empty()) {
    line += ": " + why;
  }
  std::string hint = tidy(failure.hint);
  if (!hint.empty()) {
    line += " (" + hint + ")";
  }
  return line;
}

Outcome::Outcome(Failure failure) { add(std::move(failure)); }

Outcome Outcome::with_code(int code) {
  Outcome o;
  o.exit_code = code;
  return o;
}

void Outcome::add(Failure failure) {
  if (failures.empty()) {
    exit_code = failure.exit_code;
  }
  failures.push_back(std::move(failure));
}

void print_outcome(std::ostream& err, const Outcome& outcome) {
  for (const auto& note : outcome.notes) {
    err << "fnq: " << note << '\n';
  }
  for (const auto& failure : outcome.failures) {
    err << format_failure(failure) << '\n';
  }
  err.flush();
}

Failure usage_failure(std::string what, std::string why, std::string hint) {
  return Failure{k_exit_usage, std::move(what), std::move(why), std::move(hint)};
}

Failure api_failure(const Error& error, std::string what, Subject subject) {
  Failure f{exit_code_for_error(error, subject), std::move(what), error.message, ""};
  switch (error.kind) {
    case ErrorKind::unavailable:
      // The client's message is already complete: "cannot reach fnqd at URL: why (hint)".
      if (error.message.rfind("cannot ", 0) == 0) {
        return Failure{f.exit_code, error.message, "", ""};
      }
      f.hint = "is fnqd running?";
      break;
    case ErrorKind::unauthorized:
      f.what = "fnqd refused the token";
      f.hint = "check --token-file, FNQ_TOKEN_FILE, FNQ_TOKEN or STATE_DIR/token";
      break;
    case ErrorKind::not_found:
      subject = subject_of(error, subject);
      f.hint = subject == Subject::call       ? "'fnq list' shows the calls fnqd knows"
               : subject == Subject::function ? "'fnq fn ls' lists the functions"
                                              : "";
      break;
    case ErrorKind::conflict:
      if (f.exit_code == k_exit_no_input) {
        f.hint = "give more characters of the id";
      }
      break;
    case ErrorKind::shutting_down: f.hint = "fnqd is stopping; try again when it is back"; break;
    case ErrorKind::too_large: f.hint = "fnqd's --max-body limits the size of a request"; break;
    case ErrorKind::disk_full: f.hint = "free space on fnqd's disk"; break;
    default: break;
  }
  return f;
}

Failure discovery_failure(const Error& error) {
  switch (error.kind) {
    case ErrorKind::unavailable: return Failure{k_exit_unavailable, error.message, "", ""};
    case ErrorKind::unauthorized:  // an unreadable token file
      return Failure{k_exit_unauthorized, error.message, "",
                     "check --token-file, FNQ_TOKEN_FILE, FNQ_TOKEN or STATE_DIR/token"};
    default:  // a URL fnq cannot use
      return Failure{k_exit_usage, error.message, "",
                     "check --url, FNQ_URL or STATE_DIR/fnqd.json"};
  }
}

}  // namespace fnq::cli
