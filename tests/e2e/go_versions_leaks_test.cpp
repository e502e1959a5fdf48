// The seed leak scenarios (tests/targets/leak<N>_*) on three Go releases Debian packages
// (go_versions.h): all nine at once, each traced by its own goretain. Every leaking line is
// flagged at its call site with the runtime's own retained bytes there (ExpectLeaksFlagged, as
// leak_signal_test.cpp checks on Debian's go1.19).
#include "go_versions.h"
#include "retention_scenarios.h"

namespace e2e {
namespace {

class GoReleaseLeaks : public E2ETest, public ::testing::WithParamInterface<std::string> {};

const std::vector<std::string> kLeakScenarios = {
    "leak1_maplist", "leak2_goroutine", "leak3_tracelog",   "leak4_cache", "leak5_syncmap",
    "leak6_json",    "leak7_context",   "leak8_globalswap", "leak9_queue"};

TEST_P(GoReleaseLeaks, AllScenariosFlaggedWithTheRuntimesRetainedBytes) {
  std::vector<ScenarioRun> runs;
  for (const std::string& target : kLeakScenarios) {
    const std::string exe = ReleaseTarget(target, GetParam());
    ASSERT_TRUE(Built(exe));
    // Leaks for 20 s, then stops allocating and writes its own heap profile (forcing GCs); the
    // last report judges the same heap.
    runs.push_back({target, exe, {"-profile-after", "20s", "-freeze"}});
  }
  const auto all = TraceConcurrently(tmp_, runs, 90s);
  ASSERT_EQ(all.size(), runs.size());
  for (size_t i = 0; i < runs.size(); i++) {
    SCOPED_TRACE(runs[i].label);
    if (!all[i].empty()) {
      EXPECT_TRUE(TracedRelease(all[i].back(), GetParam()));
    }
    ExpectLeaksFlagged(runs[i].label, all[i],
                  json::parse(ReadFile(tmp_ / runs[i].label / "profile.json")));
  }
}

// The oldest release, the first with Swiss maps, the newest (Green Tea GC): each run takes about
// 35 s, and the traps check retained bytes on every release (go_versions_test.cpp).
INSTANTIATE_TEST_SUITE_P(Debian, GoReleaseLeaks, ::testing::Values("1.19", "1.24", "1.27"),
                         ReleaseTestName);

}  // namespace
}  // namespace e2e
