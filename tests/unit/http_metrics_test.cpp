// --listen's pure parts: the ADDR:PORT parser, and /metrics' text for known reports: the family
// names with one HELP and one TYPE each, the call-site labels (escaped), the --metrics-top cap
// with its "(other)" series and folded counts, counters that never go down from one scrape to
// the next when the ranking changes, and leaking rows that keep a gauge series under the cap.
#include <gtest/gtest.h>

#include <map>
#include <regex>
#include <sstream>
#include <string>

#include "userspace/http/listen_address.h"
#include "userspace/http/metrics_text.h"
#include "userspace/output/pprof.h"
#include "userspace/output/profile.pb.h"

namespace goretain {
namespace {

TEST(ListenAddress, AcceptsAddressesAndPorts) {
  auto v4 = ParseListenAddress("127.0.0.1:9464");
  ASSERT_TRUE(v4) << v4.error().message;
  EXPECT_EQ(v4->host, "127.0.0.1");
  EXPECT_EQ(v4->port, 9464);
  auto v6 = ParseListenAddress("[::1]:0");
  ASSERT_TRUE(v6) << v6.error().message;
  EXPECT_EQ(v6->host, "::1");
  EXPECT_EQ(v6->port, 0);
  EXPECT_EQ(UrlAuthority(v6->host, 80), "[::1]:80");
  auto any = ParseListenAddress(":9464");
  ASSERT_TRUE(any) << any.error().message;
  EXPECT_EQ(any->host, "0.0.0.0");
  EXPECT_TRUE(ParseListenAddress("localhost:65535"));
}

TEST(ListenAddress, RejectsWhatIsNotAddrPort) {
  for (const char* bad : {"foo", "", "9464", "1.2.3.4:99999", "1.2.3.4:-1", "1.2.3.4:", "1.2.3.4:80x",
                          "::1:80", "[::1:80"}) {
    auto a = ParseListenAddress(bad);
    ASSERT_FALSE(a) << bad;
    EXPECT_EQ(a.error().code, ErrorCode::kBadInput);
    EXPECT_NE(a.error().message.find(std::string("--listen ") + bad), std::string::npos)
        << a.error().message;
    EXPECT_EQ(a.error().message.find('\n'), std::string::npos);
  }
}

CallsiteRow Row(const std::string& function, int line, uint64_t bytes,
                std::optional<uint64_t> retained = std::nullopt, bool leaking = false) {
  CallsiteRow c;
  c.kind = Kind::kMapMake;
  c.site = {function, "/src/main.go", line};
  c.type = "map[string]int";
  c.heap_objects = bytes / 48;
  c.alloc_objects = bytes / 48;
  c.alloc_bytes = bytes;
  c.retained_bytes = retained;
  if (retained) c.retained_objects = *retained / 48;
  c.leaking = leaking;
  c.exe = "/bin/app";
  return c;
}

Report WithRows(std::vector<CallsiteRow> rows) {
  Report r;
  r.targets.push_back(ReportTarget{42, "/bin/app", "go1.22.1", "abc"});
  r.events_received = 1000;
  r.events_dropped = 0;
  r.gc_cycles = 3;
  r.callsites = std::move(rows);
  return r;
}

// "name{labels as written}" -> value, for every sample line.
std::map<std::string, double> Samples(const std::string& text) {
  std::map<std::string, double> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line[0] == '#') continue;
    const size_t space = line.rfind(' ');
    out[line.substr(0, space)] = std::stod(line.substr(space + 1));
  }
  return out;
}

std::string Site(const char* metric, const std::string& function, int line) {
  return std::string(metric) + "{pid=\"42\",kind=\"map.make\",function=\"" + function +
         "\",file=\"/src/main.go\",line=\"" + std::to_string(line) + "\",type=\"map[string]int\"}";
}
std::string Other(const char* metric) {
  return std::string(metric) +
         "{pid=\"42\",kind=\"\",function=\"(other)\",file=\"\",line=\"\",type=\"\"}";
}

TEST(MetricsText, EveryFamilyHasOneHelpAndOneTypeBeforeItsSamples) {
  MetricsText m(MetricsOptions{50, "9.9.9"});
  const std::string text = m.Render(WithRows({Row("main.a", 10, 4800, 960, true)}));
  const std::map<std::string, std::string> families = {
      {"goretain_alloc_bytes_total", "counter"},   {"goretain_alloc_objects_total", "counter"},
      {"goretain_retained_bytes", "gauge"},        {"goretain_retained_objects", "gauge"},
      {"goretain_leaking", "gauge"},               {"goretain_callsites_folded", "gauge"},
      {"goretain_events_total", "counter"},        {"goretain_events_dropped_total", "counter"},
      {"goretain_gc_cycles_total", "counter"},     {"goretain_target_info", "gauge"},
      {"goretain_build_info", "gauge"}};
  for (const auto& [name, type] : families) {
    SCOPED_TRACE(name);
    const std::string help = "# HELP " + name + " ", type_line = "# TYPE " + name + " " + type + "\n";
    const size_t h = text.find(help), t = text.find(type_line);
    ASSERT_NE(h, std::string::npos) << text;
    ASSERT_NE(t, std::string::npos) << text;
    EXPECT_EQ(text.find(help, h + 1), std::string::npos);
    EXPECT_EQ(text.find(type_line, t + 1), std::string::npos);
    EXPECT_LT(t, text.find("\n" + name + "{", t)) << text;
    EXPECT_LT(h, t);
  }
  const auto s = Samples(text);
  EXPECT_EQ(s.at(Site("goretain_alloc_bytes_total", "main.a", 10)), 4800);
  EXPECT_EQ(s.at(Site("goretain_alloc_objects_total", "main.a", 10)), 100);
  EXPECT_EQ(s.at(Site("goretain_retained_bytes", "main.a", 10)), 960);
  EXPECT_EQ(s.at(Site("goretain_retained_objects", "main.a", 10)), 20);
  EXPECT_EQ(s.at(Site("goretain_leaking", "main.a", 10)), 1);
  EXPECT_EQ(s.at("goretain_events_total"), 1000);
  EXPECT_EQ(s.at("goretain_events_dropped_total"), 0);
  EXPECT_EQ(s.at("goretain_gc_cycles_total"), 3);
  EXPECT_EQ(s.at("goretain_build_info{version=\"9.9.9\"}"), 1);
  EXPECT_EQ(s.at("goretain_target_info{pid=\"42\",exe=\"/bin/app\",go_version=\"go1.22.1\","
                 "build_id=\"abc\"}"), 1);
  EXPECT_EQ(text.back(), '\n');
}

TEST(MetricsText, LabelValuesAreEscaped) {
  CallsiteRow c = Row("main.(*T).m", 7, 48);
  c.type = "struct { A string \"json:\\\"a\\\"\" }";
  MetricsText m(MetricsOptions{50, "v"});
  const std::string text = m.Render(WithRows({c}));
  EXPECT_NE(text.find(R"(type="struct { A string \"json:\\\"a\\\"\" }")"), std::string::npos)
      << text;
}

TEST(MetricsText, TopCapsCallSiteSeriesAndFoldsTheRest) {
  MetricsText m(MetricsOptions{2, "v"});
  const auto s = Samples(m.Render(WithRows(
      {Row("main.a", 1, 4800, 480), Row("main.b", 2, 2400, 240), Row("main.c", 3, 960, 96),
       Row("main.d", 4, 480)})));
  EXPECT_EQ(s.at(Site("goretain_alloc_bytes_total", "main.a", 1)), 4800);
  EXPECT_EQ(s.at(Site("goretain_alloc_bytes_total", "main.b", 2)), 2400);
  EXPECT_FALSE(s.contains(Site("goretain_alloc_bytes_total", "main.c", 3)));
  EXPECT_EQ(s.at(Other("goretain_alloc_bytes_total")), 960 + 480);
  EXPECT_EQ(s.at(Other("goretain_alloc_objects_total")), 20 + 10);
  EXPECT_EQ(s.at(Other("goretain_retained_bytes")), 96);  // main.d has no retained figure
  EXPECT_EQ(s.at(Other("goretain_leaking")), 0);
  EXPECT_EQ(s.at("goretain_callsites_folded{series=\"alloc\"}"), 2);
  EXPECT_EQ(s.at("goretain_callsites_folded{series=\"retained\"}"), 2);

  MetricsText all(MetricsOptions{0, "v"});
  const auto every = Samples(all.Render(WithRows({Row("main.a", 1, 48), Row("main.b", 2, 96)})));
  EXPECT_FALSE(every.contains(Other("goretain_alloc_bytes_total")));
  EXPECT_EQ(every.at("goretain_callsites_folded{series=\"alloc\"}"), 0);
}

// The report's order changes (main.c overtakes; main.e is new): no counter series goes down.
TEST(MetricsText, CountersNeverGoDownFromOneScrapeToTheNext) {
  MetricsText m(MetricsOptions{2, "v"});
  const auto first = Samples(m.Render(
      WithRows({Row("main.a", 1, 4800), Row("main.b", 2, 2400), Row("main.c", 3, 960)})));
  const auto second = Samples(m.Render(WithRows({Row("main.c", 3, 96000), Row("main.a", 1, 4800),
                                                 Row("main.b", 2, 2448), Row("main.e", 5, 48)})));
  for (const auto& [series, value] : first) {
    if (series.find("_total") == std::string::npos) continue;
    ASSERT_TRUE(second.contains(series)) << series;
    EXPECT_GE(second.at(series), value) << series;
  }
  EXPECT_EQ(second.at(Other("goretain_alloc_bytes_total")), 96000 + 48);
  EXPECT_EQ(second.at("goretain_callsites_folded{series=\"alloc\"}"), 2);
}

// Gauges are ranked afresh: a leaking row with few bytes allocated still gets its own series.
TEST(MetricsText, LeakingRowsKeepTheirGaugeSeriesUnderTheCap) {
  MetricsText m(MetricsOptions{1, "v"});
  const auto s = Samples(m.Render(
      WithRows({Row("main.big", 1, 480000, 0), Row("main.leak", 2, 480, 480, true)})));
  EXPECT_EQ(s.at(Site("goretain_retained_bytes", "main.leak", 2)), 480);
  EXPECT_EQ(s.at(Site("goretain_leaking", "main.leak", 2)), 1);
  EXPECT_EQ(s.at(Other("goretain_retained_bytes")), 0);
  EXPECT_EQ(s.at(Site("goretain_alloc_bytes_total", "main.big", 1)), 480000);
}

// /debug/pprof/allocs is the heap profile opening on alloc_space, as Go's.
TEST(PprofView, AllocsDefaultsToAllocSpaceHeapToInuse) {
  const Report r = WithRows({Row("main.a", 1, 4800, 480)});
  pprof::Profile heap, allocs;
  ASSERT_TRUE(heap.ParseFromString(RenderPprofProto(r, PprofView::kHeap)));
  ASSERT_TRUE(allocs.ParseFromString(RenderPprofProto(r, PprofView::kAllocs)));
  EXPECT_EQ(heap.default_sample_type(), 0);  // unset: the last type, inuse_space
  ASSERT_NE(allocs.default_sample_type(), 0);
  EXPECT_EQ(allocs.string_table(allocs.default_sample_type()), "alloc_space");
  ASSERT_EQ(allocs.sample_size(), 1);
  EXPECT_EQ(allocs.sample(0).value(1), 4800);
  EXPECT_EQ(allocs.sample(0).value(3), 480);
}

}  // namespace
}  // namespace goretain
