#pragma once
// Result<T>: a value or an Error with a kind and a message. Used for every
// failure whose cause lies outside the program (I/O, SQL, sockets, bad input).
#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace fnq {

enum class ErrorKind {
  invalid_input,  // malformed JSON, bad name, bad duration (HTTP 400, exit 65)
  not_found,      // unknown call or function (404)
  conflict,       // state does not allow it (409)
  unauthorized,   // wrong or missing token (401, exit 77)
  unavailable,    // cannot reach the daemon (exit 69)
  too_large,      // body over --max-body (413)
  disk_full,      // SQLITE_FULL / ENOSPC (507)
  shutting_down,  // daemon is stopping (503)
  timeout,        // a wait ended before the condition held
  io,             // other I/O failure (500)
  internal,       // a bug (500)
};

const char* to_string(ErrorKind kind);

struct Error {
  ErrorKind kind = ErrorKind::internal;
  std::string message;
};

inline Error make_error(ErrorKind kind, std::string message) {
  return Error{kind, std::move(message)};
}

template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : m_v(std::in_place_index<0>, std::move(value)) {}  // NOLINT: implicit on purpose
  Result(Error error) : m_v(std::in_place_index<1>, std::move(error)) {}  // NOLINT
  bool ok() const { return m_v.index() == 0; }
  explicit operator bool() const { return ok(); }
  T& value() & { return std::get<0>(m_v); }
  const T& value() const& { return std::get<0>(m_v); }
  T&& value() && { return std::get<0>(std::move(m_v)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  const Error& error() const { return std::get<1>(m_v); }

 private:
  std::variant<T, Error> m_v;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : m_error(std::move(error)) {}  // NOLINT
  bool ok() const { return !m_error; }
  explicit operator bool() const { return ok(); }
  const Error& error() const { return *m_error; }

 private:
  std::optional<Error> m_error;
};

using Status = Result<void>;

}  // namespace fnq

// Propagates the error of an expression returning Result<...>.
#define FNQ_TRY(expr)                 \
  do {                                \
    auto fnq_try_result_ = (expr);    \
    if (!fnq_try_result_.ok()) {      \
      return fnq_try_result_.error(); \
    }                                 \
  } while (0)

// Declares (or assigns) `lhs` from an expression returning Result<T>, or
// returns its error: `FNQ_TRY_ASSIGN(auto call, store.get_call(id));`.
#define FNQ_CAT_INNER_(a, b) a##b
#define FNQ_CAT_(a, b) FNQ_CAT_INNER_(a, b)
#define FNQ_TRY_ASSIGN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                         \
  if (!tmp.ok()) {                           \
    return tmp.error();                      \
  }                                          \
  lhs = std::move(tmp).value()
#define FNQ_TRY_ASSIGN(lhs, expr) FNQ_TRY_ASSIGN_IMPL_(FNQ_CAT_(fnq_try_, __LINE__), lhs, expr)
