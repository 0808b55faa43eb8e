#pragma once
// Shared by the semantics_*_test.cpp files (issue: execution semantics in
// full). Each test starts its own fnqd with the flags it needs, and keeps the
// files its functions write in workdir().
#include <sys/stat.h>

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "common/timeutil.h"
#include "integration/fixture.h"

namespace fnq::test {

class SemanticsTest : public FnqTest {
 protected:
  // Every test starts fnqd itself, with its own flags.
  void SetUp() override { ::mkdir(workdir().c_str(), 0700); }

  // Where the test's functions run and leave their traces.
  std::string workdir() const { return file("work"); }
  std::string work_file(const std::string& name) const { return workdir() + "/" + name; }
  void touch(const std::string& name) const { write_file(work_file(name), ""); }

  // A function given as one shell script, run in workdir().
  void add_script(const std::string& name, const std::string& script,
                  std::vector<std::string> options = {}) {
    options.insert(options.begin(), {"--workdir", workdir()});
    add_function(name, {"sh", "-c", script}, options);
  }

  std::string submit(const std::string& function, const std::vector<std::string>& options = {}) {
    std::vector<std::string> args = {"submit", function};
    args.insert(args.end(), options.begin(), options.end());
    if (std::find(options.begin(), options.end(), "-d") == options.end() &&
        std::find(options.begin(), options.end(), "--input-from") == options.end()) {
      args.insert(args.end(), {"-d", ""});
    }
    return fnq_ok(args);
  }

  // The lines of a file in workdir(), without their newlines.
  std::vector<std::string> lines_of(const std::string& name) const {
    std::vector<std::string> out;
    std::string text = read_file(work_file(name));
    std::size_t begin = 0;
    while (begin < text.size()) {
      std::size_t end = text.find('\n', begin);
      if (end == std::string::npos) {
        end = text.size();
      }
      out.push_back(text.substr(begin, end - begin));
      begin = end + 1;
    }
    return out;
  }

  // A call's time field in ms since the epoch (-1 if absent).
  static std::int64_t time_ms(const json& call, const char* field) {
    auto it = call.find(field);
    if (it == call.end() || !it->is_string()) {
      return -1;
    }
    auto t = parse_time(it->get<std::string>());
    return t ? *t : -1;
  }

  bool call_exists(const std::string& id) {
    auto res = http()->Get("/v1/calls/" + id);
    return res && res->status == 200;
  }

  // Calls in `state`, through the API (newest first).
  std::vector<std::string> ids_in_state(const std::string& state, const std::string& function) {
    auto res = http()->Get("/v1/calls?limit=1000&state=" + state + "&function=" + function);
    std::vector<std::string> out;
    if (!res || res->status != 200) {
      ADD_FAILURE() << "GET /v1/calls?state=" << state << " failed";
      return out;
    }
    json page = json::parse(res->body);
    for (const auto& c : page["calls"]) {
      out.push_back(c["id"]);
    }
    return out;
  }
};

}  // namespace fnq::test
