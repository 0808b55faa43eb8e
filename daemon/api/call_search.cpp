#include "daemon/api/call_search.h"

#include <algorithm>
#include <cctype>

#include "common/ids.h"

namespace fnq {

namespace {

std::string lower(std::string s) {
  for (auto& c : s) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return s;
}

// Newest first from just above the prefix's range, through the filter's
// index: one page of at most limit rows, ending where the IDs leave the range.
Result<CallPage> by_id_prefix(ApiContext& ctx, CallFilter filter, const std::string& text) {
  const std::string above = text + "~";  // '~' sorts after every hex digit and '-'
  if (!filter.before || *filter.before > above) {
    filter.before = above;
  }
  FNQ_TRY_ASSIGN(auto calls, ctx.store.list_calls(filter));
  CallPage page;
  page.examined = static_cast<std::int64_t>(calls.size());
  for (auto& c : calls) {
    if (c.id.compare(0, text.size(), text) != 0) {
      return page;  // past the range: nothing older matches
    }
    page.calls.push_back(std::move(c));
  }
  if (static_cast<int>(page.calls.size()) == filter.limit) {
    page.next_before = page.calls.back().id;
  }
  return page;
}

Result<CallPage> by_error(ApiContext& ctx, CallFilter filter, const std::string& text) {
  const std::string needle = lower(text);
  const int wanted = filter.limit;
  CallPage page;
  filter.limit = 500;
  while (page.examined < k_search_window) {
    filter.limit = static_cast<int>(std::min<std::int64_t>(500, k_search_window - page.examined));
    FNQ_TRY_ASSIGN(auto batch, ctx.store.list_calls(filter));
    for (auto& c : batch) {
      ++page.examined;
      filter.before = c.id;
      if (c.error && lower(*c.error).find(needle) != std::string::npos) {
        page.calls.push_back(std::move(c));
        if (static_cast<int>(page.calls.size()) == wanted) {
          page.next_before = page.calls.back().id;
          return page;
        }
      }
    }
    if (static_cast<int>(batch.size()) < filter.limit) {
      return page;  // no more calls
    }
  }
  page.next_before = filter.before;  // the window ended; the search goes on from here
  return page;
}

}  // namespace

Result<CallPage> search_calls(ApiContext& ctx, const CallFilter& filter, const std::string& text) {
  if (is_call_id_prefix(text)) {
    return by_id_prefix(ctx, filter, text);
  }
  return by_error(ctx, filter, text);
}

}  // namespace fnq
