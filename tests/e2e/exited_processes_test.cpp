// Issue 13 item 5 (memory bounded for a node agent whose targets restart): `goretain agent
// --cgroup`, sampled (the default) and --exact side by side, follows a cgroup in which six short-lived Go processes (tests/targets/restarts,
// ten marked lines) run one after another, each exiting before the next starts, with
// --max-exited 2 and a --max-callsites cap that the processes' call sites together exceed. Each
// exit retires the process: the report keeps the two newest processes' rows with their pid and
// their targets, folds the four older ones into rows without a pid whose figures are the sums of
// theirs, counts them, and no call site was folded into "(other)" by the cap: the exited
// processes no longer held its slots.
#include <signal.h>

#include <map>
#include <set>

#include "harness.h"
#include "tests/support/test_cgroup.h"

namespace e2e {
namespace {

using goretain::test_support::TestCgroup;

constexpr int kProcesses = 6;
constexpr int kLines = 10;
// A restarts process has its 10 marked lines, the gate's polling, and at most a few sites of
// package initialization (attached while it runs): one process fits, the six together do not.
constexpr int kMaxCallsites = 45;

// The row of `pid` (0: a folded row) at marked line l<i>, or null.
const json* RowAt(const json& report, int pid, int i) {
  const std::string label = "l" + std::to_string(i);
  const std::string function = WantFunction("restarts", "slice.grow", label);
  const int at = WantLine("restarts", "slice.grow", label);
  for (const json& c : report["callsites"]) {
    if (c["pid"] == pid && c["kind"] == "slice.grow" && c["function"] == function &&
        c["line"] == at) {
      return &c;
    }
  }
  return nullptr;
}

// Every row, with its pid, for failure messages.
std::string Rows(const json& report) {
  std::string out;
  for (const json& c : report["callsites"]) {
    out += "  pid " + c["pid"].dump() + " " + c["kind"].get<std::string>() + " " +
           c["function"].get<std::string>() + ":" + c["line"].dump() + " objects " +
           c["alloc_objects"].dump() + " folded_processes " + c["folded_processes"].dump() + "\n";
  }
  return out;
}

// The objects a row counts: exact mode's, or the sampled mode's raw samples (every allocation is
// sampled: the processes run with MemProfileRate 1).
int64_t Objects(const json& row, bool sampled) {
  return (sampled ? row["samples"]["alloc_objects"] : row["alloc_objects"]).get<int64_t>();
}

void ExpectNewestKeptOlderFolded(const json& report, const std::vector<pid_t>& pids, bool sampled) {
  const std::string rows = Rows(report);
  EXPECT_EQ(report["exited_processes"]["exited"], kProcesses);
  EXPECT_EQ(report["exited_processes"]["kept"], 2) << rows;
  EXPECT_EQ(report["exited_processes"]["folded"], kProcesses - 2) << rows;
  EXPECT_EQ(report["exited_processes"]["rows_folded_into_other"], 0) << rows;
  // The two newest keep their targets, marked exited; the folded ones' are dropped.
  std::set<pid_t> targets;
  for (const json& t : report["targets"]) {
    targets.insert(t["pid"].get<pid_t>());
    EXPECT_EQ(t["exited"], true) << t.dump();
  }
  EXPECT_EQ(targets, (std::set<pid_t>{pids[4], pids[5]}));
  // Exact figures: the newest two's own rows, and the four older ones summed without a pid.
  for (int line = 0; line < kLines; line++) {
    SCOPED_TRACE("l" + std::to_string(line));
    for (int i : {5, 6}) {
      const json* own = RowAt(report, pids[i - 1], line);
      ASSERT_NE(own, nullptr) << rows;
      EXPECT_EQ(Objects(*own, sampled), 10 * i);
      EXPECT_EQ((*own)["exited"], true);
      EXPECT_EQ((*own)["folded_processes"], 0);
    }
    const json* folded = RowAt(report, 0, line);
    ASSERT_NE(folded, nullptr) << rows;
    EXPECT_EQ(Objects(*folded, sampled), 10 * (1 + 2 + 3 + 4));
    EXPECT_EQ((*folded)["folded_processes"], kProcesses - 2);
    EXPECT_EQ((*folded)["exited"], true);
  }
  // Nothing is left under the older pids, and the cap never folded a call site although the
  // processes' sites together (at least 6 x 10 marked lines) are more than it.
  std::map<int, int> rows_per_pid;
  for (const json& c : report["callsites"]) {
    rows_per_pid[c["pid"].get<int>()]++;
    EXPECT_NE(c["function"], "(other)") << rows;
  }
  for (int i = 0; i < kProcesses - 2; i++) EXPECT_EQ(rows_per_pid.count(pids[i]), 0u) << pids[i];
  EXPECT_EQ(report["folded"]["callsites"], 0) << rows;
  static_assert(kProcesses * kLines > kMaxCallsites, "else the check above cannot fail");
}

// Both modes side by side: two agents follow the same cgroup and see the same processes.
TEST_F(E2ETest, ExitedProcessesAreRetiredTheNewestKeptAndOlderOnesFoldedAndCounted) {
  TestCgroup pod("exited");
  const std::string container = pod.MakeChild("ctr");
  std::vector<Process> agents;
  for (bool sampled : {false, true}) {
    std::vector<std::string> args = {"agent", "--cgroup", pod.path(), "--max-exited", "2",
                                     "--max-callsites", std::to_string(kMaxCallsites), "-f",
                                     "json", "-v"};
    if (!sampled) args.push_back("--exact");
    agents.push_back(Goretain(args));
  }
  for (Process& a : agents) {
    ASSERT_TRUE(a.WaitForStderr("new ones attached as they start")) << a.Describe();
  }
  std::vector<pid_t> pids;
  for (int i = 1; i <= kProcesses; i++) {  // process i appends 10*i times at each line
    const fs::path gate = tmp_ / ("gate" + std::to_string(i));
    Process p(pod.Wrap({Target("restarts"), "gate", gate.string(), std::to_string(10 * i), "1"},
                       container));
    const std::string pid = std::to_string(p.pid());
    for (Process& a : agents) {
      ASSERT_TRUE(a.WaitForStderr("tracing pid " + pid + " (")) << a.Describe();
    }
    Touch(gate);
    ASSERT_EQ(p.Wait(), 0) << p.Describe();
    for (Process& a : agents) {
      ASSERT_TRUE(a.WaitForStderr("pid " + pid + " exited")) << a.Describe();
    }
    pids.push_back(p.pid());
  }
  for (Process& a : agents) a.Signal(SIGTERM);
  for (bool sampled : {false, true}) {
    SCOPED_TRACE(sampled ? "sampled" : "exact");
    Process& a = agents[sampled ? 1 : 0];
    ASSERT_EQ(a.Wait(), 0) << a.Describe();
    json report;
    ASSERT_TRUE(OneReport(a.Stdout(), &report));
    EXPECT_EQ(report["mode"], sampled ? "sampled" : "exact");
    ExpectNewestKeptOlderFolded(report, pids, sampled);
  }
}

}  // namespace
}  // namespace e2e
