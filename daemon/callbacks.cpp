#include "daemon/callbacks.h"

#include <httplib.h>

#include <algorithm>
#include <cstdio>
#include <utility>

#include "common/timeutil.h"
#include "common/url.h"
#include "daemon/log.h"

namespace fnq {

namespace {

// The request target a callback is POSTed to: the URL's path and query,
// "/" when it has none; a fragment is never sent.
std::string request_target(const Url& url) {
  std::string target = url.target.substr(0, url.target.find('#'));
  if (target.empty() || target.front() != '/') {
    target.insert(0, "/");
  }
  return target;
}

constexpr int k_workers = 4;
// Longer than one delivery can take (connect 5s + write 10s + read 10s): a
// leased delivery is not taken again while a worker has it, and is taken
// again after a crash.
constexpr std::int64_t k_lease_ms = 60'000;

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
  m_dispatcher = std::thread([this] { dispatch(); });
  for (int i = 0; i < k_workers; ++i) {
    m_workers.emplace_back([this] { work(); });
  }
}

void CallbackSender::wake() {
  {
    std::lock_guard<std::mutex> lock(m_mutex);
    m_woken = true;
  }
  m_dispatch_cv.notify_one();
}

void CallbackSender::stop() {
  {
    std::lock_guard<std::mutex> lock(m_mutex);
    m_stop = true;
    for (auto* client : m_in_flight) {
      client->stop();  // the worker's Post returns at once, without an answer
    }
  }
  m_dispatch_cv.notify_all();
  m_work_cv.notify_all();
  if (m_dispatcher.joinable()) {
    m_dispatcher.join();
  }
  for (auto& t : m_workers) {
    t.join();
  }
  m_workers.clear();
}

Status CallbackSender::check_url(const std::string& url) const {
  auto p = parse_url(url);
  if (!p) {
    return make_error(
        ErrorKind::invalid_input,
        "callback_url: '" + url + "' is not an http:// or https:// URL: " + p.error().message);
  }
  const auto& allow = m_config.callback_allow;
  if (!allow.empty() && std::find(allow.begin(), allow.end(), p->host) == allow.end()) {
    return make_error(ErrorKind::invalid_input,
                      "callback_url: host '" + p->host + "' is not in --callback-allow");
  }
  return {};
}

void CallbackSender::dispatch() {
  for (;;) {
    int free_workers;
    {
      auto n = m_store.next_callback_at();
      std::optional<std::int64_t> next = n ? *n : std::optional<std::int64_t>(now_ms() + 1000);
      std::unique_lock<std::mutex> lock(m_mutex);
      auto ready = [&] { return m_stop || (m_woken && m_busy < k_workers); };
      auto due = [&] { return m_stop || m_busy < k_workers; };
      if (!next) {
        m_dispatch_cv.wait(lock, ready);
      } else if (*next > now_ms()) {
        m_dispatch_cv.wait_for(lock, std::chrono::milliseconds(*next - now_ms()), ready);
      }
      m_dispatch_cv.wait(lock, due);  // a free worker, whatever woke us
      if (m_stop) {
        return;
      }
      m_woken = false;
      free_workers = k_workers - m_busy;
    }
    auto taken = take_due(free_workers);
    if (taken.empty()) {
      continue;
    }
    {
      std::lock_guard<std::mutex> lock(m_mutex);
      m_busy += static_cast<int>(taken.size());
      for (auto& d : taken) {
        m_queue.push_back(std::move(d));
      }
    }
    for (std::size_t i = 0; i < taken.size(); ++i) {
      m_work_cv.notify_one();
    }
  }
}

std::vector<CallbackSender::Delivery> CallbackSender::take_due(int limit) {
  std::vector<Delivery> out;
  std::int64_t now = now_ms();
  auto jobs = m_store.due_callbacks(now, limit);
  if (!jobs) {
    log_line("cannot read due callbacks: " + jobs.error().message);
    return out;
  }
  for (const auto& job : *jobs) {
    auto call = m_store.get_call(job.id);
    if (!call || !call->callback) {
      continue;  // pruned meanwhile
    }
    auto leased = m_store.record_callback(job.id, "pending", job.attempts,
                                          call->callback->last_status, now + k_lease_ms);
    if (!leased) {
      log_line("cannot lease callback of call " + job.id + ": " + leased.error().message);
      continue;
    }
    out.push_back(Delivery{job, std::move(*call)});
  }
  return out;
}

void CallbackSender::work() {
  for (;;) {
    Delivery d;
    {
      std::unique_lock<std::mutex> lock(m_mutex);
      m_work_cv.wait(lock, [&] { return m_stop || !m_queue.empty(); });
      if (m_queue.empty()) {
        return;  // stopping; leased deliveries left queued are taken again after the lease
      }
      d = std::move(m_queue.front());
      m_queue.pop_front();
    }
    deliver(d);
    {
      std::lock_guard<std::mutex> lock(m_mutex);
      --m_busy;
      m_woken = true;  // more may be due than there were free workers
    }
    m_dispatch_cv.notify_one();
  }
}

httplib::Headers CallbackSender::headers_for(const Delivery& d) {
  const Call& call = d.call;
  char secs[32];
  std::snprintf(secs, sizeof secs, "%f",
                static_cast<double>(duration_ms(call).value_or(0)) / 1000.0);
  httplib::Headers headers = {
      {"X-Call-Id", call.id},
      {"X-Function-Name", call.function},
      {"X-Function-Status", std::to_string(function_status(call.state))},
      {"X-Fnq-State", to_string(call.state)},
      {"X-Duration-Seconds", secs},
      {"X-Attempt", std::to_string(call.attempt)},
      {"X-Callback-Attempt", std::to_string(d.job.attempts + 1)},
  };
  if (call.exit_code) {
    headers.emplace("X-Exit-Code", std::to_string(*call.exit_code));
  } else if (call.signal) {
    headers.emplace("X-Exit-Code", std::to_string(128 + *call.signal));
  }
  return headers;
}

// The receiver's status, or nothing (no answer, or aborted by stop()).
std::optional<int> CallbackSender::post(const Delivery& d, bool* aborted) {
  auto output = m_store.get_output(d.job.id);
  auto url = parse_url(d.job.url);
  if (!output || !url) {
    return std::nullopt;
  }
  httplib::Client client(url->origin());
  client.set_tcp_nodelay(true);
  client.set_connection_timeout(std::chrono::seconds(5));
  client.set_read_timeout(std::chrono::seconds(10));
  client.set_write_timeout(std::chrono::seconds(10));
  {
    std::lock_guard<std::mutex> lock(m_mutex);
    if (m_stop) {
      *aborted = true;
      return std::nullopt;
    }
    m_in_flight.insert(&client);
  }
  auto res = client.Post(request_target(*url), headers_for(d), *output, "application/octet-stream");
  std::lock_guard<std::mutex> lock(m_mutex);
  m_in_flight.erase(&client);
  *aborted = m_stop && !res;
  return res ? std::optional<int>(res->status) : std::nullopt;
}

void CallbackSender::deliver(const Delivery& d) {
  const CallbackJob& job = d.job;
  bool aborted = false;
  auto status = post(d, &aborted);
  std::int64_t now = now_ms();
  if (aborted) {
    // Stopped mid-delivery: not an attempt; due again at the next start.
    (void)m_store.record_callback(job.id, "pending", job.attempts, d.call.callback->last_status,
                                  now);
    return;
  }
  int attempts = job.attempts + 1;
  bool ok = status && *status >= 200 && *status < 300;
  std::string state = ok                                       ? "delivered"
                      : attempts >= m_config.callback_attempts ? "failed"
                                                               : "pending";
  std::int64_t delay = m_config.callback_backoff.count() << std::min(attempts - 1, 20);
  auto s = m_store.record_callback(job.id, state, attempts, status, now + delay);
  m_metrics.callback_delivery(ok ? "delivered" : state == "failed" ? "failed" : "retry");
  log_line("callback for call " + job.id + " to " + job.url + ": " +
           (status ? "HTTP " + std::to_string(*status) : std::string("no answer")) + ", " + state +
           " (attempt " + std::to_string(attempts) + "/" +
           std::to_string(m_config.callback_attempts) + ")" +
           (state == "pending" ? "; retry in " + format_duration(Millis(delay)) : "") +
           (s ? "" : "; cannot record: " + s.error().message));
}

}  // namespace fnq
