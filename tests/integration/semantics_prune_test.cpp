// Pruning finished calls and listing calls (issue: execution semantics in full).
#include "integration/semantics.h"

namespace fnq::test {
namespace {

using SemanticsPruneTest = SemanticsTest;

// The first column of each row of a table (the header dropped).
std::vector<std::string> first_column(const std::string& table) {
  std::vector<std::string> out;
  std::size_t begin = table.find('\n');
  while (begin != std::string::npos && begin + 1 < table.size()) {
    ++begin;
    out.push_back(table.substr(begin, table.find(' ', begin) - begin));
    begin = table.find('\n', begin);
  }
  return out;
}

TEST_F(SemanticsPruneTest, PruneDeletesOnlyFinishedCallsOlderThanTheCut) {
  start_daemon({"--max-inflight", "1"});
  add_script("block", "while [ ! -e go ]; do sleep 0.02; done");
  add_function("ok", {"true"});
  add_function("bad", {"false"});
  std::string succeeded = submit("ok");
  std::string failed = submit("bad");
  EXPECT_EQ(fnq({"await", succeeded}).exit_code, 0);
  EXPECT_EQ(fnq({"await", failed}).exit_code, 1);
  std::string running = submit("block");
  ASSERT_TRUE(wait_for_state(running, "running"));
  std::string queued = submit("ok");
  std::string waiting = submit("ok", {"--delay", "1h"});
  std::string cancelled = submit("ok", {"--delay", "1h"});
  fnq_ok({"cancel", cancelled});

  RunResult r = fnq({"prune", "--older-than", "1h"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("deleted 0 "), std::string::npos) << r.err;
  EXPECT_TRUE(call_exists(succeeded));

  r = fnq({"prune", "--older-than", "0s", "--json"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(json::parse(r.out)["deleted"], 3) << r.out;
  for (const auto& id : {succeeded, failed, cancelled}) {
    EXPECT_FALSE(call_exists(id)) << id;
    EXPECT_EQ(fnq({"status", id}).exit_code, 66);
  }
  EXPECT_EQ(state_of(running), "running");
  EXPECT_EQ(state_of(queued), "queued");
  EXPECT_EQ(state_of(waiting), "waiting");

  touch("go");
  EXPECT_EQ(fnq({"await", running, queued, "--timeout", "20s"}).exit_code, 0);
}

TEST_F(SemanticsPruneTest, RetentionPrunesInTheBackground) {
  start_daemon({"--retention", "1s"});
  add_function("ok", {"true"});
  std::string done = submit("ok");
  std::string waiting = submit("ok", {"--delay", "1h"});
  // Not awaited: on a loaded machine the call may finish and be pruned before
  // an await starts. Only terminal calls are pruned, so its absence says both.
  EXPECT_TRUE(wait_until([&] { return !call_exists(done); }, std::chrono::seconds(20)))
      << "a call finished over 1s ago was not pruned";
  EXPECT_EQ(state_of(waiting), "waiting");
  EXPECT_NE(m_daemon->log().find("call " + done + " ok attempt 1 succeeded"), std::string::npos);
  EXPECT_NE(m_daemon->log().find("pruned 1 finished call(s) older than 1s"), std::string::npos);
}

TEST_F(SemanticsPruneTest, ListFiltersByStateAndFunctionNewestFirst) {
  start_daemon();
  add_function("ok", {"true"});
  add_function("bad", {"false"});
  std::vector<std::string> oks, bads;
  for (int i = 0; i < 3; ++i) {
    oks.push_back(submit("ok"));
    bads.push_back(submit("bad"));
  }
  std::string waiting = submit("ok", {"--delay", "1h"});
  std::vector<std::string> all = oks;
  all.insert(all.end(), bads.begin(), bads.end());
  all.insert(all.begin(), "await");
  fnq(all);

  std::string table = fnq_ok({"list", "--state", "succeeded", "--function", "ok", "--limit", "2"});
  EXPECT_EQ(table.rfind("ID", 0), 0u) << table;
  EXPECT_EQ(first_column(table), (std::vector<std::string>{oks[2], oks[1]})) << table;

  json page = json::parse(fnq_ok({"list", "--state", "failed", "--json"}));
  ASSERT_EQ(page["calls"].size(), 3u) << page.dump();
  EXPECT_EQ(page["calls"][0]["id"], bads[2]);
  EXPECT_EQ(page["calls"][2]["id"], bads[0]);
  EXPECT_TRUE(page["next_before"].is_null());

  EXPECT_EQ(first_column(fnq_ok({"list", "--function", "ok", "--state", "waiting"})),
            std::vector<std::string>{waiting});
  EXPECT_EQ(first_column(fnq_ok({"list", "--function", "bad", "--state", "waiting"})),
            std::vector<std::string>{});
  RunResult r = fnq({"list", "--state", "sleeping"});
  EXPECT_EQ(r.exit_code, 64) << r.err;
}

TEST_F(SemanticsPruneTest, ListPagesThroughEveryCallByBefore) {
  start_daemon();
  add_function("ok", {"true"});
  add_function("other", {"true"});
  std::vector<std::string> ids;
  for (int i = 0; i < 5; ++i) {
    ids.push_back(submit("ok", {"--delay", "1h"}));
  }
  submit("other", {"--delay", "1h"});

  std::vector<std::string> seen;
  std::string before;
  for (int pages = 0; pages < 10; ++pages) {
    std::string path =
        "/v1/calls?function=ok&limit=2" + (before.empty() ? "" : "&before=" + before);
    auto res = http()->Get(path);
    ASSERT_TRUE(res);
    ASSERT_EQ(res->status, 200) << res->body;
    json page = json::parse(res->body);
    EXPECT_LE(page["calls"].size(), 2u);
    for (const auto& c : page["calls"]) {
      seen.push_back(c["id"]);
    }
    if (page["next_before"].is_null()) {
      break;
    }
    before = page["next_before"];
    EXPECT_EQ(before, seen.back());
  }
  EXPECT_EQ(seen, (std::vector<std::string>{ids[4], ids[3], ids[2], ids[1], ids[0]}));

  // The CLI pages the same way.
  json page = json::parse(
      fnq_ok({"list", "--function", "ok", "--limit", "2", "--before", ids[3], "--json"}));
  ASSERT_EQ(page["calls"].size(), 2u);
  EXPECT_EQ(page["calls"][0]["id"], ids[2]);
  EXPECT_EQ(page["next_before"], ids[1]);

  auto res = http()->Get("/v1/calls?limit=0");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 400);
}

}  // namespace
}  // namespace fnq::test
