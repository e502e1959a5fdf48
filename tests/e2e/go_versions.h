// Helpers of the per-release tests (go_versions_*_test.cpp): which Go releases are tested, where
// a target built with each is, and retention scenarios traced side by side, so that one test per
// release covers several targets in the time of the longest (each goretain traces one pid).
//
// Debian's go1.19 builds the default targets (tests/targets/CMakeLists.txt); every other release
// comes from scripts/install-go-toolchains.sh and builds the targets listed in GO_VERSION_TARGETS
// as <name>-go1.NN.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "harness.h"

namespace e2e {

// Debian bookworm's go1.19 and the releases install-go-toolchains.sh unpacks by default.
inline const std::vector<std::string> kGoReleases = {"1.19", "1.21", "1.22", "1.23",
                                                     "1.24", "1.26", "1.27"};

// gtest's name for a release parameter: go1_24.
inline std::string ReleaseTestName(const ::testing::TestParamInfo<std::string>& info) {
  std::string name = "go" + info.param;
  for (char& c : name) {
    if (c == '.') c = '_';
  }
  return name;
}

// The target `name` built with Go `release` ("1.24").
inline std::string ReleaseTarget(const std::string& name, const std::string& release) {
  return release == "1.19" ? Target(name) : Target(name, "go" + release);
}

// The executable exists; else a failure that says how to get it.
inline ::testing::AssertionResult Built(const std::string& exe) {
  if (fs::exists(exe)) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure()
         << exe << " was not built: its Go release is not unpacked in the build tree (run "
         << "scripts/install-go-toolchains.sh BUILD_DIR, then configure and build again)";
}

// The report traced a program of this release: go_version is "go<release>.<patch>".
inline ::testing::AssertionResult TracedRelease(const json& report, const std::string& release) {
  const std::string want = "go" + release + ".";
  if (report.contains("targets") && report["targets"].size() == 1 &&
      report["targets"][0].value("go_version", "").rfind(want, 0) == 0) {
    return ::testing::AssertionSuccess();
  }
  return ::testing::AssertionFailure() << "expected one target of " << want << "x, got "
                                       << report.value("targets", json::array()).dump();
}

// A retention scenario traced like TraceScenario (retention_scenarios.h) does, in steps, so that
// several run at once: the program (GOGC=20, gated by -wait) and a `goretain --retained
// --interval 1 --duration S` on its pid start in the constructor.
class BackgroundScenario {
 public:
  BackgroundScenario(const fs::path& dir, const std::string& exe,
                     const std::vector<std::string>& flags, int seconds)
      : dir_(dir), seconds_(seconds) {
    fs::create_directories(dir_);
    std::vector<std::string> argv = {"/usr/bin/env", "GOGC=20", exe, "-wait", (dir_ / "go").string()};
    argv.insert(argv.end(), flags.begin(), flags.end());
    program_ = Process(argv);
    gr_ = Process({GoretainBin(), "--retained", "--pid", std::to_string(program_.pid()), "--format",
                   "json", "--interval", "1", "--duration", std::to_string(seconds), "--output",
                   (dir_ / "reports.jsonl").string()});
  }

  const fs::path& dir() const { return dir_; }

  // Waits until goretain has attached, then opens the program's gate.
  ::testing::AssertionResult Start() {
    if (!gr_.WaitForStderr("probes attached")) {
      return ::testing::AssertionFailure() << gr_.Describe();
    }
    Touch(dir_ / "go");
    return ::testing::AssertionSuccess();
  }

  // Waits for goretain's end, checks that the program was unharmed, stops it, and returns the
  // reports (one per second).
  std::vector<json> Finish() {
    EXPECT_EQ(gr_.Wait(std::chrono::seconds(seconds_ + 30)), 0) << gr_.Describe();
    EXPECT_TRUE(program_.Running()) << "tracing harmed the program\n" << program_.Describe();
    program_.Signal(SIGTERM);
    EXPECT_EQ(program_.Wait(), 0) << program_.Describe();
    return ParseReports(ReadFile(dir_ / "reports.jsonl"));
  }

 private:
  fs::path dir_;
  int seconds_;
  Process program_, gr_;
};

// One scenario of a concurrent run: its label (a subdirectory of the test's temp dir), the
// executable and its flags. Flags may name "{dir}": replaced by the scenario's directory.
struct ScenarioRun {
  std::string label;
  std::string exe;
  std::vector<std::string> flags;
};

// Starts every scenario, opens each one's gate as soon as its goretain has attached (as
// TraceScenario does), and returns each one's reports, in order. A scenario whose goretain does
// not attach fails the test and yields no reports.
inline std::vector<std::vector<json>> TraceConcurrently(const TempDir& tmp,
                                                        const std::vector<ScenarioRun>& runs,
                                                        int seconds) {
  std::vector<std::unique_ptr<BackgroundScenario>> started;
  for (const ScenarioRun& r : runs) {
    const fs::path dir = tmp / r.label;
    std::vector<std::string> flags = r.flags;
    for (std::string& f : flags) {
      if (const size_t at = f.find("{dir}"); at != std::string::npos) f.replace(at, 5, dir.string());
    }
    started.push_back(std::make_unique<BackgroundScenario>(dir, r.exe, flags, seconds));
  }
  std::vector<bool> ok;
  for (auto& s : started) {
    const auto attached = s->Start();
    EXPECT_TRUE(attached) << s->dir();
    ok.push_back(static_cast<bool>(attached));
  }
  std::vector<std::vector<json>> reports;
  for (size_t i = 0; i < started.size(); i++) {
    reports.push_back(ok[i] ? started[i]->Finish() : std::vector<json>{});
  }
  return reports;
}

}  // namespace e2e
