// --listen: the HTTP endpoint while tracing, against a real traced leakydemo. `go tool pprof`
// (Debian's) reads /debug/pprof/heap and /allocs by URL as it reads a Go program's, with the
// figures /metrics gives for the same report; bad addresses and a port in use exit 2 with one
// line before anything is attached; clients that hang up mid-response and bursts of 200
// concurrent scrapes neither crash goretain nor cost it an event. (A real Prometheus server
// scraping it: prometheus_scrape_test.cpp.)
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <fstream>
#include <map>
#include <mutex>
#include <regex>
#include <sstream>
#include <thread>

#include "http_client.h"

namespace e2e {
namespace {

// leakydemo serving 500 requests/s: its audit log (map.make audit-entry) leaks steadily.
std::vector<std::string> Demo() { return {Target("leakydemo"), "-rate", "500"}; }

// `go tool pprof ARGS...` run to completion (HOME set: a clean CI environment has none).
Process Pprof(const fs::path& home, const std::vector<std::string>& args) {
  std::vector<std::string> argv = {"/usr/bin/env", "HOME=" + home.string(), "/usr/bin/go", "tool",
                                   "pprof"};
  argv.insert(argv.end(), args.begin(), args.end());
  return RunToEnd(argv, 60s);
}

// A loopback TCP socket, listening on a port the kernel chose (closed on destruction).
struct ListeningSocket {
  ListeningSocket() {
    fd = socket(AF_INET, SOCK_STREAM, 0);
    const int yes = 1;  // as permissive as a socket gets: goretain must not share the port
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
    setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &yes, sizeof(yes));
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(a);
    if (bind(fd, reinterpret_cast<sockaddr*>(&a), len) != 0 || listen(fd, 1) != 0 ||
        getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
      throw std::runtime_error("cannot listen on loopback");
    }
    port = ntohs(a.sin_port);
  }
  ~ListeningSocket() { close(fd); }
  int fd = -1;
  int port = 0;
};

// "function file:line kind" -> {alloc_space, inuse_space}, summed over the samples of a
// `go tool pprof -raw` listing whose leaf line that is.
std::map<std::string, std::pair<int64_t, int64_t>> RawFiguresBySite(const std::string& raw) {
  static const std::regex sample(R"(^\s*(-?\d+)\s+(-?\d+)\s+(-?\d+)\s+(-?\d+):\s*(\d+)[\d ]*$)");
  static const std::regex kind(R"(kind:\[([^\]]+)\])");
  static const std::regex location(R"(^\s*(\d+): 0x[0-9a-f]+ M=\d+ (.*) s=\d+$)");
  struct Sample { int64_t alloc_space, inuse_space; int leaf; std::string kind; };
  std::vector<Sample> samples;
  std::map<int, std::string> leaf_line;
  std::istringstream in(raw);
  std::string line, section;
  std::smatch m;
  while (std::getline(in, line)) {
    if (line == "Samples:" || line == "Locations" || line == "Mappings") section = line;
    if (section == "Samples:" && std::regex_match(line, m, sample)) {
      samples.push_back({std::stoll(m[2]), std::stoll(m[4]), std::stoi(m[5]), ""});
    } else if (section == "Samples:" && !samples.empty() && std::regex_search(line, m, kind)) {
      samples.back().kind = m[1];
    } else if (section == "Locations" && std::regex_match(line, m, location)) {
      leaf_line[std::stoi(m[1])] = m[2];
    }
  }
  std::map<std::string, std::pair<int64_t, int64_t>> out;
  for (const Sample& s : samples) {
    auto& f = out[leaf_line[s.leaf] + " " + s.kind];
    f.first += s.alloc_space;
    f.second += s.inuse_space;
  }
  return out;
}

// The same figures from /metrics.
std::map<std::string, std::pair<int64_t, int64_t>> MetricFiguresBySite(const std::string& text) {
  std::map<std::string, std::pair<int64_t, int64_t>> out;
  auto key = [](const MetricSample& s) {
    const auto& l = s.labels;
    return l.at("function") + " " + l.at("file") + ":" + l.at("line") + " " + l.at("kind");
  };
  const std::vector<MetricSample> samples = ParseMetrics(text);
  for (const MetricSample& s : Select(samples, "goretain_alloc_bytes_total")) {
    out[key(s)].first += static_cast<int64_t>(s.value);
  }
  for (const MetricSample& s : Select(samples, "goretain_retained_bytes")) {
    out[key(s)].second += static_cast<int64_t>(s.value);
  }
  return out;
}

// Stops goretain with SIGINT; its final JSON report, which must say no event was dropped.
void ExpectCleanFinalReport(Traced& t, json* report) {
  t.goretain.Signal(SIGINT);
  ASSERT_EQ(t.goretain.Wait(15s), 0) << t.goretain.Describe();
  ASSERT_TRUE(ParseReports(t.goretain.Stdout()).size() == 1) << t.goretain.Describe();
  *report = ParseReports(t.goretain.Stdout())[0];
  EXPECT_EQ((*report)["events"]["dropped"], 0) << report->dump();
  EXPECT_GE((*report)["events"]["received"].get<int64_t>(), 1000) << report->dump();
}

class HttpEndpoint : public E2ETest {};

TEST_F(HttpEndpoint, UnparsableAddressExitsTwoWithOneLine) {
  for (const char* bad : {"foo", "1.2.3.4:99999", "127.0.0.1:", "127.0.0.1:http", "::1:9464"}) {
    SCOPED_TRACE(bad);
    Process gr = Goretain({"--listen", bad, "--", Target("counts")});
    EXPECT_EQ(gr.Wait(), 2) << gr.Describe();
    EXPECT_TRUE(IsOneErrorLine(gr.Stderr()));
    EXPECT_NE(gr.Stderr().find(std::string("--listen ") + bad), std::string::npos) << gr.Stderr();
  }
}

TEST_F(HttpEndpoint, PortInUseExitsTwoBeforeAttaching) {
  ListeningSocket taken;
  Process demo(Demo());
  ASSERT_TRUE(demo.WaitForStderr("serving")) << demo.Describe();
  Process gr = Goretain({"--listen", "127.0.0.1:" + std::to_string(taken.port), "--pid",
                         std::to_string(demo.pid())});
  EXPECT_EQ(gr.Wait(), 2) << gr.Describe();
  EXPECT_TRUE(IsOneErrorLine(gr.Stderr()));  // so no "probes attached" line either
  EXPECT_NE(gr.Stderr().find("Address already in use"), std::string::npos) << gr.Stderr();
  EXPECT_TRUE(demo.Running()) << demo.Describe();
}

TEST_F(HttpEndpoint, GoToolPprofReadsTheLiveProfilesWithTheMetricsFigures) {
  Traced t;
  ASSERT_TRUE(TraceGated(Demo(), {"--listen", "127.0.0.1:0", "--format", "json"}, &t));
  const std::string url = ServingUrl(t.goretain);
  ASSERT_FALSE(url.empty()) << t.goretain.Describe();
  ASSERT_TRUE(WaitForFirstReport(url)) << t.goretain.Describe();
  std::this_thread::sleep_for(3s);  // a few GC cycles: retained figures

  // By URL, as against a Go program: heap opens on inuse_space, allocs on alloc_space.
  Process heap = Pprof(tmp_.path(), {"-top", url + "/debug/pprof/heap"});
  ASSERT_EQ(heap.exit_code(), 0) << heap.Describe();
  EXPECT_NE(heap.Stdout().find("Type: inuse_space"), std::string::npos) << heap.Stdout();
  EXPECT_NE(heap.Stdout().find("main.audit"), std::string::npos) << heap.Stdout();
  EXPECT_NE(heap.Stdout().find("File: leakydemo"), std::string::npos) << heap.Stdout();
  Process allocs = Pprof(tmp_.path(), {"-top", url + "/debug/pprof/allocs"});
  ASSERT_EQ(allocs.exit_code(), 0) << allocs.Describe();
  EXPECT_NE(allocs.Stdout().find("Type: alloc_space"), std::string::npos) << allocs.Stdout();
  Process raw_url = Pprof(tmp_.path(), {"-raw", url + "/debug/pprof/heap"});
  ASSERT_EQ(raw_url.exit_code(), 0) << raw_url.Describe();
  EXPECT_FALSE(RawFiguresBySite(raw_url.Stdout()).empty()) << raw_url.Stdout();

  // One report's /metrics and profile: /metrics before and after the profile are the same body
  // (the report changes every second; each body is rendered once per report).
  HttpReply before, profile, after;
  for (int i = 0; i < 50 && (before.body.empty() || before.body != after.body); i++) {
    before = HttpGet(url, "/metrics");
    profile = HttpGet(url, "/debug/pprof/heap");
    after = HttpGet(url, "/metrics");
  }
  ASSERT_EQ(before.body, after.body) << "never two /metrics of one report around a profile";
  EXPECT_EQ(before.content_type, "text/plain; version=0.0.4; charset=utf-8");
  // Prometheus' own linter accepts the exposition.
  const fs::path metrics = tmp_ / "metrics.txt";
  std::ofstream(metrics) << before.body;
  Process lint = RunToEnd({"/bin/sh", "-c", "/usr/bin/promtool check metrics < " + metrics.string()});
  EXPECT_EQ(lint.exit_code(), 0) << lint.Describe();
  ASSERT_EQ(profile.status, 200);
  EXPECT_EQ(profile.content_type, "application/octet-stream");
  const fs::path saved = tmp_ / "heap.pb.gz";
  std::ofstream(saved) << profile.body;
  Process raw = Pprof(tmp_.path(), {"-raw", saved.string()});
  ASSERT_EQ(raw.exit_code(), 0) << raw.Describe();
  const auto from_pprof = RawFiguresBySite(raw.Stdout());
  const auto from_metrics = MetricFiguresBySite(before.body);
  EXPECT_EQ(from_pprof, from_metrics) << raw.Stdout() << "\n" << before.body;
  const std::string audit = "main.audit " + TargetSource("leakydemo").string() + ":" +
                            std::to_string(WantLine("leakydemo", "map.make", "audit-entry")) +
                            " map.make";
  ASSERT_TRUE(from_metrics.contains(audit)) << before.body;
  EXPECT_GT(from_metrics.at(audit).first, 0);
  EXPECT_GT(from_metrics.at(audit).second, 0) << "the leak retains nothing after 3 s?";

  json report;
  ExpectCleanFinalReport(t, &report);
}

// Bounded: 20 hang-ups, then 3 bursts of 200 clients at once (half /metrics, half the profile).
TEST_F(HttpEndpoint, HangUpsAndConcurrentScrapesCostNoEvent) {
  Traced t;
  ASSERT_TRUE(TraceGated(Demo(), {"--listen", "127.0.0.1:0", "--format", "json"}, &t));
  const std::string url = ServingUrl(t.goretain);
  ASSERT_FALSE(url.empty()) << t.goretain.Describe();
  ASSERT_TRUE(WaitForFirstReport(url)) << t.goretain.Describe();
  const int port = std::stoi(url.substr(url.rfind(':') + 1));

  // 20 clients that hang up: after reading the start of a response (reset, or closed), right
  // after sending the request (before the server replies), or in the middle of the request.
  for (int i = 0; i < 20; i++) {
    const int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<uint16_t>(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)), 0);
    const std::string request = i % 4 == 3 ? "GET /debug/pp"
                                           : "GET /debug/pprof/heap HTTP/1.1\r\nHost: x\r\n\r\n";
    ASSERT_EQ(send(fd, request.data(), request.size(), MSG_NOSIGNAL), ssize_t(request.size()));
    char buf[64];
    if (i % 4 == 0 || i % 4 == 2) EXPECT_GT(recv(fd, buf, sizeof(buf), 0), 0);
    if (i % 4 == 0) {
      const linger reset{1, 0};
      setsockopt(fd, SOL_SOCKET, SO_LINGER, &reset, sizeof(reset));
    }
    close(fd);
  }
  std::this_thread::sleep_for(200ms);  // the server has met every hang-up
  ASSERT_TRUE(t.goretain.Running()) << t.goretain.Describe();
  const double events_before =
      Select(ParseMetrics(HttpGet(url, "/metrics").body), "goretain_events_total").at(0).value;

  std::atomic<int> ok = 0;
  std::mutex failures_mu;
  std::map<std::string, int> failures;  // "status N after S s" -> how many
  for (int round = 0; round < 3; round++) {
    std::vector<std::thread> clients;
    for (int i = 0; i < 200; i++) {
      clients.emplace_back([&, i] {
        const auto t0 = std::chrono::steady_clock::now();
        const HttpReply r = HttpGet(url, i % 2 ? "/metrics" : "/debug/pprof/heap", 20s);
        if (r.status == 200 && !r.body.empty()) {
          ok++;
          return;
        }
        const auto s = std::chrono::duration_cast<std::chrono::seconds>(
            std::chrono::steady_clock::now() - t0);
        std::lock_guard lock(failures_mu);
        failures["status " + std::to_string(r.status) + " after " + std::to_string(s.count()) + " s"]++;
      });
    }
    for (std::thread& c : clients) c.join();
  }
  EXPECT_EQ(ok.load(), 600) << ::testing::PrintToString(failures);
  ASSERT_TRUE(t.goretain.Running()) << t.goretain.Describe();
  std::this_thread::sleep_for(2s);  // still tracing: the counters move on
  const double events_after =
      Select(ParseMetrics(HttpGet(url, "/metrics").body), "goretain_events_total").at(0).value;
  EXPECT_GT(events_after, events_before);

  json report;
  ExpectCleanFinalReport(t, &report);
  const json* audit = FindCallsite(report, "map.make", "main.audit",
                                   WantLine("leakydemo", "map.make", "audit-entry"));
  ASSERT_NE(audit, nullptr) << DescribeCallsites(report);
  EXPECT_GT(audit->value("alloc_objects", 0), 1000) << audit->dump();
}

}  // namespace
}  // namespace e2e
