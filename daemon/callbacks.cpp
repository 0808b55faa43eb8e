#include "daemon/callbacks.h"

#include <httplib.h>

#include <algorithm>
#include <cstdio>

#include "common/timeutil.h"
#include "daemon/log.h"

namespace fnq {

namespace {

struct ParsedUrl {
  std::string origin;  // scheme://host[:port]
  std::string host;
  std::string path;    // "/..." (with query)
};

std::optional<ParsedUrl> parse_url(const std::string& url) {
  std::size_t scheme_end;
  if (url.rfind("http://", 0) == 0) {
    scheme_end = 7;
  } else if (url.rfind("https://", 0) == 0) {
    scheme_end = 8;
  } else {
    return std::nullopt;
  }
  auto slash = url.find('/', scheme_end);
  std::string authority = url.substr(scheme_end, slash == std::string::npos ? std::string::npos : slash - scheme_end);
  if (authority.empty() || authority.find('@') != std::string::npos) {
    return std::nullopt;
  }
  ParsedUrl p;
  p.origin = url.substr(0, scheme_end) + authority;
  p.path = slash == std::string::npos ? "/" : url.substr(slash);
  if (authority.front() == '[') {
    p.host = authority.substr(1, authority.find(']') - 1);
  } else {
    p.host = authority.substr(0, authority.find(':'));
  }
  if (p.host.empty()) {
    return std::nullopt;
  }
  return p;
}

int function_status(CallState state) {
  switch (state) {
    case CallState::succeeded: return 200;
    case CallState::failed: return 500;
    case CallState::timed_out: return 504;
    default: return 409;
  }
}

}  // namespace

CallbackSender::CallbackSender(const DaemonConfig& config, Store& store, Metrics& metrics)
    : m_config(config), m_store(store), m_metrics(metrics) {}

CallbackSender::~CallbackSender() { stop(); }

void CallbackSender::start() {
  m_thread = std::thread([this] { run(); });
}

void CallbackSender::wake() {
  {
    std::lock_guard<std::mutex> lock(m_mutex);
    m_woken = true;
  }
  m_cv.notify_all();
}

void CallbackSender::stop() {
  {
    std::lock_guard<std::mutex> lock(m_mutex);
    m_stop = true;
  }
  m_cv.notify_all();
  if (m_thread.joinable()) {
    m_thread.join();
  }
}

Status CallbackSender::check_url(const std::string& url) const {
  auto p = parse_url(url);
  if (!p) {
    return make_error(ErrorKind::invalid_input,
                      "callback_url: '" + url + "' is not an http:// or https:// URL");
  }
  const auto& allow = m_config.callback_allow;
  if (!allow.empty() && std::find(allow.begin(), allow.end(), p->host) == allow.end()) {
    return make_error(ErrorKind::invalid_input,
                      "callback_url: host '" + p->host + "' is not in --callback-allow");
  }
  return {};
}

void CallbackSender::run() {
  for (;;) {
    std::optional<std::int64_t> next;
    {
      auto n = m_store.next_callback_at();
      next = n ? *n : std::optional<std::int64_t>(now_ms() + 1000);
    }
    {
      std::unique_lock<std::mutex> lock(m_mutex);
      auto pred = [&] { return m_woken || m_stop; };
      if (!next) {
        m_cv.wait(lock, pred);
      } else if (*next > now_ms()) {
        m_cv.wait_for(lock, std::chrono::milliseconds(*next - now_ms()), pred);
      }
      if (m_stop) {
        return;
      }
      m_woken = false;
    }
    auto jobs = m_store.due_callbacks(now_ms(), 16);
    if (!jobs) {
      log_line("cannot read due callbacks: " + jobs.error().message);
      continue;
    }
    for (const auto& job : *jobs) {
      {
        std::lock_guard<std::mutex> lock(m_mutex);
        if (m_stop) {
          return;
        }
      }
      deliver(job);
    }
  }
}

void CallbackSender::deliver(const CallbackJob& job) {
  auto call = m_store.get_call(job.id);
  auto output = m_store.get_output(job.id);
  auto url = parse_url(job.url);
  int attempts = job.attempts + 1;
  std::optional<int> status;
  if (call && output && url) {
    httplib::Client client(url->origin);
    client.set_tcp_nodelay(true);
    client.set_connection_timeout(std::chrono::seconds(5));
    client.set_read_timeout(std::chrono::seconds(10));
    client.set_write_timeout(std::chrono::seconds(10));
    char secs[32];
    std::snprintf(secs, sizeof secs, "%f",
                  static_cast<double>(duration_ms(*call).value_or(0)) / 1000.0);
    httplib::Headers headers = {
        {"X-Call-Id", call->id},
        {"X-Function-Name", call->function},
        {"X-Function-Status", std::to_string(function_status(call->state))},
        {"X-Fnq-State", to_string(call->state)},
        {"X-Duration-Seconds", secs},
        {"X-Attempt", std::to_string(call->attempt)},
        {"X-Callback-Attempt", std::to_string(attempts)},
    };
    if (call->exit_code) {
      headers.emplace("X-Exit-Code", std::to_string(*call->exit_code));
    }
    auto res = client.Post(url->path, headers, *output, "application/octet-stream");
    if (res) {
      status = res->status;
    }
  }
  bool ok = status && *status >= 200 && *status < 300;
  std::string state = ok ? "delivered" : attempts >= m_config.callback_attempts ? "failed" : "pending";
  std::int64_t delay = m_config.callback_backoff.count() << std::min(attempts - 1, 20);
  auto s = m_store.record_callback(job.id, state, attempts, status, now_ms() + delay);
  m_metrics.callback_delivery(ok ? "delivered" : state == "failed" ? "failed" : "retry");
  log_line("callback for call " + job.id + " to " + job.url + ": " +
           (status ? "HTTP " + std::to_string(*status) : std::string("no answer")) + ", " + state +
           (state == "pending" ? " (retry in " + format_duration(Millis(delay)) + ")" : "") +
           (s ? "" : "; cannot record: " + s.error().message));
}

}  // namespace fnq
