// Following what starts later (issue 13 item 2): `goretain agent --cgroup PATH` finds the Go
// processes already in a cgroup (one /proc scan), attaches to the ones exec'd there afterwards
// (a sched_process_exec BPF program filtered by cgroup ID in the kernel), skips non-Go programs,
// and keeps an exited process's figures in the report. The cgroup is made for the test under
// the cgroup v2 mount; the programs join a child of it (a "container" of the "pod") through
// cgroup.procs before they exec, so their execve happens inside it.
#include <signal.h>

#include <unistd.h>

#include <fstream>
#include <iostream>
#include <set>
#include <thread>

#include "harness.h"
#include "tests/support/test_cgroup.h"

namespace e2e {
namespace {

using goretain::test_support::TestCgroup;

// Waits until `pid` runs `exe` (the shell that joins the cgroup has exec'd it).
bool RunsExecutable(pid_t pid, const std::string& exe, std::chrono::milliseconds timeout = kTimeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    std::error_code ec;
    if (fs::read_symlink("/proc/" + std::to_string(pid) + "/exe", ec) == fs::path(exe)) return true;
    std::this_thread::sleep_for(10ms);
  }
  return false;
}

std::vector<std::string> Counts(const fs::path& gate, int hint, int small, int appends) {
  return {Target("counts"), "-wait", gate.string(), "-hint", std::to_string(hint), "-small",
          std::to_string(small), "-append", std::to_string(appends)};
}

// The line's objects over every traced process (rows are per process: one row per PID).
int64_t Objects(const json& report, const std::string& kind, const std::string& label,
                const std::string& marker_kind) {
  const std::string function = WantFunction("counts", marker_kind, label);
  const int line = WantLine("counts", marker_kind, label);
  int64_t sum = 0;
  for (const json& c : report["callsites"]) {
    if (c.value("kind", "") == kind && c.value("function", "") == function &&
        c.value("line", 0) == line) {
      sum += c["alloc_objects"].get<int64_t>();
    }
  }
  return sum;
}

// A copy of counts that says it was built by another Go release (both places that hold it).
fs::path CountsClaimingVersion(const fs::path& dir, const std::string& version) {
  const fs::path exe = dir / ("counts-" + version);
  fs::copy_file(Target("counts"), exe, fs::copy_options::overwrite_existing);
  PatchGoVersion(exe, "go1.19.8", version);
  return exe;
}

class FollowTest : public E2ETest {};

TEST_F(FollowTest, AttachesGoProcessesAsTheyStartInTheCgroupAndKeepsExitedOnesFigures) {
  TestCgroup pod("follow");
  const std::string container = pod.MakeChild("ctr");
  const fs::path gate_before = tmp_ / "gate-before", gate_later = tmp_ / "gate-later";

  // Already running when goretain starts: found by the /proc scan.
  Process before(pod.Wrap(Counts(gate_before, 10, 20, 30), container));
  ASSERT_TRUE(RunsExecutable(before.pid(), Target("counts")));

  Process goretain = Goretain({"agent", "--exact", "--cgroup", pod.path(), "-f", "json", "-v"});
  ASSERT_TRUE(goretain.WaitForStderr("new ones attached as they start")) << goretain.Describe();
  EXPECT_NE(goretain.Stderr().find("tracing pid " + std::to_string(before.pid()) + " ("),
            std::string::npos) << goretain.Describe();

  // Exec'd later: a non-Go program is skipped, a Go program is attached.
  Process sleeper(pod.Wrap({"/bin/sleep", "60"}, container));
  ASSERT_TRUE(goretain.WaitForStderr("pid " + std::to_string(sleeper.pid()) + " ("))
      << goretain.Describe();
  const auto started = std::chrono::steady_clock::now();
  Process later(pod.Wrap(Counts(gate_later, 100, 200, 300), container));
  ASSERT_TRUE(goretain.WaitForStderr("tracing pid " + std::to_string(later.pid()) + " ("))
      << goretain.Describe();
  std::cout << "[ info ] attached "
            << std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count()
            << " s after the exec was started\n";

  Touch(gate_before);
  Touch(gate_later);
  ASSERT_EQ(before.Wait(), 0) << before.Describe();
  ASSERT_EQ(later.Wait(), 0) << later.Describe();
  // Both exits are noticed; goretain keeps running (targets may come back).
  ASSERT_TRUE(goretain.WaitForStderr("pid " + std::to_string(before.pid()) + " exited"));
  ASSERT_TRUE(goretain.WaitForStderr("pid " + std::to_string(later.pid()) + " exited"));
  EXPECT_TRUE(goretain.Running());
  // A restart: the same program again, in a new container of the pod.
  const fs::path gate_restart = tmp_ / "gate-restart";
  Process restarted(pod.Wrap(Counts(gate_restart, 1000, 2000, 3000), pod.MakeChild("ctr2")));
  ASSERT_TRUE(goretain.WaitForStderr("tracing pid " + std::to_string(restarted.pid()) + " ("))
      << goretain.Describe();
  Touch(gate_restart);
  ASSERT_EQ(restarted.Wait(), 0) << restarted.Describe();
  ASSERT_TRUE(goretain.WaitForStderr("pid " + std::to_string(restarted.pid()) + " exited"));
  sleeper.Kill();

  goretain.Signal(SIGTERM);
  ASSERT_EQ(goretain.Wait(), 0) << goretain.Describe();
  const std::string err = goretain.Stderr();
  EXPECT_NE(err.find("pid " + std::to_string(sleeper.pid()) + " ("), std::string::npos);
  EXPECT_NE(err.find("skipped: not a Go program"), std::string::npos) << err;
  EXPECT_EQ(err.find("tracing pid " + std::to_string(sleeper.pid()) + " "), std::string::npos) << err;

  json report;
  ASSERT_TRUE(OneReport(goretain.Stdout(), &report));
  std::set<pid_t> pids;
  for (const json& t : report["targets"]) pids.insert(t["pid"].get<pid_t>());
  EXPECT_EQ(pids, (std::set<pid_t>{before.pid(), later.pid(), restarted.pid()}));
  // The three processes' allocations, exactly, at their lines (one executable: one set of
  // probes; the exited processes' figures are kept).
  EXPECT_EQ(Objects(report, "map.make", "hint", "map.make"), 1110) << DescribeCallsites(report);
  EXPECT_EQ(Objects(report, "map.make", "small", "map.make"), 2220) << DescribeCallsites(report);
  EXPECT_EQ(Objects(report, "slice.grow", "once", "slice.grow"), 3330) << DescribeCallsites(report);
  // One plan and attach for the executable, whatever the number of processes running it (-v
  // logs each plan once).
  size_t plans = 0;
  for (size_t at = err.find("probe plan for "); at != std::string::npos;
       at = err.find("probe plan for ", at + 1)) {
    plans++;
  }
  EXPECT_EQ(plans, 1u) << "three processes of one executable";
}

TEST_F(FollowTest, AnExecutableGoretainRefusesIsSaidOnceHoweverManyProcessesRunIt) {
  TestCgroup pod("follow-refused");
  const std::string container = pod.MakeChild("ctr");
  Process goretain = Goretain({"agent", "--exact", "--cgroup", pod.path(), "-f", "json", "-v"});
  ASSERT_TRUE(goretain.WaitForStderr("new ones attached as they start")) << goretain.Describe();
  const fs::path refused = CountsClaimingVersion(tmp_.path(), "go1.29.8");
  Process refused1(pod.Wrap({refused.string(), "-wait", (tmp_ / "never").string()}, container));
  ASSERT_TRUE(goretain.WaitForStderr("go1.29.8")) << goretain.Describe();
  Process refused2(pod.Wrap({refused.string(), "-wait", (tmp_ / "never").string()}, container));
  ASSERT_TRUE(goretain.WaitForStderr("pid " + std::to_string(refused2.pid()) +
                                     " (" + refused.string() + "): skipped: its executable was "
                                     "refused before")) << goretain.Describe();
  refused1.Kill();
  refused2.Kill();
  goretain.Signal(SIGTERM);
  ASSERT_EQ(goretain.Wait(), 0) << goretain.Describe();
  const std::string err = goretain.Stderr();
  const size_t warned = err.find("): not traced: ");
  ASSERT_NE(warned, std::string::npos) << err;
  EXPECT_EQ(err.find("): not traced: ", warned + 1), std::string::npos) << "said twice\n" << err;
  EXPECT_EQ(err.find("tracing pid "), std::string::npos) << err;
}

TEST_F(FollowTest, ACgroupThatDoesNotExistOrTwoSelectionsAreBadInput) {
  Process both = Goretain({"agent", "--cgroup", "/", "--all"});
  ASSERT_EQ(both.Wait(), 2) << both.Describe();
  EXPECT_NE(both.Stderr().find("goretain: error: give either --cgroup or --all"), std::string::npos)
      << both.Describe();
  Process goretain = Goretain({"agent", "--cgroup", "/gr-test-no-such-cgroup-" +
                                                        std::to_string(getpid())});
  ASSERT_EQ(goretain.Wait(), 2) << goretain.Describe();
  EXPECT_NE(goretain.Stderr().find("goretain: error: no cgroup"), std::string::npos)
      << goretain.Describe();
}

}  // namespace
}  // namespace e2e
