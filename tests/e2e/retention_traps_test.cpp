// The liveness traps (tests/targets/traps): slots freed and reused by same-size objects, large
// objects in their own spans, spans freed and reused for another size class, maps whose old
// bucket arrays become garbage after growth, spans read while the sweeper works on them, and a
// target that exits while a check reads its heap. At every marked line goretain --retained must
// report what the runtime's own exact heap profile says the line holds. The traps run at the
// same time, each traced by its own goretain.
#include "harness.h"
#include "retention_scenarios.h"

namespace e2e {
namespace {

struct Trap {
  std::string name;
  int rate;  // operations per second
};

class Traps : public ScenariosTest {};

// All five traps at once, each its own program traced by its own goretain.
TEST_F(Traps, RetainedEqualsTheRuntimesInuseAtEveryLine) {
  const std::vector<Trap> traps = {
      {"reuse", 2000}, {"large", 300}, {"respan", 2000}, {"oldbuckets", 400}, {"sweep", 100}};
  std::vector<Scenario> scenarios;
  for (const Trap& trap : traps) {
    const fs::path profile = ScenarioDir(trap.name) / "profile.json";
    scenarios.push_back({trap.name,
                         "traps",
                         {"-trap", trap.name, "-rate", std::to_string(trap.rate), "-profile",
                          profile.string(), "-profile-after", "8s", "-freeze"},
                         11});
  }
  const auto reports = TraceScenarios(scenarios);
  for (size_t i = 0; i < traps.size(); i++) {
    ExpectTrapRetainedEqualsInuse(
        traps[i].name, reports[i],
        json::parse(ReadFile(ScenarioDir(traps[i].name) / "profile.json")), /*never_flagged=*/true);
  }
}

// The target exits on its own while goretain checks its heap many times a second: goretain
// notices, prints its final report and exits 0, with no error.
class TargetExit : public E2ETest {};

TEST_F(TargetExit, MidCheckEndsTheTraceCleanly) {
  const fs::path out = tmp_ / "report.json";
  Traced t;
  ASSERT_TRUE(TraceGated({"/usr/bin/env", "GOGC=20", Target("traps"), "-trap", "sweep", "-rate",
                          "200", "-duration", "4s"},
                         {"--retained", "--format", "json", "--output", out.string()}, &t));
  Process& gr = t.goretain;
  EXPECT_EQ(t.target.Wait(), 0) << t.target.Describe();
  EXPECT_EQ(gr.Wait(10s), 0) << gr.Describe();
  json report;
  ASSERT_TRUE(OneReport(ReadFile(out), &report));
  EXPECT_GE(report["liveness"]["checks"].get<int>(), 4);
  EXPECT_GE(report["gc_cycles"].get<int>(), 10);
  EXPECT_EQ(gr.Stderr().find("error"), std::string::npos) << gr.Describe();
}

}  // namespace
}  // namespace e2e
