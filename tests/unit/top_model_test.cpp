// goretain top's pure view model and text (userspace/tui/top_model, top_text): row selection and
// order, kind and leak filters, the figures across reports, the sparkline, number formats and
// fitting lines to the terminal's width.
#include <gtest/gtest.h>

#include "userspace/tui/top_model.h"
#include "userspace/output/table.h"
#include "userspace/tui/top_text.h"

namespace goretain::tui {
namespace {

CallsiteRow Row(Kind kind, const std::string& function, int line, uint64_t alloc_bytes,
                std::optional<uint64_t> retained, std::optional<double> growth, bool leaking) {
  CallsiteRow r;
  r.kind = kind;
  r.site = {function, "/src/app/main.go", line};
  r.type = "map[string]int";
  r.alloc_objects = alloc_bytes / 48;
  r.alloc_bytes = alloc_bytes;
  r.retained_bytes = retained;
  r.retained_growth_bytes_per_s = growth;
  r.leaking = leaking;
  return r;
}

Report Sample() {
  Report r;
  r.elapsed_s = 10;
  r.events_received = 5000;
  r.gc_cycles = 7;
  ReportTarget target;
  target.pid = 4242;
  target.exe = "/srv/app";
  target.go_version = "go1.19.8";
  r.targets.push_back(target);
  r.callsites = {
      Row(Kind::kMapMake, "main.record", 25, 3000, 2000, 400.0, true),
      Row(Kind::kSliceGrow, "main.queue", 40, 9000, 500, -20.0, false),
      Row(Kind::kMapGrow, "main.record", 26, 1000, 5000, 10.0, false),
      Row(Kind::kSliceMake, "main.buf", 50, 7000, std::nullopt, std::nullopt, false),
  };
  return r;
}

std::vector<std::string> Functions(const std::vector<const CallsiteRow*>& rows) {
  std::vector<std::string> out;
  for (const CallsiteRow* r : rows) out.push_back(r->site.function + ":" + std::to_string(r->site.line));
  return out;
}

TEST(TopModel, SortsByRetainedGrowthOrAllocWithUnknownFiguresLast) {
  const Report r = Sample();
  ViewState s;
  EXPECT_EQ(Functions(SelectRows(r, s)),
            (std::vector<std::string>{"main.record:26", "main.record:25", "main.queue:40", "main.buf:50"}));
  s.sort = SortKey::kGrowth;
  EXPECT_EQ(Functions(SelectRows(r, s)),
            (std::vector<std::string>{"main.record:25", "main.record:26", "main.queue:40", "main.buf:50"}));
  s.sort = SortKey::kAllocBytes;
  EXPECT_EQ(Functions(SelectRows(r, s)),
            (std::vector<std::string>{"main.queue:40", "main.buf:50", "main.record:25", "main.record:26"}));
}

TEST(TopModel, KeysCycleTheSortAndTheKindFilter) {
  EXPECT_EQ(NextSort(SortKey::kRetained), SortKey::kGrowth);
  EXPECT_EQ(NextSort(SortKey::kGrowth), SortKey::kAllocBytes);
  EXPECT_EQ(NextSort(SortKey::kAllocBytes), SortKey::kRetained);
  std::optional<Kind> k;
  std::vector<std::string> names;
  for (int i = 0; i < 5; i++) {
    k = NextKindFilter(k);
    names.push_back(KindFilterName(k));
  }
  EXPECT_EQ(names, (std::vector<std::string>{"map.make", "map.grow", "slice.grow", "slice.make", "all"}));
}

TEST(TopModel, FiltersByKindAndLeaks) {
  const Report r = Sample();
  ViewState s;
  s.kind = Kind::kMapGrow;
  EXPECT_EQ(Functions(SelectRows(r, s)), (std::vector<std::string>{"main.record:26"}));
  s.kind = std::nullopt;
  s.leaks_only = true;
  EXPECT_EQ(Functions(SelectRows(r, s)), (std::vector<std::string>{"main.record:25"}));
  s.kind = Kind::kSliceGrow;
  EXPECT_TRUE(SelectRows(r, s).empty());
}

TEST(TopModel, RetainedTotalIsUnknownUntilARowHasIt) {
  Report r = Sample();
  EXPECT_EQ(RetainedTotal(r), std::optional<uint64_t>(7500));
  for (CallsiteRow& row : r.callsites) row.retained_bytes.reset();
  EXPECT_EQ(RetainedTotal(r), std::nullopt);
}

TEST(TopModel, HistoryGivesEventRateAndKeepsTheWholeRunWithinItsCapacity) {
  LiveHistory h(4);
  Report r = Sample();
  h.Observe(r);
  EXPECT_FALSE(h.events_per_s());
  r.elapsed_s = 12;
  r.events_received = 6000;
  h.Observe(r);
  ASSERT_TRUE(h.events_per_s());
  EXPECT_DOUBLE_EQ(*h.events_per_s(), 500.0);
  h.Observe(r);  // the same report again: ignored
  EXPECT_EQ(h.retained_totals().size(), 2u);
  for (int i = 0; i < 3; i++) {
    r.elapsed_s += 1;
    r.callsites[0].retained_bytes = *r.callsites[0].retained_bytes + 1000;
    h.Observe(r);
  }
  // 5 samples into a capacity of 4: the first 4 merged into 2 (the later of each pair), then the 5th.
  EXPECT_EQ(h.retained_totals(), (std::vector<uint64_t>{7500, 9500, 10500}));
}

TEST(TopModel, SparklineScalesBetweenMinAndMaxOfTheLastValues) {
  EXPECT_EQ(Sparkline({0, 7, 14, 70}, 10, false), "_..@");
  EXPECT_EQ(Sparkline({0, 10, 20, 30, 40, 50, 60, 70}, 10, true), "▁▂▃▄▅▆▇█");
  EXPECT_EQ(Sparkline({100, 0, 70}, 2, false), "_@");  // only the last two
  EXPECT_EQ(Sparkline({5, 5, 5}, 10, false), "___");   // flat
  EXPECT_EQ(Sparkline({}, 10, true), "");
  EXPECT_EQ(DisplayWidth(Sparkline({1, 2, 3, 4}, 3, true)), 3u);
}

TEST(TopText, NumberFormats) {
  EXPECT_EQ(HumanBytes(0), "0 B");
  EXPECT_EQ(HumanBytes(1023), "1023 B");
  EXPECT_EQ(HumanBytes(1536), "1.5 KiB");
  EXPECT_EQ(HumanBytes(uint64_t{5} << 30), "5.0 GiB");
  EXPECT_EQ(FormatRate(0.2), "0 B/s");
  EXPECT_EQ(FormatRate(2048), "+2.0 KiB/s");
  EXPECT_EQ(FormatRate(-800), "-800 B/s");
  EXPECT_EQ(FormatCount(0), "0");
  EXPECT_EQ(FormatCount(999), "999");
  EXPECT_EQ(FormatCount(1234567), "1,234,567");
}

TEST(TopText, FitsLinesToTheWidthCountingCharactersNotBytes) {
  EXPECT_EQ(FitWidth("abcdef", 3), "abc");
  EXPECT_EQ(FitWidth("ab", 3), "ab");
  EXPECT_EQ(FitWidth("▁▂▃▄", 2), "▁▂");
  EXPECT_EQ(DisplayWidth("x▁▂"), 3u);
}

TEST(TopText, RowsCarryTheLeakMarkerAndTheSite) {
  const Report r = Sample();
  const std::string leak = FormatRow(r.callsites[0], 200);
  EXPECT_EQ(leak.rfind("LEAK", 0), 0u) << leak;
  EXPECT_NE(leak.find("main.record (main.go:25)"), std::string::npos) << leak;
  EXPECT_NE(leak.find("+400 B/s"), std::string::npos) << leak;
  EXPECT_NE(leak.find("map.make"), std::string::npos) << leak;
  const std::string plain = FormatRow(r.callsites[3], 200);
  EXPECT_EQ(plain.find("LEAK"), std::string::npos) << plain;
  EXPECT_EQ(FormatRow(r.callsites[0], 40).size(), 40u);
}

TEST(TopText, NarrowTerminalsKeepTheSiteBeforeTheType) {
  const Report r = Sample();
  const std::string wide = FormatRow(r.callsites[0], 160);
  EXPECT_NE(wide.find("map[string]int"), std::string::npos) << wide;
  for (size_t width : {80, 90, 100}) {
    const std::string row = FormatRow(r.callsites[0], width);
    EXPECT_NE(row.find("main.record (main.go:25)"), std::string::npos) << width << ": " << row;
    EXPECT_LE(row.size(), width);
    const std::string titles = ColumnTitles(width);
    EXPECT_EQ(titles.find("FUNCTION"), row.find("main.record")) << titles << "\n" << row;
  }
  EXPECT_EQ(FormatRow(r.callsites[0], 80).find("map[string]int"), std::string::npos);
}

TEST(TopText, ScreenBeforeAndAfterTheFirstReport) {
  LiveHistory h;
  ViewState s;
  const TopScreenText before = RenderTop(nullptr, h, s, 80, false, "pid 4242");
  ASSERT_EQ(before.header.size(), 1u);
  EXPECT_NE(before.header[0].find("pid 4242: attaching"), std::string::npos);
  EXPECT_TRUE(before.rows.empty());

  const Report r = Sample();
  h.Observe(r);
  s.kind = Kind::kMapMake;
  const TopScreenText text = RenderTop(&r, h, s, 120, true, "pid 4242");
  ASSERT_EQ(text.header.size(), 3u);
  EXPECT_NE(text.header[0].find("pid 4242  /srv/app  go1.19.8"), std::string::npos) << text.header[0];
  EXPECT_NE(text.header[1].find("GC cycles 7"), std::string::npos) << text.header[1];
  EXPECT_NE(text.header[1].find("events 5,000"), std::string::npos) << text.header[1];
  EXPECT_NE(text.header[2].find("retained    7.3 KiB"), std::string::npos) << text.header[2];
  ASSERT_EQ(text.rows.size(), 1u);
  EXPECT_TRUE(text.row_leaking[0]);
  EXPECT_NE(text.status.find("kind: map.make"), std::string::npos) << text.status;
  EXPECT_NE(text.status.find("1 of 4 call sites"), std::string::npos) << text.status;
  for (const std::string& line : text.header) EXPECT_LE(DisplayWidth(line), 120u) << line;
  EXPECT_LE(DisplayWidth(RenderTop(&r, h, s, 30, true, "").header[2]), 30u);
}

}  // namespace
}  // namespace goretain::tui
