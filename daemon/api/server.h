#pragma once
#include <memory>
#include <string>

#include "daemon/api/context.h"

namespace fnq {

class HttpServer;

// The HTTP server: auth, limits and errors in one place, then the routes.
class ApiServer {
 public:
  explicit ApiServer(ApiContext& ctx);
  ~ApiServer();
  // Binds to the configured address; returns the port (useful with port 0).
  Result<int> bind();
  // Serves until stop(); call from its own thread.
  void serve();
  // True once serve() is accepting; stop() before that would not stop it.
  bool is_running() const;
  // Ends idle and half-read connections, finishes answers being written.
  void stop();

 private:
  ApiContext& m_ctx;
  std::unique_ptr<HttpServer> m_server;
};

}  // namespace fnq
