#pragma once
// What a command runs with: the global options, its streams, what they are
// connected to, and the daemon (found on first use).
#include <istream>
#include <memory>
#include <ostream>
#include <string>

#include "cli/api.h"
#include "cli/exit_codes.h"
#include "cli/failure.h"

namespace fnq::cli {

struct Terminal {
  bool stdin_tty = false;
  bool stdout_tty = false;
  bool stderr_tty = false;
  bool color = false;  // stdout is a terminal, NO_COLOR is unset, TERM is not "dumb"

  static Terminal detect();
};

class Context {
 public:
  Context(std::istream& in, std::ostream& out, std::ostream& err, Terminal terminal,
          ApiFactory api_factory);

  std::istream& in() { return m_in; }
  std::ostream& out() { return m_out; }  // data only: IDs, outputs, tables, JSON
  std::ostream& err() { return m_err; }  // people: progress (notes and errors go via Outcome)
  const Terminal& terminal() const { return m_terminal; }
  GlobalOptions& global() { return m_global; }
  bool json() const { return m_global.json; }

  // Discovers and connects to the daemon the first time it is asked.
  Checked<Api*> api();
  // The same, with the error as it came (for callers that retry).
  Result<Api*> connect();
  // Forgets the connection, so the next api() or connect() discovers again.
  void disconnect() { m_api.reset(); }

  // One request; errors become Failures saying `what` failed.
  Checked<JsonReply> fetch_json(const ApiRequest& request, const std::string& what,
                                Subject subject);
  Checked<std::string> fetch_raw(const ApiRequest& request, const std::string& what,
                                 Subject subject);

 private:
  std::istream& m_in;
  std::ostream& m_out;
  std::ostream& m_err;
  Terminal m_terminal;
  ApiFactory m_api_factory;
  GlobalOptions m_global;
  std::unique_ptr<Api> m_api;
};

}  // namespace fnq::cli
