// --duration counts tracing, not attaching; an attach that is interrupted or whose target exits
// is one error line and exit code 5, never an empty report that looks like a result.
//
// The attach is slowed for real: goretain runs in a CPU cgroup limited to a few percent of one
// CPU (the kernel's CFS bandwidth control), so every step of its attach (BPF load, parsing the
// executable, planning and attaching probes) takes tens of times longer than usual, the way it
// does on a big binary. Nothing in goretain knows about it. A signal is sent once goretain's
// SIGINT/SIGTERM handlers are installed (its SigCgt in /proc), which it does right before it
// starts attaching; the test checks that the "probes attached" line had not appeared by then.
#include <signal.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <thread>

#include "harness.h"

namespace e2e {
namespace {

// A cgroup (v1 "cpu" controller, or v2 with "cpu" enabled at the root) that limits its members
// to `percent` % of one CPU. ok() is false, with why(), when the machine offers neither.
class CpuThrottle {
 public:
  explicit CpuThrottle(int percent) {
    std::ifstream cg("/proc/self/cgroup");
    std::string v1_path, v2_path;
    for (std::string line; std::getline(cg, line);) {
      // "ID:controllers:path"; v2 is "0::path".
      const size_t a = line.find(':'), b = line.find(':', a + 1);
      if (a == std::string::npos || b == std::string::npos) continue;
      const std::string ctrls = line.substr(a + 1, b - a - 1), path = line.substr(b + 1);
      std::istringstream names(ctrls);
      for (std::string n; std::getline(names, n, ',');)
        if (n == "cpu") v1_path = path;
      if (ctrls.empty()) v2_path = path;
    }
    const std::string quota = std::to_string(percent * 1000);
    if (!v1_path.empty() && fs::exists("/sys/fs/cgroup/cpu/cpu.cfs_quota_us")) {
      home_ = fs::path("/sys/fs/cgroup/cpu") / v1_path.substr(1);
      dir_ = fs::path("/sys/fs/cgroup/cpu") / ("goretain-e2e-" + std::to_string(getpid()));
      if (Make() && Write(dir_ / "cpu.cfs_period_us", "100000") &&
          Write(dir_ / "cpu.cfs_quota_us", quota))
        return;
    } else if (fs::exists("/sys/fs/cgroup/cgroup.subtree_control")) {
      home_ = fs::path("/sys/fs/cgroup") / v2_path.substr(1);
      dir_ = fs::path("/sys/fs/cgroup") / ("goretain-e2e-" + std::to_string(getpid()));
      Write("/sys/fs/cgroup/cgroup.subtree_control", "+cpu");
      if (Make() && Write(dir_ / "cpu.max", quota + " 100000")) return;
    } else {
      why_ = "no cgroup CPU controller at /sys/fs/cgroup/cpu (v1) or /sys/fs/cgroup (v2)";
    }
    if (why_.empty()) why_ = "cannot set up a CPU-limited cgroup at " + dir_.string();
    Remove();
  }
  ~CpuThrottle() { Remove(); }

  bool ok() const { return why_.empty(); }
  const std::string& why() const { return why_; }

  // Starts argv inside the cgroup: this process joins it only for the spawn, so the child is
  // limited from its first instruction.
  Process Spawn(const std::vector<std::string>& argv) {
    const std::string self = std::to_string(getpid());
    EXPECT_TRUE(Write(dir_ / "cgroup.procs", self)) << "cannot join " << dir_;
    Process p(argv);
    EXPECT_TRUE(Write(home_ / "cgroup.procs", self)) << "cannot return to " << home_;
    return p;
  }
  // Moves a process back to this test's own cgroup (no limit).
  void Release(pid_t pid) { Write(home_ / "cgroup.procs", std::to_string(pid)); }

 private:
  bool Make() {
    std::error_code ec;
    fs::create_directory(dir_, ec);
    return !ec;
  }
  static bool Write(const fs::path& p, const std::string& value) {
    std::ofstream f(p);
    f << value << std::flush;
    return static_cast<bool>(f);
  }
  void Remove() {
    if (dir_.empty() || !fs::exists(dir_)) return;
    std::ifstream procs(dir_ / "cgroup.procs");
    for (std::string pid; std::getline(procs, pid);) Write(home_ / "cgroup.procs", pid);
    rmdir(dir_.c_str());
  }

  fs::path dir_, home_;
  std::string why_;
};

// True once `pid` has a handler for `sig` (its SigCgt mask in /proc/PID/status).
bool Catches(pid_t pid, int sig) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(status, line);) {
    if (line.rfind("SigCgt:", 0) != 0) continue;
    const uint64_t mask = std::stoull(line.substr(7), nullptr, 16);
    return (mask >> (sig - 1)) & 1;
  }
  return false;
}

bool WaitUntilCatches(pid_t pid, int sig, std::chrono::milliseconds timeout) {
  const auto end = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < end) {
    if (Catches(pid, sig)) return true;
    std::this_thread::sleep_for(2ms);
  }
  return false;
}

constexpr int kPercent = 1;  // of one CPU: attaching (~50-90 ms of CPU) takes seconds
constexpr int kExitNotTraced = 5;

class Duration : public E2ETest {
 protected:
  void StartDemo() {
    demo_ = Process({Target("leakydemo"), "-rate", "500"});
    ASSERT_TRUE(demo_.WaitForStderr("serving")) << demo_.Describe();
  }
  Process demo_;
};

TEST_F(Duration, CountsFromProbesLiveNotFromStart) {
  CpuThrottle slow(kPercent);
  if (!slow.ok()) GTEST_SKIP() << slow.why();
  StartDemo();
  constexpr int kSeconds = 2;
  const auto started = std::chrono::steady_clock::now();
  Process gr = slow.Spawn({GoretainBin(), "--pid", std::to_string(demo_.pid()), "--duration",
                           std::to_string(kSeconds), "--format", "json"});
  ASSERT_TRUE(gr.WaitForStderr("probes attached", 180s)) << gr.Describe();
  const auto live = std::chrono::steady_clock::now();
  slow.Release(gr.pid());  // tracing itself runs at full speed
  ASSERT_TRUE(Attached(gr));  // and the probes are in the kernel (bpftool)
  const double attach_s = std::chrono::duration<double>(live - started).count();
  // The point of the test: attaching took longer than the whole --duration.
  ASSERT_GT(attach_s, kSeconds) << "the attach was not slowed\n" << gr.Describe();

  auto rc = gr.WaitNoKill(std::chrono::seconds(kSeconds) + 20s);
  ASSERT_TRUE(rc.has_value()) << gr.Describe();
  const double traced_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - live).count();
  ASSERT_EQ(*rc, 0) << gr.Describe();
  EXPECT_GE(traced_s, kSeconds * 0.9) << "stopped before --duration after the attach";

  json report;
  ASSERT_TRUE(OneReport(gr.Stdout(), &report));
  ExpectReportHeader(report, demo_.pid(), Target("leakydemo"), 500);
  const double elapsed = report["elapsed_s"].get<double>();
  EXPECT_GE(elapsed, kSeconds) << "elapsed_s is not how long tracing ran (attach took "
                               << attach_s << " s)";
  EXPECT_LE(elapsed, kSeconds + 1.0) << "elapsed_s counts more than tracing (attach took "
                                     << attach_s << " s)";
  // One audit entry per request, at up to 500 requests/s during the --duration (a loaded
  // machine makes the target drop ticks, so the lower bound is loose; a --duration spent
  // attaching would leave none).
  const json* c = FindCallsite(report, "map.make", "main.audit",
                               WantLine("leakydemo", "map.make", "audit-entry"));
  ASSERT_NE(c, nullptr) << DescribeCallsites(report);
  EXPECT_GE(c->value("alloc_objects", 0), 500 * kSeconds / 10) << c->dump();
  EXPECT_LE(c->value("alloc_objects", 0), 500 * (elapsed + 0.5)) << c->dump();
  EXPECT_TRUE(demo_.Running()) << demo_.Describe();
}

class DurationSignal : public Duration, public ::testing::WithParamInterface<int> {};

TEST_P(DurationSignal, DuringAttachIsOneErrorLineAndNoReport) {
  const int sig = GetParam();
  CpuThrottle slow(kPercent);
  if (!slow.ok()) GTEST_SKIP() << slow.why();
  StartDemo();
  Process gr = slow.Spawn({GoretainBin(), "--pid", std::to_string(demo_.pid()), "--format", "json"});
  ASSERT_TRUE(WaitUntilCatches(gr.pid(), sig, 60s)) << "no handler for " << strsignal(sig)
                                                    << "\n" << gr.Describe();
  ASSERT_EQ(gr.Stderr().find("probes attached"), std::string::npos)
      << "attach finished before the signal could be sent\n" << gr.Describe();
  gr.Signal(sig);
  slow.Release(gr.pid());

  auto rc = gr.Wait(60s);
  ASSERT_TRUE(rc.has_value()) << gr.Describe();
  EXPECT_EQ(*rc, kExitNotTraced) << gr.Describe();
  EXPECT_TRUE(IsOneErrorLine(gr.Stderr()));
  EXPECT_NE(gr.Stderr().find(std::string("interrupted by ") + (sig == SIGINT ? "SIGINT" : "SIGTERM")),
            std::string::npos) << gr.Stderr();
  EXPECT_EQ(gr.Stdout(), "") << "a report after an interrupted attach";
  EXPECT_TRUE(demo_.Running()) << demo_.Describe();
}

INSTANTIATE_TEST_SUITE_P(Signals, DurationSignal, ::testing::Values(SIGINT, SIGTERM),
                         [](const auto& info) { return info.param == SIGINT ? "SIGINT" : "SIGTERM"; });

TEST_F(Duration, TargetExitDuringAttachIsOneErrorLineAndNoReport) {
  CpuThrottle slow(kPercent);
  if (!slow.ok()) GTEST_SKIP() << slow.why();
  StartDemo();
  Process gr = slow.Spawn({GoretainBin(), "--pid", std::to_string(demo_.pid()), "--duration",
                           "5", "--format", "json"});
  ASSERT_TRUE(WaitUntilCatches(gr.pid(), SIGINT, 60s)) << gr.Describe();
  ASSERT_EQ(gr.Stderr().find("probes attached"), std::string::npos)
      << "attach finished before the target could exit\n" << gr.Describe();
  demo_.Signal(SIGKILL);  // not reaped yet: a zombie, as a dead target usually is for a while
  slow.Release(gr.pid());

  auto rc = gr.Wait(60s);
  ASSERT_TRUE(rc.has_value()) << gr.Describe();
  EXPECT_EQ(*rc, kExitNotTraced) << gr.Describe();
  EXPECT_TRUE(IsOneErrorLine(gr.Stderr()));
  EXPECT_NE(gr.Stderr().find("pid " + std::to_string(demo_.pid()) +
                             " exited while goretain was attaching"),
            std::string::npos) << gr.Stderr();
  EXPECT_EQ(gr.Stdout(), "") << "a report after the target exited during attach";
}

}  // namespace
}  // namespace e2e
