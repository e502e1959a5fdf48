// HttpEndpoint: --listen. One HTTP server (cpp-httplib) on its own threads that serves the latest
// live report (model/live_report.h) while goretain traces:
//   /                       a landing page (the live HTML report once it is wired in)
//   /metrics                Prometheus text (metrics_text.h)
//   /debug/pprof/heap       the pprof heap profile, gzip (inuse_space by default), as Go serves it
//   /debug/pprof/allocs     the same data opening on alloc_space, as Go's allocs profile
// Anything else is 404; before the first report, the data endpoints answer 503.
//
// Contract with the session: the endpoint only reads LiveReport::Latest() and renders on its own
// threads, so the event loop never waits for a client; each body is rendered once per published
// report however many clients ask (render_cache.h).
#pragma once

#include <memory>
#include <string>
#include <thread>

#include "symbols/result.h"
#include "userspace/http/listen_address.h"
#include "userspace/model/live_report.h"

namespace httplib {
class Server;
}

namespace goretain {

struct EndpointOptions {
  size_t metrics_top = 50;  // --metrics-top
  std::string version;      // goretain's (goretain_build_info)
};

class HttpEndpoint {
 public:
  // Binds now, so that a port in use is an error (kBadInput) before anything is attached, then
  // serves until destroyed. SIGPIPE is blocked in the server's threads (only there): a client
  // that hangs up mid-response costs a failed write, not goretain.
  static Result<std::unique_ptr<HttpEndpoint>> Start(const ListenAddress& where,
                                                     const LiveReport& live,
                                                     const EndpointOptions& options);
  ~HttpEndpoint();  // stops serving and joins the server's threads
  HttpEndpoint(const HttpEndpoint&) = delete;
  HttpEndpoint& operator=(const HttpEndpoint&) = delete;

  // "http://127.0.0.1:9464" with the bound port (the kernel's choice for port 0).
  const std::string& url() const { return url_; }

 private:
  struct Routes;
  HttpEndpoint() = default;

  std::unique_ptr<httplib::Server> server_;
  std::unique_ptr<Routes> routes_;
  std::thread thread_;
  std::string url_;
};

}  // namespace goretain
