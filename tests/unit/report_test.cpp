// Report rendering: the JSON contract (goretain.report/v1) and the human table.
#include "userspace/output/json.h"
#include "userspace/output/table.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <sstream>

namespace goretain {
namespace {

Report Sample() {
  Report r;
  r.elapsed_s = 10.016;
  r.targets = {{1234, "/srv/app", "go1.19.8"}};
  r.events_received = 4000;
  r.events_dropped = 2;
  CallsiteRow a;
  a.kind = Kind::kMapGrow;
  a.site = {"main.(*Cache).Put", "/src/app/cache.go", 42};
  a.type = "map[string]*main.Item";
  a.alloc_objects = 3000;
  a.heap_objects = 3100;
  a.alloc_bytes = 5u << 20;
  a.stack = {{"main.handle", "/src/app/server.go", 77}};
  CallsiteRow b;
  b.kind = Kind::kSliceGrow;
  b.site = {"main.collect", "/src/app/collect.go", 9};
  b.type = "[]\"quoted\"";
  b.alloc_objects = 1000;
  b.heap_objects = 1000;
  b.alloc_bytes = 2048;
  r.callsites = {a, b};
  return r;
}

TEST(Report, JsonFollowsTheContract) {
  const std::string text = RenderJson(Sample(), 0);
  ASSERT_EQ(text.back(), '\n');
  EXPECT_EQ(text.find('\n'), text.size() - 1) << "one report is one line";
  const auto j = nlohmann::json::parse(text);
  EXPECT_EQ(j["schema"], "goretain.report/v1");
  EXPECT_DOUBLE_EQ(j["elapsed_s"].get<double>(), 10.02);
  EXPECT_EQ(j["targets"][0]["pid"], 1234);
  EXPECT_EQ(j["targets"][0]["exe"], "/srv/app");
  EXPECT_EQ(j["targets"][0]["go_version"], "go1.19.8");
  EXPECT_TRUE(j["gc_cycles"].is_null());
  EXPECT_EQ(j["events"]["received"], 4000);
  EXPECT_EQ(j["events"]["dropped"], 2);
  ASSERT_EQ(j["callsites"].size(), 2u);
  const auto& c = j["callsites"][0];
  EXPECT_EQ(c["kind"], "map.grow");
  EXPECT_EQ(c["function"], "main.(*Cache).Put");
  EXPECT_EQ(c["file"], "/src/app/cache.go");
  EXPECT_EQ(c["line"], 42);
  EXPECT_EQ(c["type"], "map[string]*main.Item");
  EXPECT_EQ(c["alloc_objects"], 3000);
  EXPECT_EQ(c["alloc_bytes"], 5u << 20);
  EXPECT_EQ(c["heap_objects"], 3100);
  EXPECT_TRUE(c["assigns"].is_null());
  EXPECT_TRUE(c["retained_objects"].is_null());
  EXPECT_TRUE(c["retained_bytes"].is_null());
  EXPECT_TRUE(c["retained_growth_bytes_per_s"].is_null());
  EXPECT_EQ(c["leaking"], false);
  EXPECT_TRUE(c.contains("leak") && c["leak"].is_null());
  ASSERT_EQ(c["stack"].size(), 1u);
  EXPECT_EQ(c["stack"][0]["function"], "main.handle");
  EXPECT_EQ(c["stack"][0]["line"], 77);
  EXPECT_EQ(j["callsites"][1]["type"], "[]\"quoted\"");  // escaped, still valid JSON
}

TEST(Report, JsonSaysWhyALineLeaks) {
  Report r = Sample();
  CallsiteRow& c = r.callsites[0];
  c.retained_objects = 610;
  c.retained_bytes = 624640;
  c.retained_growth_bytes_per_s = 32410.4;
  c.leaking = true;
  c.leak = LeakFinding{402432.4, 19.506, 31744.6};
  const std::string text = RenderJson(r, 0);
  const auto j = nlohmann::json::parse(text);
  const auto& site = j["callsites"][0];
  EXPECT_EQ(site["retained_objects"], 610);
  EXPECT_EQ(site["retained_bytes"], 624640);
  EXPECT_EQ(site["retained_growth_bytes_per_s"], 32410);
  EXPECT_EQ(site["leaking"], true);
  ASSERT_TRUE(site["leak"].is_object());
  EXPECT_EQ(site["leak"].size(), 3u);
  EXPECT_EQ(site["leak"]["rise_bytes"], 402432);
  EXPECT_DOUBLE_EQ(site["leak"]["over_s"].get<double>(), 19.51);
  EXPECT_EQ(site["leak"]["rate_bytes_per_s"], 31745);
  // Fields stay in the contract's order: `leak` right after `leaking`.
  const auto ordered = nlohmann::ordered_json::parse(text)["callsites"][0];
  std::vector<std::string> keys;
  for (auto it = ordered.begin(); it != ordered.end(); ++it) keys.push_back(it.key());
  const auto leaking = std::find(keys.begin(), keys.end(), "leaking");
  ASSERT_NE(leaking, keys.end());
  EXPECT_EQ(*(leaking + 1), "leak");
  EXPECT_TRUE(j["callsites"][1]["leak"].is_null());
  EXPECT_NE(RenderTable(r, 0).find("LEAK"), std::string::npos);
}

TEST(Report, JsonTopLimitsCallsitesAndUnknownTypeIsNull) {
  Report r = Sample();
  r.callsites[0].type.clear();
  r.assigns_counted = true;
  r.callsites[0].assigns = 77;
  const auto j = nlohmann::json::parse(RenderJson(r, 1));
  ASSERT_EQ(j["callsites"].size(), 1u);
  EXPECT_TRUE(j["callsites"][0]["type"].is_null());
  EXPECT_EQ(j["callsites"][0]["assigns"], 77);
}

TEST(Report, TableIsAlignedAndHuman) {
  const std::string t = RenderTable(Sample(), 0);
  std::istringstream in(t);
  std::string line;
  std::vector<std::string> rows;
  while (std::getline(in, line)) {
    if (line.rfind("KIND", 0) == 0 || line.rfind("map.", 0) == 0 || line.rfind("slice.", 0) == 0) {
      rows.push_back(line);
    }
  }
  ASSERT_EQ(rows.size(), 3u) << t;
  // Every column starts at the same offset in every row.
  for (const char* header : {"LOCATION", "FUNCTION", "TYPE"}) {
    const size_t col = rows[0].find(header);
    ASSERT_NE(col, std::string::npos);
    EXPECT_NE(rows[1][col], ' ') << header << "\n" << t;
    EXPECT_EQ(rows[1][col - 1], ' ') << header << "\n" << t;
    EXPECT_EQ(rows[2][col - 1], ' ') << header << "\n" << t;
  }
  EXPECT_NE(rows[1].find("5.0 MiB"), std::string::npos) << t;
  EXPECT_NE(rows[1].find("app/cache.go:42"), std::string::npos) << t;
  EXPECT_NE(rows[2].find("2.0 KiB"), std::string::npos) << t;
  EXPECT_NE(t.find("2 dropped"), std::string::npos) << t;
}

TEST(Report, HumanBytes) {
  EXPECT_EQ(HumanBytes(0), "0 B");
  EXPECT_EQ(HumanBytes(1023), "1023 B");
  EXPECT_EQ(HumanBytes(1536), "1.5 KiB");
  EXPECT_EQ(HumanBytes(3ull << 30), "3.0 GiB");
}

TEST(Report, EmptyTableSaysSo) {
  Report r = Sample();
  r.callsites.clear();
  EXPECT_NE(RenderTable(r, 0).find("no map or slice allocations seen"), std::string::npos);
}

}  // namespace
}  // namespace goretain
