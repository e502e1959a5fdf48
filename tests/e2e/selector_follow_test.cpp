// Selectors follow what starts later (issue 13 item 2): a pod, cgroup or container selected in
// trace mode or given to `goretain agent` is resolved by one /proc scan at start, and its
// cgroup is then followed, so a process exec'd later in it is attached too (a new container of
// a selected pod included). Kubelet-shaped cgroups made under the cgroup v2 mount
// (kube_cgroup.h); the programs join their container's cgroup before they exec, so their
// execve happens inside it, as a container's first process does.
#include <signal.h>

#include <algorithm>
#include <map>
#include <set>
#include <thread>

#include "harness.h"
#include "kube_cgroup.h"

namespace e2e {
namespace {

class SelectorFollow : public E2ETest {
 protected:
  void SetUp() override {
    E2ETest::SetUp();
    if (Cgroup2Mount().empty()) GTEST_SKIP() << "no cgroup v2 mount on this host";
  }

  // A gated counts target (`hint` make(map, 100) calls) exec'd inside the cgroup `rel`: a shell
  // writes its own PID to cgroup.procs, then execs counts.
  Process StartIn(const std::string& rel, const fs::path& gate, int hint) {
    const std::string procs = Cgroup2Mount() + rel + "/cgroup.procs";
    return Process({"/bin/sh", "-c", "echo $$ > \"$0\" && exec \"$@\"", procs, Target("counts"),
                    "-wait", gate.string(), "-hint", std::to_string(hint), "-small", "0",
                    "-append", "0"});
  }

  // The alloc_objects of counts' `// want: map.make hint` line in process `pid` (-1: no row).
  static int64_t HintObjects(const json& report, pid_t pid) {
    const int line = WantLine("counts", "map.make", "hint");
    for (const json& c : report["callsites"]) {
      if (c["line"] == line && c["kind"] == "map.make" && c["pid"] == pid) {
        return c["alloc_objects"].get<int64_t>();
      }
    }
    return -1;
  }

  KubeCgroups cgroups_;  // declared first: removed after the processes in it are gone
};

size_t Occurrences(const std::string& text, const std::string& needle) {
  size_t n = 0;
  for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) n++;
  return n;
}

// One pod, one Go process in its first container; four goretains side by side: trace mode by
// the pod's UID and by the pod's cgroup, the agent by the pod's UID and by the first container's
// ID. A second Go process is then exec'd in a new container of the pod: the three that selected
// the pod attach it (its rows, with its PID, its exact counts and its container's labels), the
// one that selected the first container does not. Every process is attached once (the
// follower's start-up scan finds the first again), and each goretain keeps running after both
// processes exit (followed selections end with a signal or --duration), then reports on SIGTERM.
TEST_F(SelectorFollow, ANewContainerOfASelectedPodIsAttached) {
  const std::string uid = RandomPodUid(), c1 = RandomContainerId(), c2 = RandomContainerId();
  const fs::path gate = tmp_ / "gate";
  Process first = StartIn(cgroups_.MakeContainer(uid, c1), gate, 150);
  // The shell has exec'd counts (in its cgroup) once /proc/PID/exe says so.
  std::error_code ec;
  for (int i = 0; i < 1000 && fs::read_symlink("/proc/" + std::to_string(first.pid()) + "/exe",
                                                ec) != fs::path(Target("counts")); i++) {
    std::this_thread::sleep_for(10ms);
  }
  const std::map<std::string, std::vector<std::string>> selections = {
      {"trace --pod-uid", {"--pod-uid", uid}},
      {"trace --cgroup", {"--cgroup", cgroups_.PodCgroup(uid)}},
      {"agent --pod-uid", {"agent", "--exact", "--pod-uid", uid}},
      {"agent --container", {"agent", "--exact", "--container", c1}},
  };
  std::map<std::string, Process> tracers;
  for (const auto& [name, sel] : selections) {
    std::vector<std::string> args = sel;
    for (const char* a : {"-v", "--format", "json"}) args.push_back(a);
    tracers.emplace(name, Goretain(args));
  }
  for (auto& [name, g] : tracers) {
    ASSERT_TRUE(g.WaitForStderr("new ones attached as they start", 60s)) << name << g.Describe();
  }

  Process second = StartIn(cgroups_.MakeContainer(uid, c2), gate, 340);
  const std::string attached_second = "tracing pid " + std::to_string(second.pid()) + " (";
  for (auto& [name, g] : tracers) {
    if (name == "agent --container") continue;
    ASSERT_TRUE(g.WaitForStderr(attached_second)) << name << g.Describe();
  }
  Touch(gate);
  ASSERT_EQ(first.Wait(), 0) << first.Describe();
  ASSERT_EQ(second.Wait(), 0) << second.Describe();
  for (auto& [name, g] : tracers) {
    SCOPED_TRACE(name);
    ASSERT_TRUE(g.WaitForStderr("pid " + std::to_string(first.pid()) + " exited")) << g.Describe();
    EXPECT_TRUE(g.Running()) << "a followed selection ends with a signal\n" << g.Describe();
    g.Signal(SIGTERM);
    ASSERT_EQ(g.Wait(), 0) << g.Describe();
    const std::string err = g.Stderr();
    EXPECT_EQ(Occurrences(err, "tracing pid " + std::to_string(first.pid()) + " ("), 1u) << err;
    json r;
    ASSERT_TRUE(OneReport(g.Stdout(), &r)) << g.Describe();
    std::map<pid_t, std::string> containers;
    for (const json& t : r["targets"]) {
      containers[t["pid"].get<pid_t>()] = t["labels"].value("container_id", "");
    }
    EXPECT_EQ(HintObjects(r, first.pid()), 150) << DescribeCallsites(r);
    if (name == "agent --container") {
      EXPECT_EQ(containers, (std::map<pid_t, std::string>{{first.pid(), c1}})) << r["targets"].dump();
      EXPECT_EQ(HintObjects(r, second.pid()), -1) << DescribeCallsites(r);
      continue;
    }
    EXPECT_EQ(containers, (std::map<pid_t, std::string>{{first.pid(), c1}, {second.pid(), c2}}))
        << r["targets"].dump();
    EXPECT_EQ(HintObjects(r, second.pid()), 340) << DescribeCallsites(r);
    EXPECT_EQ(Occurrences(err, attached_second), 1u) << err;
  }
}

// The agent's selectors are checked as trace mode's: a malformed one or --all beside one is a
// usage error (exit 2, one error line), and a pod with no process is not found (exit 2, hint).
TEST_F(SelectorFollow, TheAgentsSelectorsAreCheckedAsTraceModes) {
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"agent", "--pod", "no-slash"}, "goretain: error: --pod no-slash: give NAMESPACE/NAME"},
      {{"agent", "--all", "--pod-uid", RandomPodUid()}, "goretain: error: give either --cgroup or --all"},
      {{"agent", "--pod-uid", RandomPodUid()}, "no running process is in a pod with this UID"},
  };
  std::vector<Process> runs;
  for (const auto& c : cases) runs.push_back(Goretain(c.first));
  for (size_t i = 0; i < cases.size(); i++) {
    EXPECT_EQ(runs[i].Wait(), 2) << runs[i].Describe();
    EXPECT_NE(runs[i].Stderr().find(cases[i].second), std::string::npos) << runs[i].Describe();
  }
}

}  // namespace
}  // namespace e2e
