// Pipelines end to end: fnq pipeline submit|run|status|cancel|ls and
// /v1/pipelines against the real fnqd.
#include <fstream>

#include "integration/fixture.h"

namespace fnq::test {
namespace {

class PipelineTest : public FnqTest {
 protected:
  std::string write_file(const std::string& name, const std::string& text) {
    std::string path = file(name);
    std::ofstream(path) << text;
    return path;
  }

  json get_json(const std::string& path) {
    auto res = http()->Get(path);
    if (!res || res->status != 200) {
      ADD_FAILURE() << "GET " << path << " failed: " << (res ? res->body : "no answer");
      return json::object();
    }
    return json::parse(res->body);
  }

  json stage(const json& pipeline, const std::string& name) {
    for (const auto& s : pipeline.at("stages")) {
      if (s.at("stage") == name) {
        return s;
      }
    }
    ADD_FAILURE() << "no stage " << name << " in " << pipeline.dump();
    return json::object();
  }

  // Nothing stored: no pipeline, no call.
  void expect_nothing_stored() {
    EXPECT_EQ(get_json("/v1/pipelines").at("pipelines").size(), 0u);
    EXPECT_EQ(get_json("/v1/calls").at("calls").size(), 0u);
  }
};

TEST_F(PipelineTest, ThreeStagesRunInOrderAndTheLastTwoInParallel) {
  start_daemon({"--max-inflight", "4"});
  std::string dir = m_dir.path();
  add_function("fetch", {"sh", "-c", "echo fetched"});
  add_function("parse", {"sh", "-c", "cat; echo parsed"});
  // Each of the last two waits (up to 20s) for the other to have started.
  for (std::string me : {"a", "b"}) {
    std::string other = me == "a" ? "b" : "a";
    add_function("wait-" + me,
                 {"sh", "-c",
                  "touch " + dir + "/" + me + "; i=0; while [ ! -e " + dir + "/" + other +
                      " ] && [ $i -lt 200 ]; do sleep 0.1; i=$((i+1)); done; "
                      "[ -e " +
                      dir + "/" + other + " ] && echo " + me + " saw " + other});
  }
  std::string path = write_file("etl.yaml", R"(# fetch -> parse -> {a, b}
name: etl
stages:
  - id: fetch
    function: fetch
  - id: parse
    function: parse
    input_from: fetch
  - id: a
    function: wait-a
    needs: [parse]
  - id: b
    function: wait-b
    needs: [parse]
)");
  RunResult r = fnq({"pipeline", "run", path});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "a saw b\nb saw a\n");

  json list = get_json("/v1/pipelines");
  ASSERT_EQ(list.at("pipelines").size(), 1u);
  std::string id = list["pipelines"][0]["id"];
  json p = get_json("/v1/pipelines/" + id);
  EXPECT_EQ(p["state"], "succeeded");
  EXPECT_EQ(p["name"], "etl");
  json fetch = stage(p, "fetch");
  json parse = stage(p, "parse");
  EXPECT_GE(parse["started_at"].get<std::string>(), fetch["finished_at"].get<std::string>());
  auto out = http()->Get("/v1/calls/" + parse["id"].get<std::string>() + "/output");
  ASSERT_TRUE(out);
  EXPECT_EQ(out->body, "fetched\nparsed\n");

  // fnq list --pipeline shows its four calls, and only them.
  fnq_ok({"submit", "fetch"});
  json listed = json::parse(fnq_ok({"list", "--pipeline", id, "--json"}));
  ASSERT_EQ(listed["calls"].size(), 4u);
  EXPECT_EQ(listed["calls"][0]["stage"], "b");
  EXPECT_EQ(listed["calls"][0]["pipeline"], id);
}

TEST_F(PipelineTest, AFailingStageSkipsExactlyItsDependents) {
  start_daemon({"--max-inflight", "4"});
  add_function("ok", {"true"});
  add_function("bad", {"sh", "-c", "exit 3"});
  std::string path = write_file("p.yaml", R"(
defaults:
  function: ok
stages:
  - id: first
  - id: broken
    function: bad
  - id: after-broken
    needs: broken
  - id: after-that
    needs: [after-broken]
  - id: after-first
    needs: [first]
)");
  RunResult r = fnq({"pipeline", "run", path});
  EXPECT_EQ(r.exit_code, 3) << r.err;
  EXPECT_NE(r.err.find("stage broken"), std::string::npos) << r.err;

  json list = get_json("/v1/pipelines");
  std::string id = list["pipelines"][0]["id"];
  EXPECT_EQ(list["pipelines"][0]["state"], "failed");
  json p = get_json("/v1/pipelines/" + id);
  EXPECT_EQ(p["state"], "failed");
  EXPECT_EQ(p["failed_stage"], "broken");
  EXPECT_EQ(stage(p, "first")["state"], "succeeded");
  EXPECT_EQ(stage(p, "after-first")["state"], "succeeded");
  EXPECT_EQ(stage(p, "after-broken")["state"], "skipped");
  EXPECT_EQ(stage(p, "after-that")["state"], "skipped");

  std::string status = fnq_ok({"pipeline", "status", id});
  EXPECT_NE(status.find("pipeline " + id + " failed (stage broken failed)"), std::string::npos)
      << status;
}

TEST_F(PipelineTest, InvalidDefinitionsAreRefusedWholeAndNothingIsStored) {
  start_daemon();
  add_function("ok", {"true"});
  struct Case {
    const char* yaml;
    const char* message;
  };
  const Case cases[] = {
      {"stages:\n- {id: a, function: ok, needs: [c]}\n- {id: b, function: ok, needs: [a]}\n"
       "- {id: c, function: ok, needs: [b]}\n",
       "stage 'a': needs form a cycle: a -> c -> b -> a"},
      {"stages:\n- {id: a, function: ok}\n- {id: b, function: ok, needs: [x]}\n",
       "stage 'b': needs: unknown stage 'x'"},
      {"stages:\n- {id: a, function: ok}\n- {id: a, function: ok}\n",
       "stage 'a': duplicate stage name"},
      {"stages:\n- {id: a, function: ok}\n- {id: last, function: nosuch, needs: [a]}\n",
       "stage 'last': unknown function 'nosuch'"},
  };
  for (const Case& c : cases) {
    RunResult r = fnq({"pipeline", "submit", "-"}, c.yaml);
    EXPECT_EQ(r.exit_code, 65) << c.yaml << r.err;
    EXPECT_NE(r.err.find(c.message), std::string::npos) << r.err;
    expect_nothing_stored();
  }
  // The API refuses them alike, with 400 naming the stage.
  json body = {{"stages",
                {{{"id", "a"}, {"function", "ok"}},
                 {{"id", "b"}, {"function", "ok"}, {"needs", {"a"}}},
                 {{"id", "last"}, {"function", "nosuch"}, {"needs", {"b"}}}}}};
  auto res = http()->Post("/v1/pipelines", body.dump(), "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 400);
  EXPECT_EQ(json::parse(res->body)["error"], "stage 'last': unknown function 'nosuch'");
  body["stages"][2]["function"] = "ok";
  body["stages"][0]["input_from"] = "b";
  res = http()->Post("/v1/pipelines", body.dump(), "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 400);
  EXPECT_EQ(json::parse(res->body)["error"], "stage 'a': needs form a cycle: a -> b -> a");
  expect_nothing_stored();
}

TEST_F(PipelineTest, CancelStopsTheRunningStageAndCancelsTheWaitingOnes) {
  start_daemon();
  add_function("sleepy", {"sleep", "60.456"}, {"--kill-grace", "2s"});
  add_function("ok", {"true"});
  std::string path = write_file("p.json", R"({"stages": [
      {"id": "long", "function": "sleepy"},
      {"id": "next", "function": "ok", "needs": ["long"]},
      {"id": "last", "function": "ok", "input_from": "next"}]})");
  std::string id = fnq_ok({"pipeline", "submit", path});
  json p = get_json("/v1/pipelines/" + id);
  std::string long_id = stage(p, "long")["id"];
  ASSERT_TRUE(wait_for_state(long_id, "running"));
  ASSERT_TRUE(wait_until([] { return !live_processes_matching("sleep 60.456").empty(); }));

  RunResult r = fnq({"pipeline", "cancel", id});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "last cancelled\nlong cancelling\nnext cancelled\n");
  p = get_json("/v1/pipelines/" + id + "?wait=20s");
  EXPECT_EQ(p["state"], "cancelled");
  for (const char* name : {"long", "next", "last"}) {
    EXPECT_EQ(stage(p, name)["state"], "cancelled") << name;
  }
  EXPECT_TRUE(wait_until([] { return live_processes_matching("sleep 60.456").empty(); },
                         std::chrono::seconds(5)))
      << "the running stage's process is still there";
  std::string status = fnq_ok({"pipeline", "status", id});
  EXPECT_NE(status.find("pipeline " + id + " cancelled"), std::string::npos) << status;
}

TEST_F(PipelineTest, TheSameKeyTwiceGivesOnePipeline) {
  start_daemon();
  add_function("ok", {"true"});
  std::string path = write_file("p.yaml", "key: nightly-1\nstages: [{id: a, function: ok}]\n");
  std::string first = fnq_ok({"pipeline", "submit", path});
  RunResult again = fnq({"pipeline", "submit", path});
  EXPECT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(again.out, first + "\n");
  EXPECT_NE(again.err.find("already existed"), std::string::npos) << again.err;
  std::string third = fnq_ok({"pipeline", "submit", path, "--key", "nightly-2"});
  EXPECT_NE(third, first);
  EXPECT_EQ(get_json("/v1/pipelines").at("pipelines").size(), 2u);
  EXPECT_EQ(get_json("/v1/calls").at("calls").size(), 2u);
}

TEST_F(PipelineTest, AJsonPostWorksAsDocumented) {
  start_daemon();
  add_function("upper", {"tr", "a-z", "A-Z"});
  add_function("count", {"wc", "-c"});
  // As docs/api.md shows it with curl.
  json body = json::parse(R"({"name": "shout", "defaults": {"max_retries": 0},
      "stages": [{"id": "up", "function": "upper", "data": "hello"},
                 {"id": "len", "function": "count", "input_from": "up"}]})");
  auto res = http()->Post("/v1/pipelines", body.dump(), "application/json");
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 202) << res->body;
  json answer = json::parse(res->body);
  std::string id = answer["id"];
  EXPECT_EQ(res->get_header_value("X-Pipeline-Id"), id);
  ASSERT_TRUE(answer["stages"].contains("up"));
  json p = get_json("/v1/pipelines/" + id + "?wait=20s");
  EXPECT_EQ(p["state"], "succeeded");
  EXPECT_EQ(p["stages"].size(), 2u);
  std::string len_id = answer["stages"]["len"];
  auto out = http()->Get("/v1/calls/" + len_id + "/output");
  ASSERT_TRUE(out);
  EXPECT_EQ(out->body, "5\n");
  json calls = get_json("/v1/calls?pipeline=" + id);
  ASSERT_EQ(calls["calls"].size(), 2u);
  EXPECT_EQ(calls["calls"][1]["stage"], "up");
}

TEST_F(PipelineTest, VariablesAndStdinFillTheData) {
  start_daemon();
  add_function("echo", {"cat"});
  std::string yaml =
      "stages:\n"
      "  - id: greet\n"
      "    function: echo\n"
      "    data: \"hello ${who} from ${FNQ_TEST_PLACE}, $${literal}\"\n";
  RunResult r =
      fnq({"pipeline", "run", "-", "--set", "who=world"}, yaml, {{"FNQ_TEST_PLACE", "env"}});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "hello world from env, ${literal}");
  r = fnq({"pipeline", "run", "-"}, yaml);
  EXPECT_EQ(r.exit_code, 65);
  EXPECT_NE(r.err.find("stage 'greet': data: unknown variable 'who'"), std::string::npos) << r.err;
}

TEST_F(PipelineTest, TenThousandStagesAreAcceptedInOneRequest) {
  start_daemon();
  add_function("ok", {"true"});
  // A root held back for an hour; half the stages fan out from it, the
  // other half form a chain after it.
  json stages = json::array();
  stages.push_back({{"id", "root"}, {"delay", "1h"}});
  for (int i = 0; i < 4999; ++i) {
    stages.push_back({{"id", "fan" + std::to_string(i)}, {"needs", {"root"}}});
  }
  std::string prev = "root";
  for (int i = 0; i < 5000; ++i) {
    std::string name = "chain" + std::to_string(i);
    stages.push_back({{"id", name}, {"input_from", prev}});
    prev = name;
  }
  json body = {{"defaults", {{"function", "ok"}}}, {"stages", stages}};
  std::string path = write_file("big.json", body.dump());
  std::string id = fnq_ok({"pipeline", "submit", path});
  json list = get_json("/v1/pipelines");
  ASSERT_EQ(list["pipelines"].size(), 1u);
  EXPECT_EQ(list["pipelines"][0]["id"], id);
  EXPECT_EQ(list["pipelines"][0]["stage_count"], 10000);
  EXPECT_EQ(list["pipelines"][0]["counts"], json({{"waiting", 10000}}));
}

}  // namespace
}  // namespace fnq::test
