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

// One trap's reports against its own heap profile.
void ExpectRetainedEqualsInuse(const Trap& trap, const std::vector<json>& reports,
                               const fs::path& profile) {
  SCOPED_TRACE(trap.name);
  ASSERT_GE(reports.size(), 5u);
  const json& last = reports.back();
  ASSERT_GE(last["liveness"]["checks"].get<int>(), 4) << "too few GC cycles to judge";
  EXPECT_EQ(last["events"]["dropped"], 0);
  const json truth = json::parse(ReadFile(profile));

  std::vector<Marker> markers = Markers("traps", "trap-" + trap.name);
  ASSERT_FALSE(markers.empty());
  // The ring that keeps objects (its own line), where this trap uses it.
  for (const Marker& m : Markers("traps", "trap-any")) {
    if (FindCallsite(last, m.kind, m.function, m.line)) markers.push_back(m);
  }
  int64_t allocated = 0, retained = 0;
  for (const Marker& m : markers) {
    const json* site = FindCallsite(last, m.kind, m.function, m.line);
    ASSERT_NE(site, nullptr) << m.kind << " " << m.label << " line " << m.line << "\n"
                             << DescribeCallsites(last, 20);
    ASSERT_FALSE((*site)["retained_bytes"].is_null())
        << "not judged: " << m.kind << " " << m.label << " line " << m.line;
    const int64_t inuse = InuseBytes(truth, m);
    const int64_t ours = (*site)["retained_bytes"].get<int64_t>();
    EXPECT_NEAR(static_cast<double>(ours), static_cast<double>(inuse), 0.01 * inuse + 64)
        << trap.name << ": " << m.kind << " " << m.label << " line " << m.line;
    allocated += (*site)["alloc_bytes"].get<int64_t>();
    retained += ours;
  }
  // Not vacuous: the trap's lines hold something, and most of what they allocated died.
  EXPECT_GT(retained, 0) << trap.name;
  EXPECT_LT(retained * 2, allocated) << trap.name;
  for (const json& r : reports) {
    for (const auto& c : r["callsites"]) {
      EXPECT_FALSE(c["leaking"].get<bool>()) << trap.name << ": bounded, yet flagged at line "
                                             << c["line"] << " after " << r["elapsed_s"] << " s";
    }
  }
}

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
    ExpectRetainedEqualsInuse(traps[i], reports[i], ScenarioDir(traps[i].name) / "profile.json");
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
