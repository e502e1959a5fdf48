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
  const fs::path go = tmp_ / "go";
  Process target({exe, "-wait", go.string(), "-goroutines", std::to_string(kGoroutines), "-per",
                  std::to_string(kPer)});
  Process gr = Goretain({"--pid", std::to_string(target.pid()), "--format", "json"});
  ASSERT_TRUE(Attached(gr));
  Touch(go);
  ASSERT_EQ(target.Wait(60s), 0) << target.Describe();
  EXPECT_NE(target.Stdout().find("loadgen: done"), std::string::npos);
  ASSERT_EQ(gr.Wait(60s), 0) << gr.Describe();

  json report;
  ASSERT_TRUE(OneReport(gr.Stdout(), &report));
  ExpectReportHeader(report, target.pid(), exe, 3 * kTotal);
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
