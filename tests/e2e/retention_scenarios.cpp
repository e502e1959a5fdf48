#include "retention_scenarios.h"

#include <thread>

namespace e2e {
namespace {

std::vector<std::string> ProgramArgv(const std::string& target,
                                     const std::vector<std::string>& extra) {
  std::vector<std::string> argv = {"/usr/bin/env", "GOGC=20", Target(target)};
  argv.insert(argv.end(), extra.begin(), extra.end());
  return argv;
}

std::vector<std::string> GoretainArgs(const fs::path& out, int seconds,
                                      const std::vector<std::string>& extra = {}) {
  std::vector<std::string> args = {"--retained", "--format", "json", "--interval", "1",
                                   "--duration", std::to_string(seconds), "--output", out.string()};
  args.insert(args.end(), extra.begin(), extra.end());
  return args;
}

// After goretain's window: it exited 0 and the program still runs (then stops on SIGTERM).
std::vector<json> Finish(Traced& t, const fs::path& out, int seconds, const std::string& name) {
  EXPECT_EQ(t.goretain.Wait(std::chrono::seconds(seconds + 20)), 0)
      << name << "\n" << t.goretain.Describe();
  EXPECT_TRUE(t.target.Running()) << name << ": tracing harmed the program\n"
                                  << t.target.Describe();
  t.target.Signal(SIGTERM);
  EXPECT_EQ(t.target.Wait(), 0) << name << "\n" << t.target.Describe();
  return ParseReports(ReadFile(out));
}

}  // namespace

int64_t InuseBytes(const json& profile, const Marker& m) {
  int64_t inuse = 0;
  for (const auto& s : profile) {
    if (s["line"] == m.line && s["function"] == m.function) inuse += s["inuse_bytes"].get<int64_t>();
  }
  return inuse;
}

std::vector<json> TraceScenario(const TempDir& tmp, const std::string& target,
                                const std::vector<std::string>& extra, int seconds) {
  const fs::path go = tmp / "go", out = tmp / "reports.jsonl";
  Traced t = StartGated(go, ProgramArgv(target, extra), GoretainArgs(out, seconds));
  EXPECT_TRUE(t.goretain.WaitForStderr("probes attached")) << t.goretain.Describe();
  Touch(go);
  return Finish(t, out, seconds, target);
}

fs::path ScenariosTest::ScenarioDir(const std::string& name) {
  const fs::path dir = tmp_ / name;
  fs::create_directories(dir);
  return dir;
}

std::vector<std::vector<json>> ScenariosTest::TraceScenarios(
    const std::vector<Scenario>& scenarios) {
  struct Run {
    Traced t;
    fs::path gate, out;
    bool open = false, failed = false;
  };
  std::vector<Run> runs(scenarios.size());
  for (size_t i = 0; i < scenarios.size(); i++) {
    const Scenario& s = scenarios[i];
    const fs::path dir = ScenarioDir(s.name);
    runs[i].gate = dir / "go";
    runs[i].out = dir / "reports.jsonl";
    runs[i].t = StartGated(runs[i].gate, ProgramArgv(s.target, s.extra),
                           GoretainArgs(runs[i].out, s.seconds, s.goretain_extra));
  }
  // Open each gate as soon as its goretain is attached (its --duration runs from then).
  const auto deadline = std::chrono::steady_clock::now() + kTimeout;
  for (size_t settled = 0; settled < runs.size() && std::chrono::steady_clock::now() < deadline;) {
    for (Run& r : runs) {
      if (r.open || r.failed) continue;
      if (r.t.goretain.WaitForStderr("probes attached", 0ms)) {
        Touch(r.gate);
        r.open = true;
      } else if (!r.t.goretain.Running()) {
        r.failed = true;
      } else {
        continue;
      }
      settled++;
    }
    std::this_thread::sleep_for(5ms);
  }
  std::vector<std::vector<json>> reports(scenarios.size());
  bool checked = false;
  for (size_t i = 0; i < runs.size(); i++) {
    if (!runs[i].open) {
      ADD_FAILURE() << scenarios[i].name << ": goretain did not attach\n"
                    << runs[i].t.goretain.Describe();
    } else if (!checked) {
      // Once: bpftool sees goretain's programs (the leftover check relies on it).
      EXPECT_TRUE(Attached(runs[i].t.goretain));
      checked = true;
    }
  }
  for (size_t i = 0; i < runs.size(); i++) {
    if (!runs[i].open) continue;
    reports[i] = Finish(runs[i].t, runs[i].out, scenarios[i].seconds, scenarios[i].name);
  }
  return reports;
}

void ExpectLeaksFlagged(const std::string& target, const std::vector<json>& reports,
                        const json& truth) {
  SCOPED_TRACE(target);
  ASSERT_GE(reports.size(), 5u);
  const json& last = reports.back();
  ASSERT_GE(last["liveness"]["checks"].get<int>(), 4) << "too few GC cycles to judge";

  int flagged = 0;
  for (const Marker& m : Markers(target, "leak")) {
    const json* site = FindCallsite(last, m.kind, m.function, m.line);
    ASSERT_NE(site, nullptr) << m.kind << " " << m.label << " line " << m.line << "\n"
                             << DescribeCallsites(last, 40);
    ASSERT_FALSE((*site)["retained_bytes"].is_null())
        << "no retained figure at " << m.kind << " " << m.label << " line " << m.line;
    const int64_t inuse = InuseBytes(truth, m);
    const int64_t ours = (*site)["retained_bytes"].get<int64_t>();
    EXPECT_NEAR(static_cast<double>(ours), static_cast<double>(inuse), 0.01 * inuse + 64)
        << target << " " << m.label << " line " << m.line;
    // Flagged while it was leaking (the program stops leaking at the snapshot, and the last
    // reports then show a plateau), within the 20 s of this test. Required of every line that
    // leaks at a steady pace and held at least 256 KiB by then (the 64 KiB rise the signal
    // needs, with margin); a doubling container may sit on a plateau that long.
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
      EXPECT_GE(flagged_at, 0) << target << " " << m.kind << " " << m.label << " line " << m.line
                               << " never flagged (holds " << inuse << " bytes)";
    }
  }
  EXPECT_GE(flagged, 1) << target << ": no leaking line flagged\n" << DescribeCallsites(last, 40);
}


void ExpectTrapRetainedEqualsInuse(const std::string& trap, const std::vector<json>& reports,
                                   const json& truth, bool never_flagged) {
  SCOPED_TRACE(trap);
  ASSERT_GE(reports.size(), 5u);
  const json& last = reports.back();
  ASSERT_GE(last["liveness"]["checks"].get<int>(), 4) << "too few GC cycles to judge";
  EXPECT_EQ(last["events"]["dropped"], 0);

  std::vector<Marker> markers = Markers("traps", "trap-" + trap);
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
        << trap << ": " << m.kind << " " << m.label << " line " << m.line;
    allocated += (*site)["alloc_bytes"].get<int64_t>();
    retained += ours;
  }
  // Not vacuous: the trap's lines hold something, and most of what they allocated died.
  EXPECT_GT(retained, 0) << trap;
  EXPECT_LT(retained * 2, allocated) << trap;
  if (!never_flagged) return;
  for (const json& r : reports) {
    for (const auto& c : r["callsites"]) {
      EXPECT_FALSE(c["leaking"].get<bool>()) << trap << ": bounded, yet flagged at line "
                                             << c["line"] << " after " << r["elapsed_s"] << " s";
    }
  }
}

}  // namespace e2e
