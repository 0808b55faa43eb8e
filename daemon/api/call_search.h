#pragma once
// GET /v1/calls?text=: calls by ID prefix or by a substring of their error.
#include "daemon/api/context.h"

namespace fnq {

// At most this many calls are read per request when searching errors.
inline constexpr int k_search_window = 5000;

struct CallPage {
  std::vector<Call> calls;
  std::optional<std::string> next_before;  // where the next page starts
  std::int64_t examined = 0;               // calls read to make this page
};

// text of 8+ lowercase hex/hyphen characters: the newest calls matching
// filter whose ID starts with it (a range of IDs, read through the filter's
// index like any page). Anything else: the newest calls
// matching filter whose error contains text (case-insensitive), reading at
// most k_search_window calls newest first through the filter's index; a
// page that stops at the window gives next_before so the search goes on.
Result<CallPage> search_calls(ApiContext& ctx, const CallFilter& filter, const std::string& text);

}  // namespace fnq
