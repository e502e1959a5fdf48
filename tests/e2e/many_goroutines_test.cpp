// loadgen: 64 and 1,000 goroutines allocating at once on every CPU. Totals must be exact and
// nothing may be dropped: the ring buffer and the consumer must keep up with the probes.
#include "harness.h"

namespace e2e {
namespace {

struct LoadgenCase {
  int64_t goroutines;
  int64_t per;
};
// For test names in ctest: "64 goroutines x 500".
void PrintTo(const LoadgenCase& c, std::ostream* os) {
  *os << c.goroutines << " goroutines x " << c.per;
}

class Loadgen : public E2ETest, public ::testing::WithParamInterface<LoadgenCase> {};

TEST_P(Loadgen, ConcurrentGoroutinesExactTotals) {
  const int64_t kGoroutines = GetParam().goroutines, kPer = GetParam().per,
                kTotal = kGoroutines * kPer;
  const std::string exe = Target("loadgen");
  Traced t;
  json report;
  ASSERT_TRUE(TraceToEnd({exe, "-goroutines", std::to_string(kGoroutines), "-per",
                          std::to_string(kPer)},
                         {}, &t, &report, 60s));
  EXPECT_NE(t.target.Stdout().find("loadgen: done"), std::string::npos);
  ExpectReportHeader(report, t.target.pid(), exe, 3 * kTotal);
  ExpectSite(report, "loadgen",
             {"map.make", "hint", "main.makeMapWithHint", kTotal, 2760 * kTotal, {"map[int]int"}});
  ExpectSite(report, "loadgen",
             {"map.make", "small", "main.makeSmallMap", kTotal, 48 * kTotal, {"map[string]int"}});
  ExpectSite(report, "loadgen",
             {"slice.grow", "once", "main.appendOnce", kTotal, 8 * kTotal, {"[]int64"}});
}

INSTANTIATE_TEST_SUITE_P(Goroutines, Loadgen,
                         ::testing::Values(LoadgenCase{64, 500}, LoadgenCase{1000, 40}),
                         [](const auto& info) { return std::to_string(info.param.goroutines); });

}  // namespace
}  // namespace e2e
