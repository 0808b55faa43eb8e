// fnq await: wait for calls, then write their outputs in order. Also the
// waiting half of fnq invoke.
#include <algorithm>
#include <chrono>
#include <thread>

#include "cli/args.h"
#include "cli/commands.h"
#include "cli/output.h"
#include "common/encoding.h"

namespace fnq::cli {

namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::duration_cast;

// The daemon holds one /v1/await for at most about this long.
constexpr Millis k_server_chunk = std::chrono::seconds(30);
// On a terminal, shorter chunks keep the progress line live.
constexpr Millis k_progress_chunk = std::chrono::seconds(1);
// The HTTP read timeout is the chunk plus this margin, so a slow answer is
// not mistaken for a dead daemon.
constexpr Millis k_read_margin = std::chrono::seconds(30);
// A daemon that answers "not done" at once is not hammered: wait this long.
constexpr Millis k_min_poll_interval = std::chrono::milliseconds(250);
// A script awaiting this many calls or fewer gets their outputs in the
// answer that says they are done (one round trip, not one more per call);
// fnqd leaves out those past --max-body ("output_omitted"), fetched apart.
// Not on a terminal: its 1 s chunks would carry the outputs each second.
constexpr std::size_t k_inline_outputs_up_to = 16;
// How long a lost daemon (restart, upgrade) may stay unreachable mid-wait.
constexpr Millis k_reconnect_budget = std::chrono::seconds(60);

bool retryable(const Error& e) {
  return e.kind == ErrorKind::unavailable || e.kind == ErrorKind::shutting_down ||
         e.kind == ErrorKind::timeout;
}

Checked<std::vector<Call>> parse_calls(const json& answer) {
  std::vector<Call> calls;
  auto list = answer.find("calls");
  if (list == answer.end() || !list->is_array()) {
    return Failure{k_exit_failure, "unexpected answer from fnqd", "no \"calls\" array", ""};
  }
  for (const auto& j : *list) {
    auto call = call_from_json(j);
    if (!call.ok()) {
      return Failure{k_exit_failure, "unexpected answer from fnqd", call.error().message, ""};
    }
    calls.push_back(std::move(*call));
  }
  return calls;
}

struct Counts {
  std::size_t done = 0;
  std::size_t failed = 0;
};

Counts count(const std::vector<Call>& calls) {
  Counts c;
  for (const auto& call : calls) {
    if (is_terminal(call.state)) {
      ++c.done;
      c.failed += call.state != CallState::succeeded ? 1 : 0;
    }
  }
  return c;
}

std::string describe(const Call& call) {
  std::string text = "call " + call.id + " (" + call.function + ") " + to_string(call.state);
  // "cancelled: cancelled" says nothing twice.
  if (call.error && !call.error->empty() && *call.error != to_string(call.state)) {
    text += ": " + *call.error;
  }
  return text;
}

// One POST /v1/await.
Result<JsonReply> await_once(Api& api, const std::vector<std::string>& ids, Millis wait,
                             bool with_output) {
  json body = {{"ids", ids}, {"timeout", format_duration(wait)}, {"output", with_output}};
  return request_json(api, ApiRequest{"POST", "/v1/await", body, wait + k_read_margin});
}

Failure await_failure(const Error& e) {
  return api_failure(e, "cannot wait for the calls", Subject::call);
}

// The output an answer carried for one call: "output" (text) or
// "output_base64"; none when it was left out or not asked for.
Checked<std::optional<std::string>> inline_output(const json& call) {
  auto text = call.find("output");
  if (text != call.end() && text->is_string()) {
    return std::optional<std::string>(text->get<std::string>());
  }
  auto encoded = call.find("output_base64");
  if (encoded != call.end() && encoded->is_string()) {
    auto bytes = base64_decode(encoded->get<std::string>());
    if (!bytes) {
      return Failure{k_exit_failure, "unexpected answer from fnqd", "malformed output_base64", ""};
    }
    return std::optional<std::string>(std::move(*bytes));
  }
  return std::optional<std::string>();
}

Checked<WaitResult> to_wait_result(const json& answer) {
  auto calls = parse_calls(answer);
  if (!calls.ok()) {
    return calls.failure();
  }
  auto done = answer.find("done");
  WaitResult result{
      done != answer.end() && done->is_boolean() && done->get<bool>(), std::move(*calls), {}};
  for (const auto& call : answer.at("calls")) {
    auto output = inline_output(call);
    if (!output.ok()) {
      return output.failure();
    }
    result.outputs.push_back(std::move(*output));
  }
  return result;
}

// Each call's stdout, in order: as the answer carried it, else straight
// from /v1/calls/{id}/output.
std::optional<Failure> write_outputs(Context& ctx, const WaitResult& result) {
  for (std::size_t i = 0; i < result.calls.size(); ++i) {
    const Call& call = result.calls[i];
    if (call.output_size == 0) {
      continue;
    }
    if (i < result.outputs.size() && result.outputs[i]) {
      const std::string& carried = *result.outputs[i];
      ctx.out().write(carried.data(), static_cast<std::streamsize>(carried.size()));
      continue;
    }
    auto bytes =
        ctx.fetch_raw(ApiRequest{"GET", "/v1/calls/" + call.id + "/output", {}, k_request_timeout},
                      "cannot get the output of call " + call.id, Subject::call);
    if (!bytes.ok()) {
      return bytes.failure();
    }
    ctx.out().write(bytes->data(), static_cast<std::streamsize>(bytes->size()));
  }
  ctx.out().flush();
  return std::nullopt;
}

// fnqd leaves outputs out of one /v1/await answer past a bound
// ("output_omitted"); fetch those one by one, so --json prints every output.
std::optional<Failure> fill_omitted_outputs(Context& ctx, json& answer) {
  auto calls = answer.find("calls");
  if (calls == answer.end() || !calls->is_array()) {
    return std::nullopt;
  }
  for (auto& call : *calls) {
    if (!call.is_object() || !call.value("output_omitted", false)) {
      continue;
    }
    std::string id = call.value("id", "");
    auto bytes =
        ctx.fetch_raw(ApiRequest{"GET", "/v1/calls/" + id + "/output", {}, k_request_timeout},
                      "cannot get the output of call " + id, Subject::call);
    if (!bytes.ok()) {
      return bytes.failure();
    }
    call.erase("output_omitted");
    if (is_valid_utf8(*bytes)) {
      call["output"] = std::move(*bytes);
    } else {
      call["output_base64"] = base64_encode(*bytes);
    }
  }
  return std::nullopt;
}

void add_call_notes(const std::vector<Call>& calls, Outcome& outcome) {
  for (const auto& call : calls) {
    if (is_terminal(call.state) && call.state != CallState::succeeded) {
      outcome.notes.push_back(describe(call));
    }
    if (call.output_truncated) {
      outcome.notes.push_back("the output of call " + call.id + " (" + call.function +
                              ") was cut at its function's max_output");
    }
  }
}

Failure unfinished_failure(const std::vector<Call>& calls, std::optional<Millis> timeout) {
  Counts c = count(calls);
  std::string why = std::to_string(calls.size() - c.done) + " of " + std::to_string(calls.size()) +
                    " calls not finished";
  if (timeout) {
    why += " after " + format_duration(*timeout);
  }
  return Failure{k_exit_wait_timeout, "gave up waiting", why, "run 'fnq await' again later"};
}

// The polling loop behind wait_for_calls.
class AwaitLoop {
 public:
  AwaitLoop(Context& ctx, const std::vector<std::string>& ids, std::optional<Millis> timeout)
      : m_ctx(ctx),
        m_ids(ids),
        m_timeout(timeout),
        m_start(Clock::now()),
        m_progress(ctx.err(), ctx.terminal().stderr_tty) {}

  Checked<WaitResult> run() {
    for (;;) {
      Millis chunk = next_chunk();
      const auto asked_at = Clock::now();
      auto reply = ask(chunk);
      if (!reply.ok()) {
        if (!ride_out(reply.error())) {
          return await_failure(reply.error());
        }
        continue;
      }
      m_lost = false;
      m_answered = true;
      auto parsed = to_wait_result(reply->body);
      if (!parsed.ok()) {
        return parsed.failure();
      }
      m_result = std::move(*parsed);
      if (m_result.done || timed_out()) {
        return m_result;
      }
      if (m_ids.size() > 1 || Clock::now() - m_start > std::chrono::seconds(1)) {
        show_progress();
      }
      if (Clock::now() - asked_at < std::min(chunk, k_min_poll_interval)) {
        std::this_thread::sleep_for(k_min_poll_interval);
      }
    }
  }

 private:
  Millis next_chunk() const {
    Millis chunk = m_ctx.terminal().stderr_tty ? k_progress_chunk : k_server_chunk;
    if (m_timeout) {
      auto left = duration_cast<Millis>(m_start + *m_timeout - Clock::now());
      chunk = std::max(Millis(0), std::min(chunk, left));
    }
    return chunk;
  }

  bool timed_out() const { return m_timeout && Clock::now() - m_start >= *m_timeout; }

  Result<JsonReply> ask(Millis chunk) {
    FNQ_TRY_ASSIGN(auto api, m_ctx.connect());
    bool with_output =
        m_ids.size() <= k_inline_outputs_up_to && !m_ctx.json() && !m_ctx.terminal().stderr_tty;
    return await_once(*api, m_ids, chunk, with_output);
  }

  // Once the calls were found, a daemon restart (or upgrade) is ridden out
  // for a while instead of failing a long wait; its URL is looked up again,
  // as a restarted fnqd may listen elsewhere. True: try again.
  bool ride_out(const Error& e) {
    if (!m_answered || !retryable(e) || timed_out() ||
        (m_lost && Clock::now() - m_lost_since > k_reconnect_budget)) {
      return false;
    }
    if (!m_lost) {
      m_lost = true;
      m_lost_since = Clock::now();
    }
    show_progress("reconnecting");
    m_ctx.disconnect();
    std::this_thread::sleep_for(std::min(next_chunk() + Millis(1), Millis(1000)));
    return true;
  }

  void show_progress(const std::string& extra = "") {
    Counts c = count(m_result.calls);
    m_progress.show(c.done, m_ids.size(), c.failed, extra);
  }

  Context& m_ctx;
  const std::vector<std::string>& m_ids;
  std::optional<Millis> m_timeout;
  Clock::time_point m_start;
  ProgressLine m_progress;
  bool m_answered = false;  // the daemon knew the calls
  bool m_lost = false;      // it stopped answering at m_lost_since
  Clock::time_point m_lost_since;
  WaitResult m_result;
};

}  // namespace

CLI::App* add_await_command(CLI::App& app, AwaitOptions& o) {
  auto* cmd = app.add_subcommand("await", "Wait for calls and write their outputs in order");
  cmd->add_option("id", o.ids,
                  "Call IDs (or unique prefixes of 8+ characters); - reads them from stdin")
      ->required()
      ->type_name("ID");
  cmd->add_option("--timeout", o.timeout, "Give up after D (exit 75); default: wait forever")
      ->type_name("D");
  cmd->footer(
      "Writes each call's stdout, in the order given, once all have finished.\n"
      "Exit status: 0 if all succeeded; else, for the first unsuccessful call in the order\n"
      "given, its exit code, 128+N if killed by signal N, 124 if timed out, 125 if cancelled\n"
      "or skipped; 75 (and no output) if --timeout passed first.\n"
      "With --json, prints {\"done\": ..., \"calls\": [call with \"output\" or "
      "\"output_base64\"]}.\n\n"
      "Example:\n"
      "  fnq await $id > small.png\n"
      "  fnq submit resize --lines < files.txt | fnq await - > results");
  return cmd;
}

Checked<WaitResult> wait_for_calls(Context& ctx, const std::vector<std::string>& ids,
                                   std::optional<Millis> timeout) {
  auto api = ctx.api();  // an unreachable daemon fails at once, before any waiting
  if (!api.ok()) {
    return api.failure();
  }
  return AwaitLoop(ctx, ids, timeout).run();
}

Outcome deliver_results(Context& ctx, const WaitResult& waited, std::optional<Millis> timeout) {
  WaitResult result = waited;
  if (ctx.json()) {
    // The loop asked without outputs; fetch them once, at the end.
    auto api = ctx.api();
    if (!api.ok()) {
      return api.failure();
    }
    std::vector<std::string> ids;
    for (const auto& call : result.calls) {
      ids.push_back(call.id);
    }
    auto reply = await_once(**api, ids, Millis(0), true);
    if (!reply.ok()) {
      return await_failure(reply.error());
    }
    if (auto bad = fill_omitted_outputs(ctx, reply->body)) {
      return *bad;
    }
    auto parsed = to_wait_result(reply->body);
    if (!parsed.ok()) {
      return parsed.failure();
    }
    result = std::move(*parsed);
    write_json(ctx.out(), reply->body);
  } else if (result.done) {
    if (auto bad = write_outputs(ctx, result)) {
      return *bad;
    }
  }
  Outcome outcome = Outcome::with_code(exit_code_for_calls(result.calls, result.done));
  add_call_notes(result.calls, outcome);
  if (!result.done) {
    outcome.add(unfinished_failure(result.calls, timeout));
  }
  return outcome;
}

// The IDs given, or with "-" those read from stdin, one or more per line:
// `fnq submit resize --lines < files.txt | fnq await -`.
Checked<std::vector<std::string>> ids_to_await(Context& ctx,
                                               const std::vector<std::string>& given) {
  if (std::find(given.begin(), given.end(), "-") == given.end()) {
    return given;
  }
  if (given.size() != 1) {
    return usage_failure("'-' must be the only ID", "it reads the IDs from stdin",
                         "see 'fnq await --help'");
  }
  std::vector<std::string> ids;
  std::string word;
  while (ctx.in() >> word) {
    ids.push_back(word);
  }
  if (ids.empty()) {
    return usage_failure("no call IDs on stdin", "", "see 'fnq await --help'");
  }
  return ids;
}

Outcome run_await(Context& ctx, const AwaitOptions& o) {
  auto given = ids_to_await(ctx, o.ids);
  if (!given.ok()) {
    return given.failure();
  }
  auto ids = check_call_ids(*given);
  if (!ids.ok()) {
    return ids.failure();
  }
  auto timeout = parse_duration_option("--timeout", o.timeout);
  if (!timeout.ok()) {
    return timeout.failure();
  }
  auto result = wait_for_calls(ctx, *ids, *timeout);
  if (!result.ok()) {
    return result.failure();
  }
  return deliver_results(ctx, *result, *timeout);
}

}  // namespace fnq::cli
