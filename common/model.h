#pragma once
// The domain model shared by fnqd and fnq: functions, calls, their states,
// and their JSON forms (SPEC §1).
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/json.h"

#include "common/result.h"
#include "common/units.h"

namespace fnq {

using json = nlohmann::json;

enum class CallState { waiting, queued, running, succeeded, failed, timed_out, cancelled, skipped };

const char* to_string(CallState state);
std::optional<CallState> parse_call_state(std::string_view text);
bool is_terminal(CallState state);

// ^[a-z0-9][a-z0-9_.-]{0,63}$
bool is_valid_function_name(std::string_view name);

// A registered command. Unset optionals fall back to the daemon's defaults.
struct Function {
  std::string name;
  std::vector<std::string> command;
  std::map<std::string, std::string> env;
  std::string workdir;  // empty: the daemon's working directory
  std::optional<Millis> exec_timeout;
  std::optional<Millis> write_timeout;
  std::optional<Millis> kill_grace;
  std::optional<int> concurrency;  // 0: no per-function limit
  std::optional<int> max_retries;
  std::optional<Millis> retry_backoff;
  std::optional<std::uint64_t> max_output;
  std::optional<std::string> callback_url;
};

// Validates every field and its range (common/ranges.h); errors name the
// field ("exec_timeout: ...").
Result<Function> function_from_json(const json& j);
// As above, for a definition fnqd stored itself: values out of range (stored
// before the ranges held) are brought to the nearest bound, not refused.
Result<Function> stored_function_from_json(const json& j);
json to_json(const Function& f);

struct CallbackInfo {
  std::string url;
  std::string state = "pending";  // pending | delivered | failed
  int attempts = 0;
  std::optional<int> last_status;
};

// The HTTP request a call came from, for the watchdog's Http_* variables.
struct RequestInfo {
  std::string method = "POST";
  std::string path;   // the part after /function/NAME, "" or "/..."
  std::string query;  // without '?'
  std::vector<std::pair<std::string, std::string>> headers;
};
json to_json(const RequestInfo& r);
RequestInfo request_info_from_json(const json& j);

// An attempt that ended and was followed by another (an automatic retry,
// a requeue after fnqd or its host stopped, a manual retry): the call keeps
// it in its history, oldest first. Calls that never ran again keep none.
struct AttemptRecord {
  int attempt = 0;
  std::optional<std::int64_t> started_at;  // ms since epoch
  std::optional<std::int64_t> finished_at;
  CallState state = CallState::failed;  // how it ended
  std::optional<int> exit_code;
  std::optional<int> signal;
  std::optional<std::string> error;
};

struct Call {
  std::string id;
  std::string function;
  CallState state = CallState::queued;
  int attempt = 0;  // attempts started so far
  int max_retries = 0;
  std::optional<int> exit_code;
  std::optional<int> signal;
  std::optional<std::string> error;
  int priority = 0;
  bool sync = false;  // submitted through /function/ or fnq invoke: runs before async calls
  std::optional<std::string> key;
  std::vector<std::string> needs;
  std::optional<std::string> input_from;
  std::int64_t created_at = 0;  // ms since epoch
  std::int64_t run_at = 0;
  std::optional<std::int64_t> started_at;
  std::optional<std::int64_t> finished_at;
  std::optional<Millis> exec_timeout;  // per-call override
  std::uint64_t input_size = 0;
  std::uint64_t output_size = 0;
  bool output_truncated = false;
  std::optional<CallbackInfo> callback;
  RequestInfo request;
  // Set for the calls of a pipeline: its id and this call's stage name.
  std::optional<std::string> pipeline;
  std::optional<std::string> stage;
  std::vector<AttemptRecord> attempts;  // earlier attempts, oldest first
};

std::optional<std::int64_t> duration_ms(const Call& c);
// The API form of SPEC §1 (times as RFC 3339, duration_ms derived).
json to_json(const Call& c);
// The client reads calls back from the API form. Only id and state are
// required; any other field of another type or out of range (as an older
// fnqd could send) reads as absent.
Result<Call> call_from_json(const json& j);

}  // namespace fnq
