// ?pod=NS/NAME on /metrics and the pprof endpoints: the value's syntax, the report cut to one pod's targets
// and rows, and, through a real server on loopback, that a filtered body is that cut rendered and
// never poisons the unfiltered body cached for the same report.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>

#include "userspace/http/metrics_text.h"
#include "userspace/http/pod_filter.h"
#include "userspace/http/server.h"
#include "userspace/output/pprof.h"

namespace goretain {
namespace {

TargetLabels Pod(const std::string& ns, const std::string& name) {
  TargetLabels l;
  l.namespace_ = ns;
  l.pod = name;
  l.container_id = std::string(64, ns == "shop" ? 'a' : 'b');
  return l;
}

// Three processes: pod shop/web, pod shop/db, and one outside any pod; two rows each.
std::shared_ptr<const Report> ThreePods() {
  auto r = std::make_shared<Report>();
  const std::vector<std::pair<int, TargetLabels>> procs = {
      {10, Pod("shop", "web")}, {20, Pod("shop", "db")}, {30, TargetLabels{}}};
  for (const auto& [pid, labels] : procs) {
    ReportTarget t{pid, "/bin/app", "go1.22.1", "abc"};
    t.labels = labels;
    r->targets.push_back(t);
    for (int i = 0; i < 2; i++) {
      CallsiteRow c;
      c.site = {"main.f" + std::to_string(pid + i), "/src/main.go", pid + i};
      c.type = "map[string]int";
      c.alloc_bytes = 48 * (pid + i);
      c.alloc_objects = pid + i;
      c.exe = "/bin/app";
      c.pid = pid;
      c.labels = labels;
      r->callsites.push_back(std::move(c));
    }
  }
  r->events_received = 123;
  return r;
}

TEST(PodFilter, ParsesNamespaceSlashName) {
  auto p = ParsePodFilter("shop/web");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->namespace_, "shop");
  EXPECT_EQ(p->name, "web");
  for (const char* bad : {"", "shop", "/web", "shop/", "a/b/c"}) {
    EXPECT_FALSE(ParsePodFilter(bad)) << bad;
  }
}

TEST(PodFilter, KeepsThePodsTargetsAndRowsOnly) {
  const Report r = FilterByPod(*ThreePods(), PodFilter{"shop", "web"});
  ASSERT_EQ(r.targets.size(), 1u);
  EXPECT_EQ(r.targets[0].pid, 10);
  ASSERT_EQ(r.callsites.size(), 2u);
  for (const CallsiteRow& c : r.callsites) EXPECT_EQ(c.pid, 10);
  EXPECT_EQ(r.events_received, 123u) << "the session's figures are kept";
  EXPECT_TRUE(FilterByPod(*ThreePods(), PodFilter{"shop", "nope"}).callsites.empty());
  EXPECT_TRUE(FilterByPod(*ThreePods(), PodFilter{"other", "web"}).targets.empty());
}

// GET path on loopback: the status code and the body.
std::pair<int, std::string> Get(int port, const std::string& path) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  EXPECT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)), 0);
  const std::string request = "GET " + path + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
  send(fd, request.data(), request.size(), MSG_NOSIGNAL);
  std::string reply;
  char buf[65536];
  for (ssize_t n; (n = recv(fd, buf, sizeof(buf), 0)) > 0;) reply.append(buf, static_cast<size_t>(n));
  close(fd);
  const size_t end = reply.find("\r\n\r\n");
  if (reply.size() < 12 || end == std::string::npos) return {0, ""};
  return {std::stoi(reply.substr(9, 3)), reply.substr(end + 4)};
}

TEST(PodFilter, TheServerRendersTheCutWithoutTouchingItsCache) {
  LiveReport live;
  auto e = HttpEndpoint::Start(ListenAddress{"127.0.0.1", 0}, live, EndpointOptions{0, "test"});
  ASSERT_TRUE(e) << e.error().message;
  const std::string url = (*e)->url();
  const int port = std::stoi(url.substr(url.rfind(':') + 1));
  const std::shared_ptr<const Report> report = ThreePods();
  live.Publish(report);
  const PodFilter web{"shop", "web"};
  for (const auto& [path, view] : {std::pair{"/debug/pprof/heap", PprofView::kHeap},
                                   std::pair{"/debug/pprof/allocs", PprofView::kAllocs}}) {
    SCOPED_TRACE(path);
    const std::string whole = RenderPprof(*report, view);
    const std::string cut = RenderPprof(FilterByPod(*report, web), view);
    ASSERT_NE(whole, cut);
    EXPECT_EQ(Get(port, path), std::pair(200, whole));
    EXPECT_EQ(Get(port, std::string(path) + "?pod=shop/web"), std::pair(200, cut));
    EXPECT_EQ(Get(port, path), std::pair(200, whole)) << "the filtered body was cached";
    EXPECT_EQ(Get(port, std::string(path) + "?pod=shop").first, 400);
  }
}

// /metrics?pod=NS/NAME: the pod's series only, every call site its own (the unfiltered body
// folds beyond --metrics-top 1), and the unfiltered body the same before and after.
TEST(PodFilter, MetricsOfOnePodAreItsSeriesEachItsOwn) {
  LiveReport live;
  auto e = HttpEndpoint::Start(ListenAddress{"127.0.0.1", 0}, live, EndpointOptions{1, "test"});
  ASSERT_TRUE(e) << e.error().message;
  const std::string url = (*e)->url();
  const int port = std::stoi(url.substr(url.rfind(':') + 1));
  live.Publish(ThreePods());
  const auto [status, whole] = Get(port, "/metrics");
  ASSERT_EQ(status, 200);
  EXPECT_NE(whole.find("kind=\"\",function=\"(other)\""), std::string::npos) << whole;
  const auto [pod_status, web] = Get(port, "/metrics?pod=shop/web");
  ASSERT_EQ(pod_status, 200);
  EXPECT_EQ(web, MetricsText(MetricsOptions{1, "test"})
                     .RenderEverySite(FilterByPod(*ThreePods(), PodFilter{"shop", "web"})));
  EXPECT_EQ(web.find("kind=\"\",function=\"(other)\""), std::string::npos) << web;
  for (int line : {10, 11}) {  // both of the pod's rows, with their labels
    EXPECT_NE(web.find("goretain_alloc_bytes_total{pid=\"10\",kind=\"map.make\",function=\"main.f" +
                       std::to_string(line) + "\""),
              std::string::npos)
        << web;
  }
  EXPECT_NE(web.find("namespace=\"shop\",pod=\"web\""), std::string::npos) << web;
  EXPECT_EQ(web.find("pid=\"20\""), std::string::npos) << "shop/db's series";
  EXPECT_EQ(web.find("pid=\"30\""), std::string::npos) << "a process outside pods";
  EXPECT_EQ(Get(port, "/metrics"), std::pair(200, whole)) << "the pod's scrape changed /metrics";
  EXPECT_EQ(Get(port, "/metrics?pod=shop").first, 400);
}

}  // namespace
}  // namespace goretain
