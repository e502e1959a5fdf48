// The seed leak scenarios (tests/targets/leak<N>_*) on three Go releases Debian packages
// (go_versions.h): all nine at once, each traced by its own goretain. Every leaking line is
// flagged at its call site with the runtime's own retained bytes there, as leaks_test.cpp checks
// one scenario at a time on Debian's go1.19.
#include "go_versions.h"
#include "retention_scenarios.h"

namespace e2e {
namespace {

class GoReleaseLeaks : public E2ETest, public ::testing::WithParamInterface<std::string> {};

const std::vector<std::string> kLeakScenarios = {
    "leak1_maplist", "leak2_goroutine", "leak3_tracelog",   "leak4_cache", "leak5_syncmap",
    "leak6_json",    "leak7_context",   "leak8_globalswap", "leak9_queue"};

// One scenario's reports: the rules of Leaks.FlaggedAtItsCallSiteWithTheRuntimesRetainedBytes.
void ExpectFlagged(const std::string& target, const std::vector<json>& reports, const json& truth) {
  ASSERT_GE(reports.size(), 5u);
  const json& last = reports.back();
  ASSERT_GE(last["liveness"]["checks"].get<int>(), 4) << "too few GC cycles to judge";
  int flagged = 0;
  for (const Marker& m : Markers(target, "leak")) {
    const json* site = FindCallsite(last, m.kind, m.function, m.line);
    ASSERT_NE(site, nullptr) << m.kind << " " << m.label << " line " << m.line << "\n"
                             << DescribeCallsites(last, 40);
    ASSERT_FALSE((*site)["retained_bytes"].is_null()) << "not judged: line " << m.line;
    const int64_t inuse = InuseBytes(truth, m), ours = (*site)["retained_bytes"].get<int64_t>();
    EXPECT_NEAR(static_cast<double>(ours), static_cast<double>(inuse), 0.01 * inuse + 64)
        << m.kind << " " << m.label << " line " << m.line;
    double flagged_at = -1;
    for (const json& r : reports) {
      const json* at = FindCallsite(r, m.kind, m.function, m.line);
      if (at && (*at)["leaking"].get<bool>()) {
        flagged_at = r["elapsed_s"].get<double>();
        break;
      }
    }
    if (flagged_at >= 0) flagged++;
    if (!m.steps && inuse >= 256 * 1024) {
      EXPECT_GE(flagged_at, 0) << m.kind << " " << m.label << " line " << m.line
                               << " never flagged (holds " << inuse << " bytes)";
    }
  }
  EXPECT_GE(flagged, 1) << "no leaking line flagged\n" << DescribeCallsites(last, 40);
}

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
    ExpectFlagged(runs[i].label, all[i],
                  json::parse(ReadFile(tmp_ / runs[i].label / "profile.json")));
  }
}

// The oldest release, the first with Swiss maps, the newest (Green Tea GC): each run takes about
// 35 s, and the traps check retained bytes on every release (go_versions_test.cpp).
INSTANTIATE_TEST_SUITE_P(Debian, GoReleaseLeaks, ::testing::Values("1.19", "1.24", "1.27"),
                         ReleaseTestName);

}  // namespace
}  // namespace e2e
