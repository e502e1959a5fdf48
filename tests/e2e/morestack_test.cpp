// deepstack: the probed runtime functions run out of stack and are restarted by morestack from
// their first instruction (tests/targets/deepstack/main.go sweeps the stack depth so this happens
// dozens of times per function: checked with a plain entry uprobe, which sees ~5% more entries
// than calls). A probe must count each call once.
#include "harness.h"

namespace e2e {
namespace {

class Deepstack : public E2ETest, public ::testing::WithParamInterface<std::string> {};

TEST_P(Deepstack, StackGrowthIsNotCountedTwice) {
  constexpr int64_t kDepth = 299, kReps = 4, kCalls = (kDepth + 1) * kReps;
  const std::string exe = Target("deepstack", GetParam());
  Traced t;
  json report;
  ASSERT_TRUE(TraceToEnd({exe, "-depth", std::to_string(kDepth), "-reps", std::to_string(kReps)},
                         {}, &t, &report, 60s));
  EXPECT_NE(t.target.Stdout().find("deepstack: done " + std::to_string(kCalls)),
            std::string::npos)
      << t.target.Describe();
  ExpectReportHeader(report, t.target.pid(), exe, 3 * kCalls);
  ExpectSite(report, "deepstack",
             {"map.make", "hint", "main.makeMapWithHint", kCalls, 2760 * kCalls, {"map[int]int"}});
  ExpectSite(report, "deepstack",
             {"map.make", "small", "main.makeSmallMap", kCalls, 48 * kCalls, {"map[string]int"}});
  ExpectSite(report, "deepstack",
             {"slice.grow", "once", "main.appendOnce", kCalls, 8 * kCalls, {"[]int64"}});
}

INSTANTIATE_TEST_SUITE_P(Variants, Deepstack, ::testing::Values("default", "noopt", "pie"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace e2e
