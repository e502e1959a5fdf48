#include "userspace/http/server.h"

#include <httplib.h>
#include <signal.h>
#include <sys/socket.h>
#include <spdlog/spdlog.h>

#include <cerrno>
#include <chrono>
#include <cstring>

#include "userspace/http/index_page.h"
#include "userspace/http/metrics_text.h"
#include "userspace/http/pod_filter.h"
#include "userspace/http/render_cache.h"
#include "userspace/output/html.h"
#include "userspace/output/pprof.h"

namespace goretain {
namespace {

// Few workers: bodies come from the cache, and the event loop shares the CPU with them.
constexpr size_t kWorkers = 4;
constexpr time_t kKeepAliveS = 2;
constexpr time_t kSocketTimeoutS = 5;
constexpr int kBacklog = 512;

constexpr const char* kPprofContentType = "application/octet-stream";  // as Go's net/http/pprof

}  // namespace

// The handlers' state: the live report and one render cache per endpoint.
struct HttpEndpoint::Routes {
  Routes(const LiveReport& live, const EndpointOptions& options)
      : live(live),
        metrics_text(MetricsOptions{options.metrics_top, options.version}),
        metrics([this](const Report& r) { return metrics_text.Render(r); }),
        metrics_of_pod([this](const Report& r) { return metrics_text.RenderEverySite(r); }),
        heap([](const Report& r) { return RenderPprof(r, PprofView::kHeap); }),
        allocs([](const Report& r) { return RenderPprof(r, PprofView::kAllocs); }),
        page([](const Report& r) { return RenderHtml(r, HtmlPage{.live = true}); }) {}

  // Serves `cache`'s body for the latest report, or 503 before the first one. With ?pod=NS/NAME
  // the body is that pod's part of the report, rendered for this request only (pod_filter.h) by
  // `of_pod` if given, else by `cache`'s renderer; a malformed value is a 400. (/metrics renders
  // a pod's part with every call site its own series: its usual renderer remembers which series
  // it served, which a filtered report must not change.)
  void Serve(RenderCache& cache, const char* content_type, const char* filename,
             const httplib::Request* req, httplib::Response& res,
             const RenderCache* of_pod = nullptr) const {
    std::optional<PodFilter> pod;
    if (req && req->has_param("pod")) {
      pod = ParsePodFilter(req->get_param_value("pod"));
      if (!pod) {
        res.status = 400;
        res.set_content("goretain: ?pod= takes NAMESPACE/NAME\n", "text/plain");
        return;
      }
    }
    const std::shared_ptr<const Report> report = live.Latest();
    if (!report) {
      res.status = 503;
      res.set_content("goretain: no report yet (the probes are not live)\n", "text/plain");
      return;
    }
    if (filename) {
      res.set_header("Content-Disposition", std::string("attachment; filename=\"") + filename + "\"");
    }
    if (pod) {
      res.set_content((of_pod ? *of_pod : cache).RenderUncached(FilterByPod(*report, *pod)),
                      content_type);
      return;
    }
    res.set_content(*cache.Get(report), content_type);
  }

  void Install(httplib::Server& server) {
    server.Get("/metrics", [this](const httplib::Request& req, httplib::Response& res) {
      Serve(metrics, kMetricsContentType, nullptr, &req, res, &metrics_of_pod);
    });
    server.Get("/debug/pprof/heap", [this](const httplib::Request& req, httplib::Response& res) {
      Serve(heap, kPprofContentType, "heap", &req, res);
    });
    server.Get("/debug/pprof/allocs", [this](const httplib::Request& req, httplib::Response& res) {
      Serve(allocs, kPprofContentType, "allocs", &req, res);
    });
    server.Get("/", [this](const httplib::Request&, httplib::Response& res) {
      // The HTML report of the latest report; before the first one, a landing page.
      const std::shared_ptr<const Report> report = live.Latest();
      if (!report) {
        res.set_content(RenderIndexPage(nullptr), "text/html; charset=utf-8");
        return;
      }
      res.set_content(*page.Get(report), "text/html; charset=utf-8");
    });
  }

  const LiveReport& live;
  MetricsText metrics_text;
  RenderCache metrics, metrics_of_pod, heap, allocs, page;  // metrics_of_pod: never cached
};

Result<std::unique_ptr<HttpEndpoint>> HttpEndpoint::Start(const ListenAddress& where,
                                                          const LiveReport& live,
                                                          const EndpointOptions& options) {
  std::unique_ptr<HttpEndpoint> e(new HttpEndpoint());
  e->server_ = std::make_unique<httplib::Server>();
  e->routes_ = std::make_unique<Routes>(live, options);
  httplib::Server& server = *e->server_;
  server.new_task_queue = [] { return new httplib::ThreadPool(kWorkers); };
  server.set_keep_alive_timeout(kKeepAliveS);
  server.set_read_timeout(kSocketTimeoutS);
  server.set_write_timeout(kSocketTimeoutS);
  e->routes_->Install(server);
  // httplib's default socket options set SO_REUSEPORT alone: a second goretain (any process of
  // the same user) could then bind the same port and share its clients. SO_REUSEADDR only: a port
  // in use is an error, one in TIME_WAIT is not. The socket is noted to raise its backlog.
  int listen_fd = -1;
  server.set_socket_options([&listen_fd](socket_t sock) {
    const int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
    listen_fd = sock;
  });

  errno = 0;
  int port = where.port;
  const bool bound = port == 0 ? (port = server.bind_to_any_port(where.host)) > 0
                               : server.bind_to_port(where.host, port);
  if (!bound) {
    const int err = errno;
    return Error{ErrorCode::kBadInput,
                 "--listen " + UrlAuthority(where.host, where.port) + ": cannot listen there" +
                     (err ? std::string(": ") + std::strerror(err) : std::string()) +
                     " (hint: pick another port, or stop what uses it)"};
  }
  server.set_socket_options([](socket_t) {});  // (listen_fd is going out of scope)
  // httplib listens with a backlog of 5: a burst of scrapers would wait seconds for SYN retries.
  // (Linux takes a second listen() as a new backlog.)
  if (listen_fd >= 0) listen(listen_fd, kBacklog);
  e->url_ = "http://" + UrlAuthority(where.host, port);
  e->thread_ = std::thread([&server] {
    // A client that hangs up mid-response must cost a failed write (EPIPE), not goretain: SIGPIPE
    // is blocked in this thread and in the workers it starts (they inherit the mask), so a write's
    // SIGPIPE stays pending on its thread. The process's disposition, which a command goretain
    // launches would inherit, is left as it was.
    sigset_t pipe;
    sigemptyset(&pipe);
    sigaddset(&pipe, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe, nullptr);
    if (!server.listen_after_bind()) spdlog::warn("the HTTP endpoint stopped serving");
  });
  // httplib's stop() does nothing until the loop runs: wait for it, so that the destructor's stop
  // always ends it (bounded: a loop that failed at once never runs).
  for (int i = 0; i < 1000 && !server.is_running(); i++) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return e;
}

HttpEndpoint::~HttpEndpoint() {
  if (server_) server_->stop();
  if (thread_.joinable()) thread_.join();
}

}  // namespace goretain
