// --listen scraped by a real Prometheus server (Debian's `prometheus`, installed by
// scripts/install-deps.sh): its own config (scrape every second, goretain on loopback), its own
// TSDB in the test's temp dir, its own port. Through Prometheus' HTTP API, the leaking call site
// of leakydemo (its audit log: map.make audit-entry) has goretain_retained_bytes rising between
// two queries, with the call site's labels; and the trace drops no event.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <csignal>
#include <fstream>
#include <thread>

#include "http_client.h"

namespace e2e {
namespace {

constexpr const char* kPrometheus = "/usr/bin/prometheus";

// A loopback port free a moment ago (Prometheus takes no port 0 and says nothing of its port).
int FreePort() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(a);
  bind(fd, reinterpret_cast<sockaddr*>(&a), len);
  getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  close(fd);
  return ntohs(a.sin_port);
}

std::string UrlEncode(const std::string& s) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char ch : s) {
    if (std::isalnum(ch) || ch == '-' || ch == '_' || ch == '.' || ch == '~') {
      out += static_cast<char>(ch);
    } else {
      out += {'%', hex[ch >> 4], hex[ch & 15]};
    }
  }
  return out;
}

// Prometheus' instant query: its result vector (empty if none, or on an error).
json Query(const std::string& prometheus, const std::string& promql) {
  const HttpReply r = HttpGet(prometheus, "/api/v1/query?query=" + UrlEncode(promql));
  if (r.status != 200) return json::array();
  const json j = json::parse(r.body);
  return j.value("status", "") == "success" ? j["data"]["result"] : json::array();
}

class PrometheusScrape : public E2ETest {};

TEST_F(PrometheusScrape, LeakingCallSitesRetainedBytesRise) {
  ASSERT_TRUE(fs::exists(kPrometheus)) << kPrometheus << " missing (scripts/install-deps.sh)";
  Traced t;
  ASSERT_TRUE(TraceGated({Target("leakydemo"), "-rate", "500"},
                         {"--listen", "127.0.0.1:0", "--format", "json"}, &t));
  const std::string goretain = ServingUrl(t.goretain);
  ASSERT_FALSE(goretain.empty()) << t.goretain.Describe();

  const fs::path config = tmp_ / "prometheus.yml";
  std::ofstream(config) << "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n"
                        << "scrape_configs:\n  - job_name: goretain\n    static_configs:\n"
                        << "      - targets: ['" << goretain.substr(std::string("http://").size())
                        << "']\n";
  const std::string listen = "127.0.0.1:" + std::to_string(FreePort());
  Process prometheus({kPrometheus, "--config.file=" + config.string(),
                      "--storage.tsdb.path=" + (tmp_ / "tsdb").string(),
                      "--web.listen-address=" + listen, "--log.level=warn"});
  const std::string api = "http://" + listen;
  bool ready = false;
  for (int i = 0; i < 300 && !ready && prometheus.Running(); i++) {
    ready = HttpGet(api, "/-/ready", 2s).status == 200;
    if (!ready) std::this_thread::sleep_for(100ms);
  }
  ASSERT_TRUE(ready) << prometheus.Describe();

  // The leak's series, as Prometheus stored it; two values at least 3 s apart, the later higher.
  const int line = WantLine("leakydemo", "map.make", "audit-entry");
  const std::string promql = "goretain_retained_bytes{job=\"goretain\",function=\"main.audit\","
                             "kind=\"map.make\",line=\"" + std::to_string(line) + "\"}";
  json first, latest;
  auto first_at = std::chrono::steady_clock::now();
  for (int i = 0; i < 60; i++) {
    const json result = Query(api, promql);
    if (result.size() == 1) {
      const double v = std::stod(result[0]["value"][1].get<std::string>());
      if (first.is_null() && v > 0) {
        first = result[0];
        first_at = std::chrono::steady_clock::now();
      } else if (!first.is_null()) {
        latest = result[0];
        if (std::chrono::steady_clock::now() - first_at >= 3s &&
            v > std::stod(first["value"][1].get<std::string>())) {
          break;
        }
      }
    }
    std::this_thread::sleep_for(500ms);
  }
  ASSERT_FALSE(first.is_null()) << "Prometheus never had " << promql << "\n" << t.goretain.Describe();
  ASSERT_FALSE(latest.is_null());
  EXPECT_GT(std::stod(latest["value"][1].get<std::string>()),
            std::stod(first["value"][1].get<std::string>()))
      << first.dump() << "\n" << latest.dump();
  const json& labels = latest["metric"];
  EXPECT_EQ(labels["pid"], std::to_string(t.target.pid())) << labels.dump();
  EXPECT_EQ(labels["file"], TargetSource("leakydemo").string()) << labels.dump();
  EXPECT_EQ(labels["type"], "map[string]interface {}") << labels.dump();
  EXPECT_EQ(labels["instance"], goretain.substr(std::string("http://").size())) << labels.dump();
  // Prometheus' own view agrees: the series grows (deriv over the last 10 s), and the scrapes
  // succeed (up == 1).
  const json deriv = Query(api, "deriv(" + promql + "[10s])");
  ASSERT_EQ(deriv.size(), 1u) << deriv.dump();
  EXPECT_GT(std::stod(deriv[0]["value"][1].get<std::string>()), 0) << deriv.dump();
  const json up = Query(api, "up{job=\"goretain\"}");
  ASSERT_EQ(up.size(), 1u);
  EXPECT_EQ(up[0]["value"][1], "1");

  t.goretain.Signal(SIGINT);
  ASSERT_EQ(t.goretain.Wait(15s), 0) << t.goretain.Describe();
  const std::vector<json> reports = ParseReports(t.goretain.Stdout());
  ASSERT_EQ(reports.size(), 1u);
  EXPECT_EQ(reports[0]["events"]["dropped"], 0) << reports[0]["events"].dump();
}

}  // namespace
}  // namespace e2e
