#include "daemon/store/store_checks.h"

namespace fnq {

Error unknown_function(const std::string& name) {
  return make_error(ErrorKind::not_found, "unknown function '" + name + "'");
}

Error unknown_pipeline(const std::string& id) {
  return make_error(ErrorKind::not_found, "unknown pipeline '" + id + "'");
}

Error stage_key_taken(const Call& existing, const std::string& stage) {
  return make_error(ErrorKind::conflict, "stage '" + stage + "': a call of '" + existing.function +
                                             "' with key '" + existing.key.value_or("") +
                                             "' already exists (" + existing.id +
                                             "); give the pipeline a key to submit it again");
}

Result<Function> parse_stored_definition(const std::string& name, const std::string& text) {
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded()) {
    return make_error(ErrorKind::io, "stored definition of function '" + name + "' is not JSON");
  }
  auto f = stored_function_from_json(j);
  if (!f.ok()) {
    return make_error(ErrorKind::io, "stored definition of function '" + name +
                                         "' is invalid: " + f.error().message);
  }
  return f;
}

Status check_outcome(const AttemptOutcome& o) {
  bool final_state = o.state == CallState::succeeded || o.state == CallState::failed ||
                     o.state == CallState::timed_out || o.state == CallState::cancelled;
  if (!final_state) {
    return make_error(ErrorKind::internal, std::string("attempt of call ") + o.id +
                                               " cannot end as " + to_string(o.state));
  }
  if (o.retry_at && o.state != CallState::failed && o.state != CallState::timed_out) {
    return make_error(ErrorKind::internal, std::string("call ") + o.id + " ended " +
                                               to_string(o.state) + " and cannot be retried");
  }
  return {};
}

Status check_retryable(const Call& c) {
  if (c.state == CallState::succeeded) {
    return make_error(ErrorKind::conflict, "call " + c.id + " already succeeded");
  }
  if (!is_terminal(c.state)) {
    return make_error(ErrorKind::conflict, "call " + c.id + " is still " + to_string(c.state));
  }
  return {};
}

Result<RetryNeeds> retry_needs(const Call& c, const CallStateOf& state_of) {
  RetryNeeds out;
  for (const std::string& need : c.needs) {
    auto state = state_of(need);
    if (!state.ok()) {
      if (state.error().kind == ErrorKind::not_found) {
        continue;
      }
      return state.error();
    }
    if (!is_terminal(*state)) {
      out.pending_ids.push_back(need);
    } else if (*state != CallState::succeeded) {
      return make_error(ErrorKind::conflict, "call " + c.id + " needs " + need + ", which " +
                                                 to_string(*state) + " (retry it first)");
    } else if (c.input_from == need) {
      out.input_ready = true;
    }
  }
  return out;
}

}  // namespace fnq
