// --sample on the seed leak scenarios and their controls (tests/targets/leak<N>_*, control<N>_*)
// at Go's default heap sampling (-memprofilerate 524288; the scenarios otherwise record every
// allocation for their ground truth): every leaking line whose estimate rises by >= 256 KiB/s is
// flagged within 60 s, every scenario has a flagged line, and no control line is ever flagged
// in two minutes - the sampling-error margin keeps the sampler's noise from looking like a leak.
// All thirteen programs run at once, each traced by its own goretain (about 2.5 minutes).
#include <cstdio>

#include "harness.h"
#include "retention_scenarios.h"

namespace e2e {
namespace {

constexpr const char* kDefaultRate = "524288";
constexpr int kLeakSeconds = 60;
constexpr int kControlSeconds = 120;
constexpr double kMustFlagBytesPerS = 256 * 1024;

// The default -rate of each leak scenario, times three: a sampled line needs tens of samples
// of rise before it stands out of its sampling noise (3 sigma of sqrt(samples) * 512 KiB).
const std::vector<std::pair<std::string, int>> kLeaks = {
    {"leak1_maplist", 3000}, {"leak2_goroutine", 900}, {"leak3_tracelog", 6000},
    {"leak4_cache", 3000},   {"leak5_syncmap", 3000},  {"leak6_json", 750},
    {"leak7_context", 600},  {"leak8_globalswap", 12}, {"leak9_queue", 3000}};
const std::vector<std::string> kControls = {"control1_lru", "control2_request", "control3_reuse",
                                            "control4_clear"};

// The first report's elapsed time that flags this line, or -1.
double FlaggedAt(const std::vector<json>& reports, const Marker& m) {
  for (const json& r : reports) {
    const json* at = FindCallsite(r, m.kind, m.function, m.line);
    if (at && (*at)["leaking"].get<bool>()) return r["elapsed_s"].get<double>();
  }
  return -1;
}

void ExpectSampledLeaksFlagged(const std::string& target, const std::vector<json>& reports) {
  SCOPED_TRACE(target);
  ASSERT_GE(reports.size(), 10u);
  const json& last = reports.back();
  EXPECT_EQ(last["mode"], "sampled");
  const double elapsed = last["elapsed_s"].get<double>();
  int flagged = 0;
  double first_flag = -1;
  for (const Marker& m : Markers(target, "leak")) {
    const json* site = FindCallsite(last, m.kind, m.function, m.line);
    if (!site) continue;  // a small line the sampler may not have hit
    const double flagged_at = FlaggedAt(reports, m);
    if (flagged_at >= 0) flagged++;
    if (flagged_at >= 0 && (first_flag < 0 || flagged_at < first_flag)) first_flag = flagged_at;
    const double rate = (*site)["retained_bytes"].get<double>() / elapsed;
    if (!m.steps && rate >= kMustFlagBytesPerS) {
      EXPECT_GE(flagged_at, 0) << m.kind << " " << m.label << " line " << m.line
                               << " never flagged, retaining " << rate << " B/s";
    }
  }
  EXPECT_GE(flagged, 1) << "no leaking line flagged\n" << DescribeCallsites(last, 40);
  std::printf("%s: %d leaking line(s) flagged, the first after %.1f s\n", target.c_str(), flagged,
              first_flag);
}

void ExpectSampledNeverFlagged(const std::string& target, const std::vector<json>& reports) {
  SCOPED_TRACE(target);
  ASSERT_GE(reports.size(), 20u);
  EXPECT_GE(reports.back()["gc_cycles"].get<int>(), 10) << "too few GC cycles to judge";
  for (const json& r : reports) {
    for (const auto& c : r["callsites"]) {
      EXPECT_FALSE(c["leaking"].get<bool>()) << "flagged at " << c["function"] << ":"
                                             << c["line"] << " after " << r["elapsed_s"] << " s";
    }
  }
  // Not vacuous: the control's lines were sampled.
  int sampled = 0;
  for (const Marker& m : Markers(target, "control")) {
    sampled += FindCallsite(reports.back(), m.kind, m.function, m.line) != nullptr;
  }
  EXPECT_GE(sampled, 1) << DescribeCallsites(reports.back(), 30);
}

class SampledScenarios : public ScenariosTest {};

TEST_F(SampledScenarios, LeaksFlaggedControlsNever) {
  std::vector<Scenario> scenarios;
  for (const auto& [target, rate] : kLeaks) {
    scenarios.push_back({target, target,
                         {"-memprofilerate", kDefaultRate, "-rate", std::to_string(rate)},
                         kLeakSeconds, {"--sample"}});
  }
  for (const std::string& target : kControls) {
    std::vector<std::string> flags = {"-memprofilerate", kDefaultRate};
    if (target == "control1_lru") flags.insert(flags.end(), {"-max-entries", "300"});
    scenarios.push_back({target, target, flags, kControlSeconds, {"--sample"}});
  }
  const auto reports = TraceScenarios(scenarios);
  for (size_t i = 0; i < kLeaks.size(); i++) ExpectSampledLeaksFlagged(kLeaks[i].first, reports[i]);
  for (size_t i = 0; i < kControls.size(); i++) {
    ExpectSampledNeverFlagged(kControls[i], reports[kLeaks.size() + i]);
  }
}

}  // namespace
}  // namespace e2e
