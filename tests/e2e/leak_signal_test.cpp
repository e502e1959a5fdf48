// Retention and the leak signal on the seed scenarios (tests/targets/leak<N>_*, control<N>_*):
// every leaking call site goretain can judge is flagged at its own line, its retained bytes
// equal the runtime's own inuse_bytes (MemProfileRate = 1) there, and no control call site is
// ever flagged. The scenarios of a test run at the same time (they mostly wait).
#include "harness.h"
#include "retention_scenarios.h"

namespace e2e {
namespace {

class Leaks : public ScenariosTest {};

// All nine scenarios at once, each traced by its own goretain.
TEST_F(Leaks, FlaggedAtTheirCallSitesWithTheRuntimesRetainedBytes) {
  const std::vector<std::string> targets = {
      "leak1_maplist", "leak2_goroutine", "leak3_tracelog",   "leak4_cache", "leak5_syncmap",
      "leak6_json",    "leak7_context",   "leak8_globalswap", "leak9_queue"};
  std::vector<Scenario> scenarios;
  for (const std::string& target : targets) {
    // The program leaks for 20 s, then stops allocating and writes its own heap profile
    // (forcing GCs); the last report judges the same heap.
    const fs::path profile = ScenarioDir(target) / "profile.json";
    scenarios.push_back(
        {target, target, {"-profile", profile.string(), "-profile-after", "20s", "-freeze"}, 23});
  }
  const auto reports = TraceScenarios(scenarios);
  for (size_t i = 0; i < targets.size(); i++) {
    ExpectLeaksFlagged(targets[i], reports[i],
                       json::parse(ReadFile(ScenarioDir(targets[i]) / "profile.json")));
  }
}

// One control scenario's reports: nothing flagged, every control line judged.
void ExpectNeverFlagged(const std::string& target, const std::vector<json>& reports) {
  SCOPED_TRACE(target);
  ASSERT_GE(reports.size(), 5u);
  EXPECT_GE(reports.back()["liveness"]["checks"].get<int>(), 4);
  const std::string source = TargetSource(target).string();
  for (const json& r : reports) {
    for (const auto& c : r["callsites"]) {
      EXPECT_FALSE(c["leaking"].get<bool>())
          << target << " flagged at " << c["function"] << ":" << c["line"] << " after "
          << r["elapsed_s"] << " s";
    }
  }
  // Every control line was judged, not skipped.
  for (const Marker& m : Markers(target, "control")) {
    const json* site = FindCallsite(reports.back(), m.kind, m.function, m.line);
    EXPECT_TRUE(site && !(*site)["retained_bytes"].is_null())
        << m.kind << " " << m.label << " line " << m.line << " not judged\n"
        << DescribeCallsites(reports.back(), 30);
  }
}

class Controls : public ScenariosTest {};

// All four controls at once, each traced by its own goretain.
TEST_F(Controls, NeverFlagged) {
  const std::vector<std::string> targets = {"control1_lru", "control2_request", "control3_reuse",
                                            "control4_clear"};
  std::vector<Scenario> scenarios;
  for (const std::string& target : targets) {
    // In steady state: the LRU's warm-up (filling to its bound) is real growth while it lasts.
    std::vector<std::string> flags;
    if (target == "control1_lru") flags = {"-max-entries", "300"};
    scenarios.push_back({target, target, flags, 15});
  }
  const auto reports = TraceScenarios(scenarios);
  for (size_t i = 0; i < targets.size(); i++) {
    ExpectNeverFlagged(targets[i], reports[i]);
  }
}

}  // namespace
}  // namespace e2e
