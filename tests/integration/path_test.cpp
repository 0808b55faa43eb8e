// The whole path of a call: submit -> queue -> process -> await (issue: foundation).
#include "integration/fixture.h"

namespace fnq::test {
namespace {

using PathTest = FnqTest;

TEST_F(PathTest, SubmitThenAwaitPrintsTheOutput) {
  add_function("upper", {"tr", "a-z", "A-Z"});
  std::string id = fnq_ok({"submit", "upper", "-d", "hello world"});
  EXPECT_EQ(id.size(), 36u) << id;
  RunResult r = fnq({"await", id});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "HELLO WORLD");
  EXPECT_EQ(state_of(id), "succeeded");
}

TEST_F(PathTest, SubmitReadsStdinWhenNotATerminal) {
  add_function("cat", {"cat"});
  std::string id = fnq_ok({"submit", "cat"}, "from stdin\n");
  EXPECT_EQ(fnq_ok({"await", id}), "from stdin");
}

TEST_F(PathTest, AwaitExitsWithTheCallsExitCode) {
  add_function("three", {"sh", "-c", "echo partial; exit 3"});
  std::string id = fnq_ok({"submit", "three"});
  RunResult r = fnq({"await", id});
  EXPECT_EQ(r.exit_code, 3) << r.err;
  EXPECT_EQ(r.out, "partial\n");
  EXPECT_EQ(call_json(id)["error"], "exit status 3");
}

TEST_F(PathTest, ExecTimeoutKillsTheWholeProcessTree) {
  // The unusual duration marks this test's processes in /proc.
  add_function("slow", {"sh", "-c", "sleep 30.123 & sleep 30.123"}, {"--exec-timeout", "1s"});
  std::string id = fnq_ok({"submit", "slow"});
  ASSERT_TRUE(wait_until([&] { return !live_processes_matching("sleep 30.123").empty(); }));
  RunResult r = fnq({"await", id});
  EXPECT_EQ(r.exit_code, 124) << r.err;
  json call = call_json(id);
  EXPECT_EQ(call["state"], "timed_out");
  EXPECT_EQ(call["error"], "exec_timeout 1s exceeded");
  EXPECT_TRUE(wait_until([&] { return live_processes_matching("sleep 30.123").empty(); }))
      << "a sleep outlived its call";
}

TEST_F(PathTest, InvokePrintsTheOutput) {
  add_function("rev", {"rev"});
  RunResult r = fnq({"invoke", "rev", "-d", "abc\n"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "cba\n");
  r = fnq({"invoke", "rev"}, "xyz\n");
  EXPECT_EQ(r.out, "zyx\n");
}

TEST_F(PathTest, AsyncFunctionRouteAnswers202WithCallId) {
  add_function("echo", {"cat"});
  auto res = http()->Post("/async-function/echo", "message", "text/plain");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 202);
  std::string id = res->get_header_value("X-Call-Id");
  ASSERT_EQ(id.size(), 36u);
  EXPECT_EQ(json::parse(res->body)["id"], id);
  EXPECT_EQ(fnq_ok({"await", id}), "message");
  EXPECT_EQ(fnq_ok({"output", id}), "message");
  EXPECT_FALSE(res->get_header_value("X-Fnq-Version").empty());
}

TEST_F(PathTest, AsyncFunctionWithRealCurl) {
  if (run_program({"sh", "-c", "command -v curl"}).exit_code != 0) {
    GTEST_SKIP() << "curl is not installed";
  }
  add_function("echo", {"cat"});
  RunResult r = run_program({"curl", "-s", "-D", "-", "-o", "/dev/null", "-H",
                             "Authorization: Bearer " + m_daemon->token(), "--data", "message",
                             m_daemon->url() + "/async-function/echo"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("HTTP/1.1 202"), std::string::npos) << r.out;
  auto pos = r.out.find("X-Call-Id: ");
  ASSERT_NE(pos, std::string::npos) << r.out;
  std::string id = r.out.substr(pos + 11, 36);
  EXPECT_EQ(fnq_ok({"await", id}), "message");
}

TEST_F(PathTest, UnknownFunctionIs404AndExit65) {
  auto res = http()->Post("/async-function/nosuch", "x", "text/plain");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 404);
  EXPECT_EQ(json::parse(res->body)["error"], "unknown function 'nosuch'");
  RunResult r = fnq({"submit", "nosuch", "-d", "x"});
  EXPECT_EQ(r.exit_code, 65);
  EXPECT_NE(r.err.find("fnq: error:"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("unknown function 'nosuch'"), std::string::npos) << r.err;
  EXPECT_TRUE(r.out.empty());
}

TEST_F(PathTest, WrongTokenIs401AndExit77) {
  add_function("echo", {"cat"});
  auto c = http(false);
  c->set_bearer_token_auth("wrong");
  auto res = c->Post("/async-function/echo", "x", "text/plain");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 401);
  res = http(false)->Get("/v1/functions");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 401);
  res = http(false)->Get("/healthz");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  RunResult r = fnq({"submit", "echo", "-d", "x"}, {}, {{"FNQ_TOKEN", "wrong"}});
  EXPECT_EQ(r.exit_code, 77) << r.err;
  EXPECT_NE(r.err.find("fnq: error:"), std::string::npos);
}

TEST_F(PathTest, NoDaemonIsExit69) {
  std::string url = m_daemon->url();
  m_daemon->stop();
  RunResult r = fnq({"status", "01a20c24-107f-7012-acfd-c5804144c57f"}, {}, {{"FNQ_URL", url}});
  EXPECT_EQ(r.exit_code, 69) << r.err;
  EXPECT_NE(r.err.find("cannot reach fnqd at " + url), std::string::npos) << r.err;
  r = fnq({"ping"});  // fnqd.json is gone after a clean exit
  EXPECT_EQ(r.exit_code, 69) << r.err;
}

TEST_F(PathTest, DaemonWritesStateFilesAndRemovesInfoOnExit) {
  std::string token = read_file(state_dir() + "/token");
  EXPECT_EQ(token.size(), 65u);  // 64 hex + newline
  EXPECT_EQ(m_daemon->stop(), 0);
  EXPECT_TRUE(read_file(state_dir() + "/fnqd.json").empty());
  start_daemon();
  EXPECT_EQ(read_file(state_dir() + "/token"), token);  // kept across restarts
}

TEST_F(PathTest, SigtermRightAfterStartStopsTheDaemon) {
  // fnqd.json appears only once the server accepts, so a stop signal sent
  // at once must still end the daemon.
  for (int i = 0; i < 10; ++i) {
    EXPECT_EQ(m_daemon->stop(std::chrono::seconds(20)), 0) << "round " << i;
    start_daemon();
  }
}

TEST_F(PathTest, SecondDaemonOnTheSameDatabaseIsRefused) {
  RunResult r = run_program({FNQD_BIN, "--state-dir", state_dir(), "--listen", "127.0.0.1:0"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("fnqd: error:"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("in use"), std::string::npos) << r.err;
}

TEST_F(PathTest, ForeignDatabaseIsRefused) {
  std::string db = file("other.db");
  ASSERT_EQ(
      run_program({"sh", "-c", "printf 'not a database at all, just text.....' > " + db}).exit_code,
      0);
  RunResult r =
      run_program({FNQD_BIN, "--state-dir", file("s2"), "--db", db, "--listen", "127.0.0.1:0"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("not an fnq database"), std::string::npos) << r.err;
}

TEST_F(PathTest, PortInUseIsRefused) {
  std::string port = m_daemon->url().substr(m_daemon->url().rfind(':') + 1);
  RunResult r = run_program({FNQD_BIN, "--state-dir", file("s3"), "--listen", "127.0.0.1:" + port});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("cannot listen on 127.0.0.1:" + port), std::string::npos) << r.err;
}

}  // namespace
}  // namespace fnq::test
