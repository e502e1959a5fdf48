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

std::vector<std::string> GoretainArgs(const fs::path& out, int seconds) {
  return {"--retained", "--format", "json", "--interval", "1", "--duration",
          std::to_string(seconds), "--output", out.string()};
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
                           GoretainArgs(runs[i].out, s.seconds));
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

}  // namespace e2e
