#pragma once
// Shared by the cli_*_test.cpp files (issue: the fnq command line): a daemon
// per test, and checks of what fnq prints.
#include <algorithm>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "common/ids.h"
#include "integration/fixture.h"

namespace fnq::test {

inline std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    lines.push_back(line);
  }
  return lines;
}

inline std::string command_line(const std::vector<std::string>& args) {
  std::string out = "fnq";
  for (const auto& a : args) {
    out += " " + a;
  }
  return out;
}

// SPEC §5: an error is one line on stderr, "fnq: error: ...", and nothing
// goes to stdout.
inline void expect_one_error(const RunResult& r, const std::string& what) {
  EXPECT_EQ(r.err.rfind("fnq: error: ", 0), 0u) << what << "\nstderr: " << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << what << "\nstderr: " << r.err;
  EXPECT_EQ(r.out, "") << what;
}

class CliTest : public FnqTest {
 protected:
  // fnq `args` must exit with `code`; returns what it printed.
  RunResult expect_exit(int code, const std::vector<std::string>& args,
                        const std::string& input = {},
                        std::map<std::string, std::string> env = {}) {
    RunResult r = fnq(args, input, std::move(env));
    EXPECT_EQ(r.exit_code, code) << command_line(args) << "\nstdout: " << r.out
                                 << "\nstderr: " << r.err;
    return r;
  }

  // Submits a call that waits an hour before it may run: it stays "waiting"
  // and starts no process, whatever the test does meanwhile.
  std::string submit_parked(const std::string& function) {
    return fnq_ok({"submit", function, "--delay", "1h", "-d", ""});
  }

  json json_of(const std::vector<std::string>& args, const std::string& input = {}) {
    RunResult r = fnq(args, input);
    EXPECT_EQ(r.exit_code, 0) << command_line(args) << "\nstderr: " << r.err;
    json j = json::parse(r.out, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << command_line(args) << " printed no JSON:\n" << r.out;
    return j;
  }

  // Every call ID fnqd knows.
  std::vector<std::string> all_ids() {
    std::vector<std::string> ids;
    json list = json_of({"list", "--limit", "1000", "--json"});
    for (const auto& c : list["calls"]) {
      ids.push_back(c["id"]);
    }
    return ids;
  }
};

}  // namespace fnq::test
