// Helpers of the per-release tests (go_versions_*_test.cpp): which Go releases are tested, where
// a target built with each is, and retention scenarios traced side by side, so that one test per
// release covers several targets in the time of the longest (each goretain traces one pid).
//
// Debian's go1.19 builds the default targets (tests/targets/CMakeLists.txt); every other release
// comes from scripts/install-go-toolchains.sh and builds the targets listed in GO_VERSION_TARGETS
// as <name>-go1.NN.
#pragma once

#include <signal.h>

#include <algorithm>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
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

// Polls until `pid` runs `exe` (it starts as /usr/bin/env, which sets GOGC and execs it): a
// goretain started earlier would find /usr/bin/env, which is no Go program.
inline bool RunsExecutable(pid_t pid, const std::string& exe, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  const fs::path want = fs::canonical(exe), link = "/proc/" + std::to_string(pid) + "/exe";
  for (;;) {
    std::error_code ec;
    if (fs::read_symlink(link, ec) == want) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(10ms);
  }
}

// A retention scenario traced as TraceScenario (retention_scenarios.h) does, in steps, so that
// several run at once: the program (GOGC=20, gated by -wait, writing its own heap profile to
// <dir>/profile.json after -profile-after) and `goretain --retained --interval 1` on its pid.
// goretain is stopped (SIGINT: it prints a final report) once the profile is written and two
// later reports agree on the GC cycles and liveness checks, not after a fixed duration: under
// load, attaching several tracers at once takes seconds, and the last report must judge the heap
// the profile describes.
class BackgroundScenario {
 public:
  BackgroundScenario(const fs::path& dir, const std::string& exe,
                     const std::vector<std::string>& flags)
      : dir_(dir) {
    fs::create_directories(dir_);
    std::vector<std::string> argv = {"/usr/bin/env", "GOGC=20", exe, "-wait",
                                     (dir_ / "go").string(), "-profile", profile().string()};
    argv.insert(argv.end(), flags.begin(), flags.end());
    program_ = Process(argv);
    if (!RunsExecutable(program_.pid(), exe, kTimeout)) return;
    gr_ = Process({GoretainBin(), "--retained", "--pid", std::to_string(program_.pid()), "--format",
                   "json", "--interval", "1", "--output", reports().string()});
  }

  fs::path profile() const { return dir_ / "profile.json"; }
  fs::path reports() const { return dir_ / "reports.jsonl"; }

  // Waits until goretain has attached, then opens the program's gate.
  ::testing::AssertionResult Start() {
    if (gr_.pid() <= 0) {
      return ::testing::AssertionFailure() << "never ran: " << program_.Describe();
    }
    if (!gr_.WaitForStderr("probes attached", 60s)) {
      return ::testing::AssertionFailure() << gr_.Describe();
    }
    Touch(dir_ / "go");
    return ::testing::AssertionSuccess();
  }

  // Waits (up to `timeout`) for the program's profile and settled reports, stops goretain,
  // checks that the program was unharmed, stops it, and returns the reports (one per second and
  // the final one).
  std::vector<json> Finish(std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!fs::exists(profile()) && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(50ms);
    }
    EXPECT_TRUE(fs::exists(profile())) << "no profile after " << timeout.count() << " ms\n"
                                       << program_.Describe();
    // The profile forced GC cycles; the reports settle once goretain has checked the last one.
    const size_t before = Lines(reports());
    while (std::chrono::steady_clock::now() < deadline) {
      const std::vector<std::string> last = LastLines(reports(), 2);
      const bool two_more = Lines(reports()) >= before + 2 && last.size() == 2;
      if (two_more && Cycles(last[0]) == Cycles(last[1])) break;
      std::this_thread::sleep_for(100ms);
    }
    gr_.Signal(SIGINT);
    EXPECT_EQ(gr_.Wait(), 0) << gr_.Describe();
    EXPECT_TRUE(program_.Running()) << "tracing harmed the program\n" << program_.Describe();
    program_.Signal(SIGTERM);
    EXPECT_EQ(program_.Wait(), 0) << program_.Describe();
    return ParseReports(ReadFile(reports()));
  }

 private:
  static size_t Lines(const fs::path& p) {
    const std::string text = ReadFile(p);
    return static_cast<size_t>(std::count(text.begin(), text.end(), '\n'));
  }
  static std::vector<std::string> LastLines(const fs::path& p, size_t n) {
    std::vector<std::string> lines;
    std::istringstream in(ReadFile(p));
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    if (lines.size() > n) lines.erase(lines.begin(), lines.end() - static_cast<ptrdiff_t>(n));
    return lines;
  }
  // A report's GC cycles and liveness checks, e.g. "14/14".
  static std::string Cycles(const std::string& line) {
    const json r = json::parse(line, nullptr, false);
    if (r.is_discarded() || !r.contains("liveness")) return "?" + line;
    return r["gc_cycles"].dump() + "/" + r["liveness"]["checks"].dump();
  }

  fs::path dir_;
  Process program_, gr_;
};

// One scenario of a concurrent run: its label (a subdirectory of the test's temp dir, where its
// profile.json is written), the executable and its flags (besides -wait and -profile).
struct ScenarioRun {
  std::string label;
  std::string exe;
  std::vector<std::string> flags;
};

// Starts every scenario, opens each one's gate as soon as its goretain has attached, and returns
// each one's reports, in order, once its profile is written (bounded by `timeout` in all). A
// scenario whose goretain does not attach fails the test and yields no reports.
inline std::vector<std::vector<json>> TraceConcurrently(const TempDir& tmp,
                                                        const std::vector<ScenarioRun>& runs,
                                                        std::chrono::seconds timeout) {
  std::vector<std::unique_ptr<BackgroundScenario>> started;
  for (const ScenarioRun& r : runs) {
    started.push_back(std::make_unique<BackgroundScenario>(tmp / r.label, r.exe, r.flags));
  }
  std::vector<bool> ok;
  for (size_t i = 0; i < started.size(); i++) {
    const auto attached = started[i]->Start();
    EXPECT_TRUE(attached) << runs[i].label;
    ok.push_back(static_cast<bool>(attached));
  }
  std::vector<std::vector<json>> reports;
  for (size_t i = 0; i < started.size(); i++) {
    reports.push_back(ok[i] ? started[i]->Finish(timeout) : std::vector<json>{});
  }
  return reports;
}

}  // namespace e2e
