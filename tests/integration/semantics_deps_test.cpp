// Dependencies: --needs, --input-from, skipping (issue: execution semantics in full).
#include "integration/semantics.h"

namespace fnq::test {
namespace {

using SemanticsDepsTest = SemanticsTest;

// Runs until the file named by its input exists, then prints a line.
constexpr const char* k_gated =
    "read gate; while [ ! -e \"$gate\" ]; do sleep 0.02; done; echo \"from $gate\"";

TEST_F(SemanticsDepsTest, NeedsWaitsForTheDependencyToSucceed) {
  start_daemon();
  add_script("gated", k_gated);
  add_function("after", {"cat"});
  std::string a = submit("gated", {"-d", "go-a\n"});
  std::string b = submit("after", {"--needs", a, "-d", "b-input"});
  ASSERT_TRUE(wait_for_state(a, "running"));
  EXPECT_EQ(state_of(b), "waiting");
  EXPECT_EQ(call_json(b)["needs"], json::array({a}));

  touch("go-a");
  RunResult r = fnq({"await", b, "--timeout", "20s"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "b-input");  // its own input: --needs does not pass output
  EXPECT_GE(time_ms(call_json(b), "started_at"), time_ms(call_json(a), "finished_at"));
}

TEST_F(SemanticsDepsTest, InputFromPassesTheOutputOn) {
  start_daemon();
  add_script("gated", k_gated);
  add_function("upper", {"tr", "a-z", "A-Z"});
  std::string a = submit("gated", {"-d", "go\n"});
  std::string b = submit("upper", {"--input-from", a});
  EXPECT_EQ(call_json(b)["input_from"], a);
  touch("go");
  RunResult r = fnq({"await", a, b, "--timeout", "20s"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "from go\nFROM GO\n");

  // When the source has already succeeded, its output is copied at submit.
  std::string c = submit("upper", {"--input-from", a});
  EXPECT_EQ(fnq_ok({"await", c}), "FROM GO");
}

TEST_F(SemanticsDepsTest, FailedDependencySkipsItsDependentsTransitively) {
  start_daemon();
  add_script("gated_fail", "read gate; while [ ! -e \"$gate\" ]; do sleep 0.02; done; exit 3");
  add_script("mark", "cat >> ran");
  std::string a = submit("gated_fail", {"-d", "go\n"});
  std::string b = submit("mark", {"--needs", a, "-d", "b\n"});
  std::string c = submit("mark", {"--needs", b, "-d", "c\n"});
  ASSERT_TRUE(wait_for_state(a, "running"));
  EXPECT_EQ(state_of(b), "waiting");
  EXPECT_EQ(state_of(c), "waiting");

  touch("go");
  RunResult r = fnq({"await", b, "--timeout", "20s"});
  EXPECT_EQ(r.exit_code, 125) << r.err;
  json jb = call_json(b);
  EXPECT_EQ(jb["state"], "skipped");
  EXPECT_EQ(jb["error"], "dependency " + a + " failed");
  EXPECT_EQ(jb["attempt"], 0);
  json jc = call_json(c);
  EXPECT_EQ(jc["state"], "skipped");
  EXPECT_EQ(jc["error"], "dependency " + b + " skipped");
  EXPECT_EQ(fnq({"await", c}).exit_code, 125);
  EXPECT_EQ(fnq({"await", a}).exit_code, 3);

  // A call that needs an already failed one is skipped at once.
  std::string d = submit("mark", {"--needs", a, "-d", "d\n"});
  EXPECT_EQ(state_of(d), "skipped");
  EXPECT_EQ(fnq({"await", d}).exit_code, 125);
  EXPECT_EQ(read_file(work_file("ran")), "");  // no skipped call ever ran
}

TEST_F(SemanticsDepsTest, NeedsAnUnknownIdIsRefused) {
  start_daemon();
  add_function("echo", {"cat"});
  const std::string unknown = "01a20c24-107f-7012-acfd-c5804144c57f";
  RunResult r = fnq({"submit", "echo", "-d", "x", "--needs", unknown});
  EXPECT_EQ(r.exit_code, 66) << r.err;
  EXPECT_NE(r.err.find("fnq: error:"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find(unknown), std::string::npos) << r.err;
  EXPECT_TRUE(r.out.empty()) << r.out;

  r = fnq({"submit", "echo", "--input-from", unknown});
  EXPECT_EQ(r.exit_code, 66) << r.err;
  EXPECT_NE(r.err.find(unknown), std::string::npos) << r.err;

  // Nothing was stored.
  auto res = http()->Get("/v1/calls");
  ASSERT_TRUE(res);
  EXPECT_EQ(json::parse(res->body)["calls"].size(), 0u) << res->body;
}

}  // namespace
}  // namespace fnq::test
