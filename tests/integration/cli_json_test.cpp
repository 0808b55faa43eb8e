// --json: every command prints one JSON document on stdout that parses back
// and says what the command did (issue: the fnq command line).
#include "common/encoding.h"
#include "integration/cli_support.h"
#include "integration/docs_help.h"

namespace fnq::test {
namespace {

using CliJson = CliTest;

void expect_call(const json& call, const std::string& function) {
  ASSERT_TRUE(call.is_object()) << call;
  EXPECT_TRUE(is_call_id(call.value("id", ""))) << call;
  EXPECT_EQ(call.value("function", ""), function) << call;
  EXPECT_TRUE(call.contains("state") && call.contains("exit_code") && call.contains("created_at"))
      << call;
}

// The commands each test below covers; a command fnq gains must be added.
const std::set<std::vector<std::string>> k_covered = {
    {"submit"},
    {"invoke"},
    {"status"},
    {"await"},
    {"output"},
    {"logs"},
    {"cancel"},
    {"retry"},
    {"list"},
    {"prune"},
    {"ping"},
    {"fn"},
    {"fn", "add"},
    {"fn", "apply"},
    {"fn", "ls"},
    {"fn", "show"},
    {"fn", "rm"},
    {"pipeline"},
    {"pipeline", "submit"},
    {"pipeline", "run"},
    {"pipeline", "status"},
    {"pipeline", "cancel"},
    {"pipeline", "ls"},
};

TEST(CliJsonCoverage, EveryCommandTakesJsonAndIsCoveredHere) {
  for (const auto& [path, help] : fnq_command_helps()) {
    EXPECT_EQ(k_covered.count(path), 1u) << "no --json test for fnq " << path.back();
    // The groups themselves do nothing.
    if (path != std::vector<std::string>{"fn"} && path != std::vector<std::string>{"pipeline"}) {
      EXPECT_NE(std::find(help.flags.begin(), help.flags.end(), "--json"), help.flags.end())
          << "fnq " << path.back() << " --help lists no --json";
    }
  }
}

TEST_F(CliJson, SubmitInvokeStatusAwait) {
  add_function("upper", {"tr", "a-z", "A-Z"});
  json call = json_of({"submit", "upper", "-d", "abc", "--json"});
  expect_call(call, "upper");
  std::string id = call["id"];
  json invoked = json_of({"invoke", "upper", "-d", "xyz", "--json"});
  EXPECT_EQ(invoked["done"], true);
  ASSERT_EQ(invoked["calls"].size(), 1u) << invoked;
  EXPECT_EQ(invoked["calls"][0]["output"], "XYZ");
  EXPECT_EQ(invoked["calls"][0]["state"], "succeeded");

  json awaited = json_of({"await", id, "--json"});
  EXPECT_EQ(awaited["done"], true);
  ASSERT_EQ(awaited["calls"].size(), 1u);
  expect_call(awaited["calls"][0], "upper");
  EXPECT_EQ(awaited["calls"][0]["output"], "ABC");

  json status = json_of({"--json", "status", id});
  ASSERT_EQ(status["calls"].size(), 1u) << status;
  expect_call(status["calls"][0], "upper");
  EXPECT_EQ(status["calls"][0]["state"], "succeeded");
  EXPECT_EQ(status["calls"][0]["exit_code"], 0);
}

TEST_F(CliJson, SubmitLinesIsOneDocument) {
  add_function("cat", {"cat"});
  json batch = json_of({"submit", "cat", "--lines", "--json", "--delay", "1h"}, "a\nb\nc\n");
  ASSERT_EQ(batch["calls"].size(), 3u) << batch;
  for (const auto& call : batch["calls"]) {
    expect_call(call, "cat");
    EXPECT_EQ(call["state"], "waiting");
    EXPECT_EQ(call["input_size"], 2);
  }
}

TEST_F(CliJson, AwaitUnfinishedSaysNotDone) {
  add_function("cat", {"cat"});
  std::string id = submit_parked("cat");
  RunResult r = expect_exit(75, {"await", "--timeout", "50ms", "--json", id});
  json j = json::parse(r.out);
  EXPECT_EQ(j["done"], false);
  EXPECT_EQ(j["calls"][0]["state"], "waiting");
}

TEST_F(CliJson, OutputAndLogsAsTextOrBase64) {
  add_function("both", {"sh", "-c", "printf out; printf err >&2"});
  add_function("binary", {"printf", "\\377\\000\\376"});
  std::string text = fnq_ok({"submit", "both"});
  std::string bytes = fnq_ok({"submit", "binary"});
  fnq_ok({"await", text, bytes});
  std::string prefix = text.substr(0, 13);
  json out = json_of({"output", prefix, "--json"});
  EXPECT_EQ(out, json({{"id", text}, {"output", "out"}}));
  json err = json_of({"logs", text, "--json"});
  EXPECT_EQ(err, json({{"id", text}, {"stderr", "err"}}));
  json bin = json_of({"output", bytes, "--json"});
  EXPECT_EQ(bin.value("output_base64", ""), base64_encode(std::string("\xff\0\xfe", 3))) << bin;
  EXPECT_FALSE(bin.contains("output"));
  json awaited = json_of({"await", bytes, "--json"});
  EXPECT_EQ(awaited["calls"][0].value("output_base64", ""), bin["output_base64"]);
}

TEST_F(CliJson, CancelRetryList) {
  add_function("cat", {"cat"});
  std::string a = submit_parked("cat");
  std::string b = submit_parked("cat");
  json cancelled = json_of({"cancel", a, b, "--json"});
  ASSERT_EQ(cancelled["results"].size(), 2u) << cancelled;
  EXPECT_EQ(cancelled["results"][0]["result"], "cancelled");
  EXPECT_EQ(cancelled["results"][0]["call"]["id"], a);
  EXPECT_EQ(cancelled["results"][1]["call"]["id"], b);
  json again = json_of({"cancel", a, "--json"});
  EXPECT_EQ(again["results"][0]["result"], "already_terminal");

  json retried = json_of({"retry", a, "--json"});
  ASSERT_EQ(retried["calls"].size(), 1u) << retried;
  expect_call(retried["calls"][0], "cat");
  EXPECT_EQ(retried["calls"][0]["id"], a);
  expect_exit(0, {"await", a});

  json list = json_of({"list", "--json", "--limit", "1"});
  ASSERT_EQ(list["calls"].size(), 1u) << list;
  EXPECT_EQ(list["calls"][0]["id"], b);  // newest first
  EXPECT_EQ(list["next_before"], b);
  json rest = json_of({"list", "--json", "--before", b});
  ASSERT_EQ(rest["calls"].size(), 1u) << rest;
  EXPECT_EQ(rest["calls"][0]["id"], a);
  EXPECT_TRUE(rest["next_before"].is_null());
  json failed = json_of({"list", "--json", "--state", "cancelled", "--function", "cat"});
  ASSERT_EQ(failed["calls"].size(), 1u);
  EXPECT_EQ(failed["calls"][0]["id"], b);
}

TEST_F(CliJson, FunctionCommands) {
  json added = json_of({"fn", "add", "resize", "--json", "--concurrency", "2", "--exec-timeout",
                        "30000ms", "--env", "A=1", "--", "convert", "-", "png:-"});
  EXPECT_EQ(added["name"], "resize");
  EXPECT_EQ(added["command"], json({"convert", "-", "png:-"}));
  EXPECT_EQ(added["exec_timeout"], "30s");
  EXPECT_EQ(added["env"], json({{"A", "1"}}));

  write_file(file("fns.json"), R"([{"name": "a", "command": ["true"]},
                                   {"name": "b", "command": ["true"], "max_output": 1024}])");
  json applied = json_of({"fn", "apply", "-f", file("fns.json"), "--json"});
  ASSERT_EQ(applied["functions"].size(), 2u) << applied;
  EXPECT_EQ(applied["functions"][1]["max_output"], "1KiB");

  json listed = json_of({"fn", "ls", "--json"});
  std::vector<std::string> names;
  for (const auto& f : listed["functions"]) {
    names.push_back(f["name"]);
  }
  EXPECT_EQ(names, (std::vector<std::string>{"a", "b", "resize"}));

  json shown = json_of({"fn", "show", "resize", "--json"});
  EXPECT_EQ(shown, json_of({"fn", "show", "resize"}));  // JSON either way
  EXPECT_EQ(shown, added);

  std::string parked = submit_parked("a");
  json removed = json_of({"fn", "rm", "a", "--force", "--json"});
  EXPECT_EQ(removed["deleted"], "a");
  EXPECT_EQ(removed["cancelled"], json::array({parked}));
}

TEST_F(CliJson, PipelineCommands) {
  add_function("upper", {"tr", "a-z", "A-Z"});
  add_function("parked", {"cat"});
  std::string path = (std::filesystem::path(state_dir()) / "p.yaml").string();
  {
    std::ofstream f(path);
    f << "stages:\n"
         "  - {id: a, function: upper, data: abc}\n"
         "  - {id: b, function: upper, input_from: a}\n";
  }
  json submitted = json_of({"pipeline", "submit", path, "--json"});
  std::string id = submitted.value("id", "");
  ASSERT_FALSE(id.empty()) << submitted;
  ASSERT_TRUE(submitted["stages"].contains("a") && submitted["stages"].contains("b")) << submitted;

  json run = json_of({"pipeline", "run", path, "--json"});
  EXPECT_EQ(run["state"], "succeeded") << run;

  json status = json_of({"pipeline", "status", id, "--json"});
  EXPECT_EQ(status["id"], id) << status;
  ASSERT_TRUE(status.contains("stages")) << status;

  json listed = json_of({"pipeline", "ls", "--json"});
  ASSERT_EQ(listed["pipelines"].size(), 2u) << listed;
  EXPECT_TRUE(listed.contains("next_before")) << listed;

  std::string parked = (std::filesystem::path(state_dir()) / "q.yaml").string();
  {
    std::ofstream f(parked);
    f << "stages:\n  - {id: later, function: parked, delay: 1h}\n";
  }
  std::string parked_id = json_of({"pipeline", "submit", parked, "--json"}).value("id", "");
  json cancelled = json_of({"pipeline", "cancel", parked_id, "--json"});
  EXPECT_EQ(cancelled["results"]["later"], "cancelled") << cancelled;
  EXPECT_EQ(cancelled["pipeline"]["state"], "cancelled") << cancelled;
}

TEST_F(CliJson, PruneAndPing) {
  json pruned = json_of({"prune", "--json"});
  EXPECT_EQ(pruned["deleted"], 0) << pruned;
  add_function("ok", {"true"});
  std::string id = fnq_ok({"submit", "ok"});
  fnq_ok({"await", id});
  ASSERT_TRUE(wait_until([&] {
    // finished_at is in whole milliseconds; 0ms may not yet cover it
    return json_of({"prune", "--older-than", "0", "--json"})["deleted"] == 1;
  }));
  expect_exit(66, {"status", id});

  json ping = json_of({"ping", "--json"});
  EXPECT_EQ(ping["url"], m_daemon->url());
  EXPECT_FALSE(ping.value("version", "").empty()) << ping;
}

TEST_F(CliJson, FailuresKeepStdoutParseable) {
  add_function("ok", {"cat"});
  std::string id = fnq_ok({"submit", "ok", "-d", "x"});
  RunResult r = expect_exit(66, {"status", "--json", id, "01a20c24-107f-7012-acfd-c5804144c57f"});
  json j = json::parse(r.out, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << r.out;
  EXPECT_EQ(j["calls"].size(), 1u);
  EXPECT_NE(r.err.find("fnq: error:"), std::string::npos);
}

}  // namespace
}  // namespace fnq::test
