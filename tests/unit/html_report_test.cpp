// The HTML report rendered from a hand-made Report: what it shows, in which order, and that
// nothing taken from the target can inject markup. Also its pieces: the sparkline's points, the
// icicle layout's geometry, and the merged retained-bytes series of a row.
#include <gtest/gtest.h>

#include <regex>
#include <string>

#include "userspace/analysis/retained_series.h"
#include "userspace/output/html.h"
#include "userspace/output/html_escape.h"
#include "userspace/output/icicle.h"
#include "userspace/output/svg_sparkline.h"

namespace goretain {
namespace {

CallsiteRow Row(const std::string& fn, int line, uint64_t alloc, std::optional<uint64_t> retained) {
  CallsiteRow c;
  c.kind = Kind::kMapGrow;
  c.site = {fn, "/src/app/x.go", line};
  c.type = "map[string]int";
  c.alloc_bytes = alloc;
  c.heap_objects = alloc / 64;
  c.retained_bytes = retained;
  if (retained) c.retained_objects = *retained / 64;
  return c;
}

Report Sample() {
  Report r;
  r.elapsed_s = 30;
  r.targets = {{4321, "/srv/app", "go1.22.1"}};
  r.gc_cycles = 12;
  r.events_received = 5000;
  r.liveness_checks = 12;
  CallsiteRow quiet = Row("main.churn", 10, 8 << 20, 4096);
  CallsiteRow leak = Row("main.(*Cache).Put", 42, 1 << 20, 900 << 10);
  leak.leaking = true;
  leak.leak = LeakFinding{800 << 10, 20, 40 << 10};
  leak.retained_growth_bytes_per_s = 30 << 10;
  leak.retained_history = {{1, 100 << 10}, {10, 400 << 10}, {20, 700 << 10}, {29, 900 << 10}};
  leak.stack = {{"main.handle", "/src/app/server.go", 7}, {"main.main", "/src/app/main.go", 3}};
  CallsiteRow unknown = Row("main.untracked", 5, 1000, std::nullopt);
  r.callsites = {quiet, leak, unknown};  // not leaking-first: the page must not rely on order
  return r;
}

TEST(HtmlReport, ShowsTheRunAndTheLeakSuspectsFirst) {
  const std::string page = RenderHtml(Sample());
  ASSERT_TRUE(page.starts_with("<!DOCTYPE html>"));
  EXPECT_NE(page.find("4321"), std::string::npos);
  EXPECT_NE(page.find("/srv/app"), std::string::npos);
  EXPECT_NE(page.find("go1.22.1"), std::string::npos);
  const size_t leaks = page.find(R"(id="leaks")");
  const size_t flame = page.find(R"(id="flame")");
  const size_t all = page.find(R"(id="sites")");
  ASSERT_NE(leaks, std::string::npos);
  ASSERT_NE(flame, std::string::npos);
  ASSERT_NE(all, std::string::npos);
  EXPECT_LT(leaks, flame);
  EXPECT_LT(flame, all);
  // The suspects table holds the leaking row only, with its sparkline.
  const std::string suspects = page.substr(leaks, flame - leaks);
  EXPECT_NE(suspects.find("main.(*Cache).Put"), std::string::npos);
  EXPECT_EQ(suspects.find("main.churn"), std::string::npos);
  EXPECT_NE(suspects.find("<polyline points=\""), std::string::npos);
  EXPECT_NE(suspects.find("900.0 KiB"), std::string::npos);  // retained now
  EXPECT_NE(suspects.find("+30.0 KiB/s"), std::string::npos);  // growth
  // Every row is in the full table; unknown retention shows as a dash and sorts last.
  const std::string table = page.substr(all);
  for (const char* fn : {"main.churn", "main.(*Cache).Put", "main.untracked"}) {
    EXPECT_NE(table.find(fn), std::string::npos) << fn;
  }
  EXPECT_NE(table.find(R"(data-v="-1">&mdash;)"), std::string::npos);
  // The page loads nothing.
  EXPECT_EQ(page.find("http://"), std::string::npos);
  EXPECT_EQ(page.find("https://"), std::string::npos);
  EXPECT_EQ(page.find(" src="), std::string::npos);
  EXPECT_EQ(page.find("<link"), std::string::npos);
}

TEST(HtmlReport, NoLeakSaysSo) {
  Report r = Sample();
  r.callsites.erase(r.callsites.begin() + 1);
  const std::string page = RenderHtml(r);
  EXPECT_NE(page.find("No call site's retained bytes rose steadily"), std::string::npos)
      << page.substr(page.find(R"(id="leaks")"), 300);
  EXPECT_EQ(page.find("<polyline"), std::string::npos);
}

// The HTTP endpoint may render the very first report: no rows yet; and --no-retained has no
// retained figures, so the icicle graph opens on allocated bytes.
TEST(HtmlReport, EmptyAndAllocationOnlyReportsRender) {
  const std::string empty = RenderHtml(Report{});
  EXPECT_NE(empty.find("No allocation seen."), std::string::npos);
  EXPECT_NE(empty.find("no GC cycle was checked"), std::string::npos);
  EXPECT_NE(empty.find("</html>"), std::string::npos);
  Report r = Sample();
  r.liveness_checks = 0;
  for (CallsiteRow& c : r.callsites) {
    c = Row(c.site.function, c.site.line, c.alloc_bytes, std::nullopt);
  }
  const std::string page = RenderHtml(r);
  EXPECT_NE(page.find(R"(<div class="icicle" id="icicle-retained" data-nodes="0" style="height:20px" hidden>)"),
            std::string::npos);
  // Two boxes: main.untracked's 1000 B of 9.4 MiB are below the graph's minimum width.
  EXPECT_NE(page.find(R"(<div class="icicle" id="icicle-allocated" data-nodes="2" style="height:20px">)"),
            std::string::npos);
}

TEST(HtmlReport, TargetStringsCannotInjectMarkup) {
  Report r = Sample();
  const std::string evil = R"(main.T"><script>alert(1)</script><img src=x onerror='alert(2)'>)";
  r.targets[0].exe = evil;
  r.targets[0].go_version = evil;
  for (CallsiteRow& c : r.callsites) {
    c.type = "map[" + evil + "]int";
    c.site.function = evil;
    c.site.file = evil;
    c.stack = {{evil, evil, 1}};
  }
  const std::string page = RenderHtml(r);
  EXPECT_EQ(page.find("<script>alert"), std::string::npos);
  EXPECT_EQ(page.find("<img"), std::string::npos);
  EXPECT_EQ(page.find("onerror='"), std::string::npos);
  EXPECT_EQ(page.find(R"(T">)"), std::string::npos);
  EXPECT_NE(page.find("&lt;script&gt;alert(1)&lt;/script&gt;"), std::string::npos);
  // Exactly the page's own two scripts.
  size_t scripts = 0;
  for (size_t at = page.find("<script"); at != std::string::npos; at = page.find("<script", at + 1)) {
    scripts++;
  }
  EXPECT_EQ(scripts, 2u);
}

TEST(HtmlReport, EscapeCoversQuotesAndControls) {
  EXPECT_EQ(HtmlEscape(R"(a<b>&"c'd)"), "a&lt;b&gt;&amp;&quot;c&#39;d");
  EXPECT_EQ(HtmlEscape(std::string("x\x01y", 3)), "x\xEF\xBF\xBDy");
  EXPECT_EQ(HtmlEscape("tab\tnl\n"), "tab\tnl\n");
}

TEST(HtmlReport, SparklineIsAStepOverTheWholeTrace) {
  const std::vector<RetainedPoint> s = {{0, 0}, {5, 100}, {10, 50}};
  // Box 100x12: y = 1 + 10 * (1 - bytes/peak); x over 0..20 s.
  EXPECT_EQ(SparklinePoints(s, 20, SparklineBox{100, 12}),
            "0.0,11.0 25.0,11.0 25.0,1.0 50.0,1.0 50.0,6.0 100.0,6.0");
  EXPECT_EQ(SparklinePoints({}, 20, SparklineBox{100, 12}), "");
  const std::string svg = SparklineSvg(s, 20, SparklineBox{100, 12});
  EXPECT_NE(svg.find(R"(<polyline points="0.0,11.0 )"), std::string::npos) << svg;
  EXPECT_EQ(SparklineSvg({}, 20, SparklineBox{100, 12}).find("polyline"), std::string::npos);
}

TEST(HtmlReport, IcicleWidthsAreProportionalToBytes) {
  CallsiteRow a = Row("main.a", 1, 300, 300);
  a.stack = {{"main.handler", "h.go", 2}, {"main.main", "m.go", 1}};
  CallsiteRow b = Row("main.b", 1, 100, 100);
  b.stack = {{"main.handler", "h.go", 2}, {"main.main", "m.go", 1}};
  b.leaking = true;
  CallsiteRow c = Row("main.c", 1, 600, std::nullopt);  // no retained figure: no share of it
  c.stack = {{"main.main", "m.go", 1}};
  const IcicleLayout l = LayoutIcicle({a, b, c}, IcicleValue::kRetained, 0);
  EXPECT_EQ(l.total_bytes, 400u);
  EXPECT_EQ(l.levels, 3);
  ASSERT_EQ(l.nodes.size(), 4u);  // main.main > main.handler > {main.a, main.b}
  EXPECT_EQ(l.nodes[0].frame.function, "main.main");
  EXPECT_DOUBLE_EQ(l.nodes[0].width, 1.0);
  EXPECT_TRUE(l.nodes[0].leaking);
  EXPECT_EQ(l.nodes[2].frame.function, "main.a");
  EXPECT_DOUBLE_EQ(l.nodes[2].x, 0);
  EXPECT_DOUBLE_EQ(l.nodes[2].width, 0.75);
  EXPECT_FALSE(l.nodes[2].leaking);
  EXPECT_EQ(l.nodes[3].frame.function, "main.b");
  EXPECT_DOUBLE_EQ(l.nodes[3].x, 0.75);
  EXPECT_DOUBLE_EQ(l.nodes[3].width, 0.25);
  EXPECT_EQ(l.nodes[3].depth, 2);
  // Allocated bytes: main.c takes 600 of 1000, beside main.handler's 400, under main.main.
  const IcicleLayout alloc = LayoutIcicle({a, b, c}, IcicleValue::kAllocated, 0);
  EXPECT_EQ(alloc.total_bytes, 1000u);
  ASSERT_GE(alloc.nodes.size(), 3u);
  EXPECT_EQ(alloc.nodes[1].frame.function, "main.c");
  EXPECT_DOUBLE_EQ(alloc.nodes[1].width, 0.6);
  // Narrow boxes are left out, with what hangs under them.
  const IcicleLayout coarse = LayoutIcicle({a, b, c}, IcicleValue::kAllocated, 0.2);
  for (const IcicleNode& n : coarse.nodes) EXPECT_NE(n.frame.function, "main.b");
  // Depth 0: the call sites alone, one level.
  const IcicleLayout flat =
      LayoutIcicle({Row("main.a", 1, 1, 30), Row("main.b", 2, 1, 10)}, IcicleValue::kRetained, 0);
  EXPECT_EQ(flat.levels, 1);
  ASSERT_EQ(flat.nodes.size(), 2u);
  EXPECT_DOUBLE_EQ(flat.nodes[0].width, 0.75);
}

TEST(HtmlReport, RowSeriesSumsItsPartsAsSteps) {
  const std::vector<RetainedSample> p1 = {{1, 10}, {3, 30}};
  const std::vector<RetainedSample> p2 = {{2, 5}, {3, 6}, {4, 7}};
  std::vector<RetainedPoint> s = AddRetainedSeries({}, p1, 64);
  s = AddRetainedSeries(s, p2, 64);
  ASSERT_EQ(s.size(), 4u);
  EXPECT_EQ(s[0].bytes, 10u);  // t=1: p2 not begun
  EXPECT_EQ(s[1].bytes, 15u);  // t=2: 10 + 5
  EXPECT_EQ(s[2].bytes, 36u);  // t=3: 30 + 6
  EXPECT_EQ(s[3].bytes, 37u);  // t=4: 30 + 7
  std::vector<RetainedSample> many;
  for (int i = 0; i < 1000; i++) many.push_back({double(i), uint64_t(i)});
  const auto thin = AddRetainedSeries({}, many, 64);
  ASSERT_EQ(thin.size(), 64u);
  EXPECT_EQ(thin.front().bytes, 0u);
  EXPECT_EQ(thin.back().bytes, 999u);
}

TEST(HtmlReport, ThousandsOfRowsStayLinear) {
  Report r = Sample();
  for (int i = 0; i < 5000; i++) {
    CallsiteRow c = Row("main.f" + std::to_string(i), i, 1000 + i, 10 * i);
    c.stack = {{"main.g" + std::to_string(i % 50), "g.go", 1}, {"main.main", "m.go", 1}};
    r.callsites.push_back(c);
  }
  const std::string page = RenderHtml(r);
  EXPECT_LT(page.size(), 5000u * 2000) << "about a KiB per row";
  // The icicle is bounded by its minimum width, not by the rows.
  std::smatch m;
  const std::regex nodes(R"re(id="icicle-retained" data-nodes="(\d+)")re");
  ASSERT_TRUE(std::regex_search(page, m, nodes));
  EXPECT_LT(std::stoul(m[1]), 2000u);
}

}  // namespace
TEST(HtmlReport, SaysWhenFiguresAreSampledEstimatesAndTheLivePageReloads) {
  Report r = Sample();
  r.mode = "sampled";
  r.sample_rate = 524288;
  const std::string page = RenderHtml(r);
  EXPECT_NE(page.find("sampled every 512 KiB, estimates"), std::string::npos);
  EXPECT_EQ(page.find("http-equiv=\"refresh\""), std::string::npos);  // a file does not reload
  const std::string live = RenderHtml(r, HtmlPage{.live = true, .refresh_s = 7});
  EXPECT_NE(live.find("<meta http-equiv=\"refresh\" content=\"7\">"), std::string::npos);
  EXPECT_NE(live.find("href=\"/debug/pprof/heap\""), std::string::npos);
}

}  // namespace goretain
