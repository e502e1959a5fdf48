// Rows per process and their labels in the outputs: JSON targets carry ns_pid and labels, every
// callsite its pid and labels (empty strings outside containers); the table shows each target's
// pod and container, and a PID column once several processes are traced.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "userspace/http/metrics_text.h"
#include "userspace/output/json.h"
#include "userspace/output/table.h"

namespace goretain {
namespace {

const TargetLabels kWeb{"3f2a9c1b7d4e" + std::string(52, '0'), "web", "shop", "app", "containerd",
                        "0d9f4a3e-1b2c-4d5e-8f90-123456789abc"};

CallsiteRow Row(int pid, uint64_t objects, const TargetLabels& labels) {
  CallsiteRow c;
  c.kind = Kind::kMapMake;
  c.site = {"main.f", "/src/app/main.go", 12};
  c.alloc_objects = objects;
  c.alloc_bytes = objects * 48;
  c.pid = pid;
  c.labels = labels;
  c.exe = "/server";
  return c;
}

Report TwoProcesses() {
  Report r;
  ReportTarget web{7723, "/server", "go1.22.1"};
  web.ns_pid = 1;
  web.labels = kWeb;
  ReportTarget host{4242, "/server", "go1.22.1"};
  host.ns_pid = 4242;
  r.targets = {web, host};
  r.callsites = {Row(7723, 300, kWeb), Row(4242, 100, {})};
  return r;
}

TEST(ReportLabels, JsonTargetsAndRowsCarryPidAndLabels) {
  const auto j = nlohmann::json::parse(RenderJson(TwoProcesses(), 0));
  ASSERT_EQ(j["targets"].size(), 2u);
  EXPECT_EQ(j["targets"][0]["ns_pid"], 1);
  const nlohmann::json want = {{"container_id", kWeb.container_id}, {"pod", "web"},
                               {"namespace", "shop"}, {"container", "app"},
                               {"runtime", "containerd"}, {"pod_uid", kWeb.pod_uid}};
  EXPECT_EQ(j["targets"][0]["labels"], want);
  EXPECT_EQ(j["targets"][1]["labels"]["pod"], "");
  ASSERT_EQ(j["callsites"].size(), 2u);
  EXPECT_EQ(j["callsites"][0]["pid"], 7723);
  EXPECT_EQ(j["callsites"][0]["labels"], want);
  EXPECT_EQ(j["callsites"][1]["pid"], 4242);
  EXPECT_EQ(j["callsites"][1]["labels"]["container_id"], "");
}

TEST(ReportLabels, TableHasAPidColumnForSeveralProcesses) {
  const std::string two = RenderTable(TwoProcesses(), 0);
  EXPECT_NE(two.find("goretain: pid 7723 /server (go1.22.1) pod shop/web container app id 3f2a9c1b7d4e\n"),
            std::string::npos) << two;
  EXPECT_NE(two.find("goretain: pid 4242 /server (go1.22.1)\n"), std::string::npos) << two;
  EXPECT_NE(two.find("\n PID  KIND"), std::string::npos) << two;
  EXPECT_NE(two.find("\n7723  map.make"), std::string::npos) << two;
  Report one = TwoProcesses();
  one.targets.pop_back();
  one.callsites.pop_back();
  const std::string single = RenderTable(one, 0);
  EXPECT_EQ(single.find("PID"), std::string::npos) << single;
  EXPECT_NE(single.find("\nKIND"), std::string::npos) << single;
}

// Two processes of one executable: one series each (by pid), the one in a pod with its labels;
// the process outside containers keeps the label set it always had.
TEST(ReportLabels, MetricsHaveASeriesPerProcessWithItsPod) {
  MetricsText m(MetricsOptions{50, "v"});
  const std::string text = m.Render(TwoProcesses());
  EXPECT_NE(text.find("goretain_alloc_bytes_total{pid=\"7723\",kind=\"map.make\",function=\"main.f\","
                      "file=\"/src/app/main.go\",line=\"12\",type=\"\",namespace=\"shop\",pod=\"web\","
                      "container=\"app\",container_id=\"" + kWeb.container_id + "\"} 14400"),
            std::string::npos) << text;
  EXPECT_NE(text.find("goretain_alloc_bytes_total{pid=\"4242\",kind=\"map.make\",function=\"main.f\","
                      "file=\"/src/app/main.go\",line=\"12\",type=\"\"} 4800"),
            std::string::npos) << text;
  EXPECT_NE(text.find("goretain_target_info{pid=\"7723\",exe=\"/server\",go_version=\"go1.22.1\","
                      "build_id=\"\",namespace=\"shop\",pod=\"web\",container=\"app\""),
            std::string::npos) << text;
}

}  // namespace
}  // namespace goretain
