#pragma once
// How fnq reports to people. A command returns an Outcome: its exit code,
// notes and failures; run() prints them, and nothing else prints errors.
// Each failure is one line on stderr:
//   fnq: error: <what>: <why> (<what to do>)
#include <ostream>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "cli/exit_codes.h"
#include "common/result.h"

namespace fnq::cli {

struct Failure {
  int exit_code = k_exit_failure;
  std::string what;  // "cannot reach fnqd at http://127.0.0.1:7850"
  std::string why;   // "connection refused"; may be empty
  std::string hint;  // "is fnqd running?"; may be empty
};

// Lowercases the first letter of each part (unless it starts an acronym)
// and drops trailing periods.
std::string format_failure(const Failure& failure);

struct Outcome {
  int exit_code = k_exit_ok;
  std::vector<std::string> notes;  // for people: "function 'resize' created"
  std::vector<Failure> failures;

  Outcome() = default;
  Outcome(Failure failure);  // NOLINT: implicit, so a command can `return failure;`
  static Outcome with_code(int code);
  // The first failure sets the exit code; later ones are reported too.
  void add(Failure failure);
};

void print_outcome(std::ostream& err, const Outcome& outcome);

// A value, or a Failure ready to be shown.
template <class T>
class [[nodiscard]] Checked {
 public:
  Checked(T value) : m_v(std::in_place_index<0>, std::move(value)) {}            // NOLINT
  Checked(Failure failure) : m_v(std::in_place_index<1>, std::move(failure)) {}  // NOLINT
  bool ok() const { return m_v.index() == 0; }
  T& value() { return std::get<0>(m_v); }
  const T& value() const { return std::get<0>(m_v); }
  T& operator*() { return value(); }
  T* operator->() { return &value(); }
  const Failure& failure() const { return std::get<1>(m_v); }

 private:
  std::variant<T, Failure> m_v;
};

// A bad command-line value: exit 64. `what` names the option ("--delay").
Failure usage_failure(std::string what, std::string why, std::string hint = "");

// An error from the daemon while doing `what` ("cannot cancel 019a7f2e").
Failure api_failure(const Error& error, std::string what, Subject subject);

// An error from finding the daemon or its token (before any request).
Failure discovery_failure(const Error& error);

}  // namespace fnq::cli
