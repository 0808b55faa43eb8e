// What the loop handlers that take submits share (async_function_on_loop,
// post_calls_on_loop): which requests the loop may take at all, and storing
// their calls without a thread waiting for the commit, then answering from
// the loop as httplib's route would.
#include "daemon/api/context.h"
#include "daemon/api/http_server.h"
#include "fnq/version.h"

namespace fnq {

bool loop_may_take(const ApiContext& ctx, const LoopRequest& r) {
  const RequestHead& head = r.head;
  // Anything unusual goes the usual way: httplib answers it, errors included.
  return ctx.store.submits_without_blocking() && head.method == "POST" &&
         head.version == "HTTP/1.1" && head.target.find_first_of("%#") == std::string::npos &&
         !head.headers.count("Expect") && !head.headers.count("Accept-Encoding") &&
         !head.headers.count("Content-Encoding") && r.body.size() <= ctx.config.max_body &&
         (ctx.token.empty() || bearer_in_head(ctx, head));
}

namespace {

// The answer to a submit the loop took, as the route would write it.
std::string loop_answer(ApiContext& ctx, const HttpServer& server, const std::string& route,
                        const std::string& request, bool close,
                        Result<std::vector<SubmitResult>> results,
                        const LoopSubmitted& write_answer) {
  httplib::Response res;
  std::string error = write_answer(res, std::move(results));
  res.set_header("X-Fnq-Version", k_version);
  note_answer(ctx, route, request, error, res);
  ctx.metrics.http_answered_on_loop();
  return server.format_answer(res, close);
}

}  // namespace

void submit_on_loop(ApiContext& ctx, const HttpServer& server, const LoopRequest& r,
                    std::vector<NewCall> batch, std::string route, std::string path,
                    LoopAnswer answer, LoopSubmitted write_answer) {
  store_calls_then(
      ctx, std::move(batch),
      [&ctx, &server, answer = std::move(answer), route = std::move(route),
       request = "POST " + path + " from " + r.peer, close = r.close,
       write_answer = std::move(write_answer)](Result<std::vector<SubmitResult>> results) mutable {
        // On the store's thread: the answer is made on the loop's.
        auto shared = std::make_shared<Result<std::vector<SubmitResult>>>(std::move(results));
        answer(
            [&ctx, &server, shared, route = std::move(route), request = std::move(request), close,
             write_answer = std::move(write_answer)] {
              return loop_answer(ctx, server, route, request, close, std::move(*shared),
                                 write_answer);
            },
            close);
      });
}

}  // namespace fnq
