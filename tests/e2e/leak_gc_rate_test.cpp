// The leak signal does not depend on the GC rate (issue 10): a steady leak of 32 KiB/s under
// heavy per-request churn (tests/targets/gcrate) is flagged within 30 s at 50+ GC cycles a second
// and at one cycle every 5 s, with the evidence in the JSON; lines that do not leak (gcrate's
// churn and bounded cache, and the seed controls tests/targets/control*) are never flagged at
// 15-100 cycles a second. Each test traces its scenarios at the same time, one goretain per
// target, and checks the GC rate it got from goretain's own `gc_cycles`. Long runs (minutes):
// scripts/bench-leak-signal.sh.
#include <algorithm>
#include <iostream>

#include "harness.h"
#include "retention_scenarios.h"

namespace e2e {
namespace {

struct Scenario {
  std::string name;
  std::string target;
  std::vector<std::string> env;    // e.g. GOGC=off
  std::vector<std::string> flags;  // the target's own
};

// Starts every scenario's program (waiting at its gate) and its own goretain (--retained, a JSON
// report a second for `seconds`), opens the gates once all are attached, and returns each
// scenario's reports. Checks that every program was unharmed.
std::vector<std::vector<json>> TraceTogether(const TempDir& tmp, const std::vector<Scenario>& all,
                                             int seconds) {
  std::vector<Process> programs, tracers;
  for (const Scenario& s : all) {
    std::vector<std::string> argv = {"/usr/bin/env"};
    argv.insert(argv.end(), s.env.begin(), s.env.end());
    argv.push_back(Target(s.target));
    argv.push_back("-wait");
    argv.push_back((tmp / (s.name + ".go")).string());
    argv.insert(argv.end(), s.flags.begin(), s.flags.end());
    programs.emplace_back(argv);
  }
  for (size_t i = 0; i < all.size(); i++) {
    tracers.emplace_back(std::vector<std::string>{
        GoretainBin(), "--retained", "--pid", std::to_string(programs[i].pid()), "--format", "json",
        "--interval", "1", "--duration", std::to_string(seconds), "--output",
        (tmp / (all[i].name + ".jsonl")).string()});
  }
  for (size_t i = 0; i < all.size(); i++) {
    EXPECT_TRUE(tracers[i].WaitForStderr("probes attached", 60s)) << tracers[i].Describe();
  }
  for (const Scenario& s : all) Touch(tmp / (s.name + ".go"));
  std::vector<std::vector<json>> reports;
  for (size_t i = 0; i < all.size(); i++) {
    EXPECT_EQ(tracers[i].Wait(std::chrono::seconds(seconds + 30)), 0) << tracers[i].Describe();
    EXPECT_TRUE(programs[i].Running()) << "tracing harmed " << all[i].name << "\n"
                                       << programs[i].Describe();
    programs[i].Signal(SIGTERM);
    EXPECT_EQ(programs[i].Wait(), 0) << programs[i].Describe();
    reports.push_back(ParseReports(ReadFile(tmp / (all[i].name + ".jsonl"))));
  }
  return reports;
}

double GcPerSecond(const json& last) {
  return last["gc_cycles"].get<double>() / last["elapsed_s"].get<double>();
}

// The elapsed time of the first report that flags the line, or -1.
double FirstFlagged(const std::vector<json>& reports, const std::string& kind,
                    const std::string& function, int line) {
  for (const json& r : reports) {
    const json* at = FindCallsite(r, kind, function, line);
    if (at && (*at)["leaking"].get<bool>()) return r["elapsed_s"].get<double>();
  }
  return -1;
}

// Every flagged line of every report is in one of `leaking_functions`; the others are not.
void ExpectOnlyFlagged(const std::string& name, const std::vector<json>& reports,
                       const std::vector<std::string>& leaking_functions) {
  for (const json& r : reports) {
    for (const auto& c : r["callsites"]) {
      if (!c["leaking"].get<bool>()) continue;
      const auto f = c["function"].get<std::string>();
      EXPECT_NE(std::find(leaking_functions.begin(), leaking_functions.end(), f),
                leaking_functions.end())
          << name << ": flagged at " << f << ":" << c["line"] << " after " << r["elapsed_s"]
          << " s";
    }
  }
}

class LeakGcRate : public E2ETest {};

TEST_F(LeakGcRate, SteadyLeakFlaggedWithin30sAtFastAndRareCollections) {
  const std::vector<std::string> leak = {"-leak-kib-per-s", "32", "-requests-per-s", "2000"};
  auto with = [&](std::vector<std::string> more) {
    more.insert(more.begin(), leak.begin(), leak.end());
    return more;
  };
  const std::vector<Scenario> all = {
      {"fast", "gcrate", {}, with({"-gc-per-s", "100"})},
      {"rare", "gcrate", {"GOGC=off"}, with({"-gc-per-s", "0.2"})},
  };
  const auto reports = TraceTogether(tmp_, all, 30);
  const std::string fn = WantFunction("gcrate", "slice.grow", "leak");
  const int line = WantLine("gcrate", "slice.grow", "leak");
  for (size_t i = 0; i < all.size(); i++) {
    const std::string& name = all[i].name;
    ASSERT_GE(reports[i].size(), 25u) << name;
    const json& last = reports[i].back();
    const double gc_rate = GcPerSecond(last);
    if (name == "fast") {
      EXPECT_GE(gc_rate, 50) << "asked for 100 GC/s, got " << last["gc_cycles"];
    } else {
      EXPECT_GE(last["gc_cycles"].get<int>(), 4);
      EXPECT_LE(last["gc_cycles"].get<double>(), last["elapsed_s"].get<double>() / 5 + 1);
    }
    const double flagged_at = FirstFlagged(reports[i], "slice.grow", fn, line);
    std::cout << "[ leak signal ] " << name << ": " << last["gc_cycles"] << " GC cycles in "
              << last["elapsed_s"] << " s (" << gc_rate << "/s), 32 KiB/s leak flagged after "
              << flagged_at << " s\n";
    EXPECT_GE(flagged_at, 0) << name << ": never flagged\n" << DescribeCallsites(last, 20);
    EXPECT_LE(flagged_at, 30) << name;
    const json* site = FindCallsite(last, "slice.grow", fn, line);
    ASSERT_NE(site, nullptr) << name;
    ASSERT_TRUE((*site)["leaking"].get<bool>()) << name << " no longer flagged at the end";
    const json& why = (*site)["leak"];
    ASSERT_TRUE(why.is_object()) << name << ": " << site->dump();
    EXPECT_GE(why["rise_bytes"].get<double>(), 64 * 1024) << name;
    EXPECT_GE(why["over_s"].get<double>(), 6) << name;
    EXPECT_NEAR(why["rate_bytes_per_s"].get<double>(), 32 * 1024, 12 * 1024) << name;
    // Only the leak (its token, and the sessions map that holds them) is flagged.
    ExpectOnlyFlagged(name, reports[i], {fn});
  }
}

TEST_F(LeakGcRate, ControlsNeverFlaggedAtHighGcRates) {
  const std::vector<std::string> fast = {"-gc-per-s", "100"};
  const std::vector<Scenario> all = {
      {"churn_and_cache",
       "gcrate",
       {},
       {"-leak-kib-per-s", "0", "-cache-entries", "4000", "-gc-per-s", "100"}},
      {"control1_lru", "control1_lru", {}, {"-max-entries", "300", "-gc-per-s", "100"}},
      {"control2_request", "control2_request", {}, fast},
      {"control3_reuse", "control3_reuse", {}, fast},
      {"control4_clear", "control4_clear", {}, fast},
  };
  const auto reports = TraceTogether(tmp_, all, 20);
  for (size_t i = 0; i < all.size(); i++) {
    const std::string& name = all[i].name;
    ASSERT_GE(reports[i].size(), 15u) << name;
    const json& last = reports[i].back();
    std::cout << "[ leak signal ] " << name << ": " << last["gc_cycles"] << " GC cycles in "
              << last["elapsed_s"] << " s (" << GcPerSecond(last) << "/s)\n";
    // Five programs collecting at once on a shared machine rarely all reach 100/s (measured
    // under load: 24-94/s): at least 15, ten times what the seed controls see in
    // Controls.NeverFlagged (GOGC=20, 0.5-2/s).
    EXPECT_GE(GcPerSecond(last), 15) << name << ": asked for 100 GC/s";
    ExpectOnlyFlagged(name, reports[i], {});
    // The lines were judged, not skipped.
    for (const Marker& m : Markers(all[i].target, "control")) {
      const json* site = FindCallsite(last, m.kind, m.function, m.line);
      EXPECT_TRUE(site && !(*site)["retained_bytes"].is_null())
          << name << ": " << m.kind << " " << m.label << " line " << m.line << " not judged\n"
          << DescribeCallsites(last, 30);
    }
  }
}

}  // namespace
}  // namespace e2e
