// Latency probe for benchmark 5: one keep-alive connection to fnqd, requests
// one after another, median and p90 of each kind.
//
// Usage: probe URL TOKEN submit FN N   POST /v1/calls {"function": FN, "delay": "100d"}
//                                      (a durable submit that does not run)
//        probe URL TOKEN claim FN N    POST /v1/calls {"function": FN}, then
//                                      GET /v1/calls/ID?wait=30s until it is finished
// Prints "median_us=M p90_us=P" and, for claim, "queued_to_running_ms=Q": the
// median of started_at - created_at, the time the call waited to be claimed.
#include <httplib.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

using json = nlohmann::json;

namespace {

// "2026-11-23T10:00:00.123Z" -> milliseconds since midnight (enough for a
// difference within one day).
long long day_ms(const std::string& t) {
  int h = 0, m = 0, s = 0, ms = 0;
  if (std::sscanf(t.c_str() + 11, "%d:%d:%d.%d", &h, &m, &s, &ms) < 3) {
    return 0;
  }
  return ((h * 60LL + m) * 60 + s) * 1000 + ms;
}

double pct(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[std::min(v.size() - 1, static_cast<std::size_t>(p * v.size()))];
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 6) {
    std::fprintf(stderr, "usage: probe URL TOKEN submit|claim FN N\n");
    return 64;
  }
  std::string url = argv[1], mode = argv[3], fn = argv[4];
  int n = std::atoi(argv[5]);
  httplib::Client cli(url);
  cli.set_tcp_nodelay(true);
  cli.set_keep_alive(true);
  cli.set_read_timeout(60, 0);
  httplib::Headers headers = {{"Authorization", std::string("Bearer ") + argv[2]}};
  json body = {{"function", fn}};
  if (mode == "submit") {
    body["delay"] = "100d";
  }
  std::string payload = body.dump();
  std::vector<double> us, waited;
  for (int i = 0; i < n + 3; ++i) {  // the first 3 warm up
    auto t0 = std::chrono::steady_clock::now();
    auto r = cli.Post("/v1/calls", headers, payload, "application/json");
    if (!r || r->status != 202) {
      std::fprintf(stderr, "probe: submit failed (%d)\n", r ? r->status : -1);
      return 1;
    }
    if (mode == "claim") {
      std::string id = json::parse(r->body).at("id");
      json call;
      do {
        auto g = cli.Get("/v1/calls/" + id + "?wait=30s", headers);
        if (!g || g->status != 200) {
          std::fprintf(stderr, "probe: get failed\n");
          return 1;
        }
        call = json::parse(g->body);
      } while (call.at("finished_at").is_null());
      if (i >= 3) {
        waited.push_back(
            static_cast<double>(day_ms(call.at("started_at")) - day_ms(call.at("created_at"))));
      }
    }
    double d =
        std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count();
    if (i >= 3) {
      us.push_back(d);
    }
  }
  std::printf("median_us=%.0f p90_us=%.0f", pct(us, 0.5), pct(us, 0.9));
  if (mode == "claim") {
    std::printf(" queued_to_running_ms=%.0f", pct(waited, 0.5));
  }
  std::printf("\n");
  return 0;
}
